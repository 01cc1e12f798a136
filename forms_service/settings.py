"""Typed settings, read once from FORMS_* environment variables.

Every variable is documented in README.md with its default. A bad value stops
start-up with a message that names the variable, so an operator never runs a
service that silently ignores what they configured.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna
from email_validator import EmailNotValidError, validate_email

T = TypeVar("T")

SECURITY_MODES = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
RATE_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
LOG_LEVELS = ("debug", "info", "warning", "error")
EXAMPLE_PROXY_SECRET = "change-me-to-a-long-random-value"  # noqa: S105 - a placeholder
"""The placeholder in deploy/forms-service.env.example: never a secret."""
PLACEHOLDER_PARTS = ("changeme", "longrandomvalue")
"""The placeholder's words, as they read once case and all but letters are dropped: a
value holding either (`change_me_to_a_long_random_value2`) was copied from it."""
QUOTES = "\"'"
MIN_PROXY_SECRET_LENGTH = 32
MIN_PROXY_SECRET_DISTINCT = 10
"""A random secret of 32 characters has about 14 different ones even in hex (0-9a-f), and
fewer than 10 once in ten thousand; a typed pattern such as aaaa... or abab... has 1 or 2."""
DEFAULT_PORT_OF = {"http": "80", "https": "443"}
EMAIL_DETAILS = ("summary", "full")


class SettingsError(ValueError):
    """A FORMS_* variable holds a value the service cannot use."""


@dataclass(frozen=True)
class RateLimit:
    """At most `count` posts per `seconds` from one client address."""

    count: int
    seconds: int


@dataclass(frozen=True)
class Settings:
    database: Path = Path("var/forms.sqlite3")
    mail_dir: Path = Path("var/mail")
    site_dir: Path = Path("site")
    host: str = "127.0.0.1"
    port: int = 8000
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_security: str = "none"
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 15.0
    mail_from: str = "volunteer-form@example.org"
    coordinators: tuple[str, ...] = ("coordinators@example.org",)
    coordinators_given: bool = False
    """FORMS_COORDINATORS was set, not defaulted: an operator's command may then say
    that an address is not among them."""
    allowed_origins: tuple[str, ...] = ("http://127.0.0.1:8000", "http://localhost:8000")
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    proxy_secret: str = field(default="", repr=False)
    rate_limit: RateLimit = RateLimit(10, 3600)
    max_body_bytes: int = 64 * 1024
    body_timeout: float = 10.0
    max_header_bytes: int = 16 * 1024
    header_timeout: float = 10.0
    write_timeout: float = 10.0
    acknowledge: bool = False
    retention_days: int = 90
    contact_retention_days: int = 30
    retry_base_seconds: float = 30.0
    give_up_hours: float = 72.0
    poll_seconds: float = 5.0
    duplicate_window_minutes: int = 10
    log_level: str = "info"
    desk_url: str = ""
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    follow_up_days: int = 3
    email_details: str = "summary"
    digest_hour: int | None = 8  # None: no digest
    timezone: str = "UTC"
    litestream_config: Path | None = None
    """deploy/litestream.yml when the service runs under Litestream: `restore` reads the
    replica through it and /api/readyz checks the replica keeps up. None: not replicated."""
    replication_max_lag: float = 60.0

    @property
    def uses_smtp(self) -> bool:
        """Without an SMTP host, mail is written to files under mail_dir."""
        return bool(self.smtp_host)

    @property
    def attempt_seconds(self) -> float:
        """The longest one message's attempt may last, connecting included."""
        return 3 * self.smtp_timeout

    @property
    def desk(self) -> str:
        """The desk's public address, ending in /desk/: every link to it is built from this."""
        return self.desk_url or f"http://{self.host}:{self.port}/desk/"

    @property
    def desk_origin(self) -> str:
        parts = urlsplit(self.desk)
        return normalise_origin(f"{parts.scheme}://{parts.netloc}")

    @property
    def lease_seconds(self) -> float:
        """How long a claimed message stays claimed before another worker may take it:
        longer than an attempt, so no other worker sends it while one still may."""
        return self.attempt_seconds + 5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every FORMS_* variable; raise SettingsError naming the first bad one."""
        env = os.environ if env is None else env
        d = cls()

        def get(name: str, parse: Callable[[str], T], default: T) -> T:
            raw = env.get(f"FORMS_{name}", "").strip()
            if not raw:
                return default
            try:
                return parse(raw)
            except (ValueError, EmailNotValidError) as exc:
                raise SettingsError(f"FORMS_{name}: {exc}") from None

        security = get("SMTP_SECURITY", _choice(SECURITY_MODES), d.smtp_security)
        return cls(
            database=get("DATABASE", Path, d.database),
            mail_dir=get("MAIL_DIR", Path, d.mail_dir),
            site_dir=get("SITE_DIR", Path, d.site_dir),
            host=get("HOST", str, d.host),
            port=get("PORT", _int_between(1, 65535), d.port),
            smtp_host=get("SMTP_HOST", str, d.smtp_host),
            smtp_port=get("SMTP_PORT", _int_between(1, 65535), DEFAULT_PORTS[security]),
            smtp_security=security,
            smtp_username=get("SMTP_USERNAME", str, d.smtp_username),
            smtp_password=get("SMTP_PASSWORD", str, d.smtp_password),
            smtp_timeout=get("SMTP_TIMEOUT", _positive_float, d.smtp_timeout),
            mail_from=get("MAIL_FROM", _address, d.mail_from),
            coordinators=get("COORDINATORS", _address_list, d.coordinators),
            coordinators_given=bool(env.get("FORMS_COORDINATORS", "").strip()),
            allowed_origins=get("ALLOWED_ORIGINS", _origin_list, d.allowed_origins),
            trusted_proxies=get("TRUSTED_PROXIES", _network_list, d.trusted_proxies),
            proxy_secret=get("PROXY_SECRET", _proxy_secret, d.proxy_secret),
            rate_limit=get("RATE_LIMIT", _rate_limit, d.rate_limit),
            max_body_bytes=get("MAX_BODY_BYTES", _int_between(1024, 10**7), d.max_body_bytes),
            body_timeout=get("BODY_TIMEOUT", _positive_float, d.body_timeout),
            max_header_bytes=get(
                "MAX_HEADER_BYTES", _int_between(4096, 1024 * 1024), d.max_header_bytes
            ),
            header_timeout=get("HEADER_TIMEOUT", _positive_float, d.header_timeout),
            write_timeout=get("WRITE_TIMEOUT", _positive_float, d.write_timeout),
            acknowledge=get("ACKNOWLEDGE", _bool, d.acknowledge),
            retention_days=get("RETENTION_DAYS", _int_between(1, 3650), d.retention_days),
            contact_retention_days=get(
                "CONTACT_RETENTION_DAYS", _int_between(1, 3650), d.contact_retention_days
            ),
            retry_base_seconds=get("RETRY_BASE_SECONDS", _positive_float, d.retry_base_seconds),
            give_up_hours=get("GIVE_UP_HOURS", _positive_float, d.give_up_hours),
            poll_seconds=get("POLL_SECONDS", _positive_float, d.poll_seconds),
            duplicate_window_minutes=get(
                "DUPLICATE_WINDOW_MINUTES", _int_between(0, 1440), d.duplicate_window_minutes
            ),
            log_level=get("LOG_LEVEL", _choice(LOG_LEVELS), d.log_level),
            desk_url=get("DESK_URL", _desk_url, d.desk_url),
            session_idle_minutes=get(
                "SESSION_IDLE_MINUTES", _int_between(1, 1440), d.session_idle_minutes
            ),
            session_max_hours=get("SESSION_MAX_HOURS", _int_between(1, 168), d.session_max_hours),
            follow_up_days=get("FOLLOW_UP_DAYS", _int_between(1, 365), d.follow_up_days),
            email_details=get("EMAIL_DETAILS", _choice(EMAIL_DETAILS), d.email_details),
            digest_hour=get("DIGEST_HOUR", _hour_or_off, d.digest_hour),
            timezone=get("TIMEZONE", _timezone, d.timezone),
            litestream_config=get("LITESTREAM_CONFIG", _existing_file, d.litestream_config),
            replication_max_lag=get("REPLICATION_MAX_LAG", _positive_float, d.replication_max_lag),
        )


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {raw!r}")
        return value

    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        if not re.fullmatch(r"\d+", raw) or not low <= int(raw) <= high:
            raise ValueError(f"expected a whole number from {low} to {high}, got {raw!r}")
        return int(raw)

    return parse


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 10**7:
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def _address(raw: str) -> str:
    info = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    return info.ascii_email or info.normalized


def _address_list(raw: str) -> tuple[str, ...]:
    addresses = tuple(_address(part.strip()) for part in raw.split(",") if part.strip())
    if not addresses:
        raise ValueError("expected at least one email address")
    return addresses


def _origin_list(raw: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        # a host of ASCII letters, digits, dots, dashes (an IPv6 address in brackets) or
        # of letters beyond ASCII (IDNA writes it in punycode), then perhaps a port
        if not re.fullmatch(r"https?://(?:[A-Za-z0-9.\-\[\]:]|[^\x00-\x7f\s])+", origin, re.I):
            raise ValueError(f"expected origins like https://example.org, got {origin!r}")
    return tuple(normalise_origin(origin) for origin in origins)


def normalise_origin(origin: str) -> str:
    """An origin as a browser writes it in Origin, the only spelling a post can match:
    scheme and host in lower case, a host in Unicode in its ASCII form (IDNA, punycode),
    the port without leading zeros and left out when it is the scheme's default, so
    `HTTPS://Bücher.Example:0443` is `https://xn--bcher-kva.example`. Raises ValueError,
    saying why, for a port that is not a number from 1 to 65535 or a host IDNA cannot
    write: at start-up such an origin would refuse every post."""
    scheme, _, rest = origin.strip().rstrip("/").partition("://")
    cut = rest.rfind(":")
    host, port = (rest[:cut], rest[cut + 1 :]) if cut > rest.rfind("]") else (rest, "")
    if port and not (port.isascii() and port.isdigit()):
        raise ValueError(f"expected a port of digits after the host, got {port!r}")
    if port and not 1 <= int(port) <= 65535:
        raise ValueError(f"port {port} is out of range: a port is a number from 1 to 65535")
    scheme, port = scheme.lower(), str(int(port)) if port else ""
    if port == DEFAULT_PORT_OF.get(scheme):
        port = ""
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"the host {host!r} has no ASCII (IDNA) form: {exc}") from None
    return f"{scheme}://{host.lower()}" + (f":{port}" if port else "")


def _proxy_secret(raw: str) -> str:
    """A secret only Netlify and this service know, so never one a stranger could guess:
    not the example file's placeholder (in quotes, in any case, with other signs between
    its words), not short, not a typed pattern. The messages never repeat the value."""
    unquoted = raw.strip(QUOTES)
    letters = "".join(filter(str.isalpha, unquoted.lower()))
    if any(part in letters for part in PLACEHOLDER_PARTS):
        raise ValueError("still the example's placeholder: set the long random value from Netlify")
    if unquoted != raw:
        raise ValueError(
            "begins or ends with a quote mark, which Docker's --env-file and some .env"
            " loaders keep as part of the value: write the value without the quotes"
        )
    if len(raw) < MIN_PROXY_SECRET_LENGTH:
        raise ValueError(
            f"expected a random value of at least {MIN_PROXY_SECRET_LENGTH} characters,"
            f" got {len(raw)}"
        )
    if len(set(raw)) < MIN_PROXY_SECRET_DISTINCT:
        raise ValueError(
            f"expected a random value with at least {MIN_PROXY_SECRET_DISTINCT} different"
            f" characters, got {len(set(raw))}: make one with openssl rand -hex 32"
        )
    if _repeats(raw) or _mostly_in_order(raw):
        raise ValueError(
            "expected a random value, got a typed pattern (a part repeated, or characters"
            " in order such as abcd or 4321): make one with openssl rand -hex 32"
        )
    return raw


def _repeats(value: str) -> bool:
    """Whether the value is a shorter part said again and again (abcdefghijabcdefghijab):
    what a person types to reach a length, never what a generator makes."""
    n = len(value)
    return any(value[p:] == value[: n - p] for p in range(1, n // 2 + 1))


def _mostly_in_order(value: str) -> bool:
    """Whether half or more of the neighbouring characters follow each other (0123, zyx):
    a random value has about one such pair in nine even in hex."""
    steps = [abs(ord(b) - ord(a)) for a, b in itertools.pairwise(value)]
    return 2 * steps.count(1) >= len(steps)


def _network_list(raw: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(",") if part.strip()
    )


def _rate_limit(raw: str) -> RateLimit:
    match = re.fullmatch(r"(\d+)\s*/\s*(second|minute|hour|day)", raw.lower())
    if not match or int(match[1]) < 1:
        raise ValueError(
            f"expected a limit like 10/hour (per second, minute, hour or day), got {raw!r}"
        )
    return RateLimit(int(match[1]), RATE_UNITS[match[2]])


def _desk_url(raw: str) -> str:
    """An absolute http(s) address whose path ends in /desk/, as coordinators open it.

    Its origin is written as a browser sends it in Origin (`normalise_origin`: scheme
    and host in lower case, a Unicode host in punycode, no leading zeros or default
    port), since every desk post is checked against it: `HTTPS://Forms.Example.org:443/
    desk/` would otherwise refuse them all, and a port past 65535 stops start-up. A user
    name (`user@`) is refused: no browser sends one in Origin, and in a link it hides the
    real host."""
    url = raw if raw.endswith("/") else raw + "/"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"expected an address like https://forms.example.org/desk/, got {raw!r}")
    if "@" in parts.netloc:
        raise ValueError("expected an address without a user name or password (no '@')")
    if not parts.path.endswith("/desk/"):
        raise ValueError(f"expected the address to end in /desk/, got {raw!r}")
    return normalise_origin(f"{scheme}://{parts.netloc}") + parts.path


def _existing_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise ValueError(f"expected the path of an existing file, got {raw!r}")
    return path


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"expected a time zone such as Europe/London, got {raw!r}") from None
    return raw


def _hour_or_off(raw: str) -> int | None:
    if raw.lower() == "off":
        return None
    try:
        return _int_between(0, 23)(raw)
    except ValueError:
        raise ValueError(f"expected an hour from 0 to 23, or off, got {raw!r}") from None
