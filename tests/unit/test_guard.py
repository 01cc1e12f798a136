"""The checks before a body is read, in process: who counts for the rate limit, which origins
and proxy tokens are believed, which proxy secrets are refused at start-up."""

from __future__ import annotations

import re
import secrets
import time

import jwt
import pytest
from starlette.requests import Request

from forms_service.forms.words import HOTLINE, say, wait_of
from forms_service.settings import EXAMPLE_PROXY_SECRET, RateLimit, Settings, SettingsError
from forms_service.web import guard

from ..support import ROOT

SECRET = "a-long-shared-secret-for-the-netlify-proxy"
PROXY = Settings.from_env({"FORMS_TRUSTED_PROXIES": "127.0.0.1", "FORMS_PROXY_SECRET": SECRET})
RANDOM = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"""A value as `openssl rand -hex 32` makes one."""


def request(peer: str = "127.0.0.1", **headers: str) -> Request:
    return with_headers([(k.replace("_", "-"), v) for k, v in headers.items()], peer)


def with_headers(headers: list[tuple[str, str]], peer: str = "127.0.0.1") -> Request:
    """A post with these headers, in this order, repeats kept."""
    raw = [(k.lower().encode(), v.encode()) for k, v in headers]
    return Request(
        {"type": "http", "method": "POST", "path": "/", "headers": raw, "client": (peer, 5000)}
    )


@pytest.mark.parametrize(
    ("forwarded", "counted"),
    [
        (" 203.0.113.5 ", "203.0.113.5"),
        ("203.0.113.5, 10.0.0.1", "127.0.0.1"),  # Netlify sends one address, never a list
        ("not an address", "127.0.0.1"),
        ("203.0.113.5:443", "127.0.0.1"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("2001:DB8:0:0:1::1", "2001:db8::/64"),
        ("2001:db8::ffff:1", "2001:db8::/64"),
        ("x" * 5000, "127.0.0.1"),
    ],
)
def test_the_forwarded_address_is_parsed_and_normalised(forwarded, counted):
    r = request(x_nf_client_connection_ip=forwarded, x_nf_sign=signature())
    assert guard.client_address(r, PROXY) == counted


@pytest.mark.parametrize(
    "sign",
    [
        None,
        "forged",
        jwt.encode(
            {"iss": "netlify", "exp": 2**40},
            "a-guess-at-the-secret-long-enough-to-sign",
            algorithm="HS256",
        ),
    ],
)
def test_netlify_s_forwarded_address_is_believed_only_on_a_request_netlify_signed(sign):
    """Anyone behind the same trusted proxy (the desk's own name) could send the header;
    then the proxy's X-Forwarded-For says who it is."""
    headers = {"x_nf_client_connection_ip": "203.0.113.5", "x_forwarded_for": "198.51.100.7"}
    if sign:
        headers["x_nf_sign"] = sign
    assert guard.client_address(request(**headers), PROXY) == "198.51.100.7"
    no_secret = Settings.from_env({"FORMS_TRUSTED_PROXIES": "127.0.0.1"})
    headers["x_nf_sign"] = signature()
    assert guard.client_address(request(**headers), no_secret) == "198.51.100.7"


@pytest.mark.parametrize(
    ("chain", "counted"),
    [
        ("198.51.100.7, 203.0.113.9", "203.0.113.9"),
        ("203.0.113.9, 127.0.0.1", "203.0.113.9"),  # the proxy itself is skipped
        ("203.0.113.9, junk", "127.0.0.1"),  # nothing before a forged entry is believed
    ],
)
def test_x_forwarded_for_is_read_from_the_right(chain, counted):
    assert guard.client_address(request(x_forwarded_for=chain), PROXY) == counted


def test_an_untrusted_peer_counts_as_itself_whatever_it_forwards():
    r = request("198.51.100.1", x_nf_client_connection_ip="203.0.113.5")
    assert guard.client_address(r, PROXY) == "198.51.100.1"


def test_the_limiter_stays_small_under_a_flood_of_distinct_keys():
    limiter = guard.RateLimiter(RateLimit(10, 3600))
    for i in range(3000):  # forged values: all count as the proxy's own address
        forged = request(x_nf_client_connection_ip=f"junk{i}", x_nf_sign=signature())
        limiter.hit(guard.client_address(forged, PROXY))
    for i in range(3000):  # one IPv6 network, many addresses: one visitor
        address = f"2001:db8::{i:x}"
        signed = request(x_nf_client_connection_ip=address, x_nf_sign=signature())
        limiter.hit(guard.client_address(signed, PROXY))
    assert len(limiter._hits) == 2
    for i in range(guard.MAX_TRACKED_CLIENTS + 100):  # real, distinct addresses: capped
        limiter.hit(str(i), now=1.0)
    assert len(limiter._hits) == guard.MAX_TRACKED_CLIENTS


def test_the_limiter_forgets_an_address_as_the_privacy_page_says():
    """Kept for the window after its last saved post, then dropped at the next post from
    anyone or the minute's sweep; a post given back (not saved) leaves nothing
    (site_tools/markers.py builds the page's words from the window)."""
    limiter = guard.RateLimiter(RateLimit(10, 3600))
    place = guard.Place(limiter, "198.51.100.7", 0.0)
    limiter.hit(place.client, now=place.at)
    with place:
        pass  # not kept: the form was not saved
    assert "198.51.100.7" not in limiter._hits
    limiter.hit("203.0.113.7", now=0.0)
    limiter.hit("203.0.113.8", now=1800.0)
    limiter.hit("198.51.100.8", now=3599.0)  # within the hour: both still counted
    assert list(limiter._hits) == ["203.0.113.7", "203.0.113.8", "198.51.100.8"]
    limiter.hit("198.51.100.9", now=3600.5)  # the first one's hour is over
    assert "203.0.113.7" not in limiter._hits
    limiter.forget_old(now=5400.5)  # the sweep, with nobody posting
    assert list(limiter._hits) == ["198.51.100.8", "198.51.100.9"]
    limiter.forget_old(now=7201.0)
    assert not limiter._hits


def test_a_refused_post_does_not_keep_an_address_longer():
    limiter = guard.RateLimiter(RateLimit(1, 60))
    assert limiter.hit("203.0.113.7", now=0.0) == 0.0
    limiter.hit("198.51.100.8", now=30.0)
    assert limiter.hit("203.0.113.7", now=50.0) > 0  # refused: its one post still counts
    limiter.forget_old(now=61.0)
    assert list(limiter._hits) == ["198.51.100.8"]


# ---------- origins ----------


def test_origins_compare_without_regard_to_case_or_a_default_port():
    settings = Settings.from_env({"FORMS_ALLOWED_ORIGINS": "HTTPS://Example.ORG/"})
    assert settings.allowed_origins == ("https://example.org",)
    for origin in ("https://example.org", "https://EXAMPLE.org", "HTTPS://example.org:443"):
        guard._check_origin(request(origin=origin), settings)
    for origin in ("https://example.org:8443", "http://example.org", "https://example.org.evil"):
        with pytest.raises(guard.Refusal):
            guard._check_origin(request(origin=origin), settings)


@pytest.mark.parametrize(
    "headers",
    [
        [("Origin", "https://example.org"), ("Origin", "https://evil.example")],
        [("Origin", "https://evil.example"), ("Origin", "https://example.org")],
        [("Origin", "https://example.org"), ("Origin", "https://example.org")],
        [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "cross-site")],
    ],
    ids=["good-first", "good-last", "both-good", "two-fetch-sites"],
)
def test_two_origin_headers_are_refused_whichever_comes_first(headers):
    settings = Settings.from_env({"FORMS_ALLOWED_ORIGINS": "https://example.org"})
    believed = [h for h in headers if h[1] in ("https://example.org", "same-origin")]
    guard._check_origin(with_headers(believed[:1]), settings)  # the good one alone passes
    with pytest.raises(guard.Refusal) as refused:
        guard._check_origin(with_headers(headers), settings)
    assert refused.value.status == 403


# ---------- the proxy's signature ----------


def token(**claims) -> str:
    return jwt.encode({"iss": "netlify", **claims}, SECRET, algorithm="HS256")


def signature() -> str:
    """What Netlify's proxy signs a request with: valid for five minutes."""
    return token(exp=int(time.time()) + 300)


def test_a_proxy_token_must_expire_within_minutes():
    settings = Settings.from_env({"FORMS_PROXY_SECRET": SECRET})
    now = int(time.time())
    good = [token(exp=now + 300), token(iat=now, exp=now + 300)]  # as Netlify signs
    bad = [
        token(),  # no exp: valid for ever
        token(exp=now + 86400),
        token(iat=now - 3000, exp=now + 60),  # issued valid for almost an hour
        token(exp=now - 120),
        token(exp="soon"),
    ]
    for value in good:
        guard._check_proxy_signature(request(x_nf_sign=value), settings)
    for value in bad:
        with pytest.raises(guard.Refusal):
            guard._check_proxy_signature(request(x_nf_sign=value), settings)


@pytest.mark.parametrize(
    "secret",
    [
        "short",
        "x" * 31,
        EXAMPLE_PROXY_SECRET,
        EXAMPLE_PROXY_SECRET.capitalize(),
        "x" * 64,
        "ab" * 32,
        "abcdefghi" * 4,
        "0" * 31 + "1",
        f'"{EXAMPLE_PROXY_SECRET}"',
        f"'{EXAMPLE_PROXY_SECRET}'",
        EXAMPLE_PROXY_SECRET + "2",
        EXAMPLE_PROXY_SECRET.replace("-", "_"),
        EXAMPLE_PROXY_SECRET.upper().replace("-", "."),
        "my-secret-change-me-" + RANDOM[:20],
        "chang3-me-to-a-long-random-value",
        "0123456789" * 3 + "01",  # 10 different characters, typed in order
        "abcdefghij" * 3 + "ab",
        "zyxwvutsrqponmlkjihgfedcba987654",
        "a1b2c3d4e5f6g7h8i9j0" * 2,  # a short pattern repeated
    ],
)
def test_a_weak_or_placeholder_proxy_secret_stops_start_up(secret):
    with pytest.raises(SettingsError, match="FORMS_PROXY_SECRET") as refused:
        Settings.from_env({"FORMS_PROXY_SECRET": secret})
    assert secret.strip("\"'") not in str(refused.value)


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (f'"{EXAMPLE_PROXY_SECRET}"', "placeholder"),
        (
            "CHANGE-ME" + RANDOM[:32],
            "placeholder",
        ),
        (f'"{RANDOM}"', "without the quotes"),
        (f"'{RANDOM}'", "without the quotes"),
        ("0123456789" * 3 + "01", "typed pattern"),
        ("qwertyuiop" * 3 + "qw", "typed pattern"),
    ],
)
def test_a_refused_proxy_secret_is_told_why(secret, why):
    with pytest.raises(SettingsError, match=why):
        Settings.from_env({"FORMS_PROXY_SECRET": secret})


def test_random_proxy_secrets_are_taken():
    for _ in range(500):  # what the README advises, many times: no false refusal
        for make in (secrets.token_hex, secrets.token_urlsafe):
            secret = make(32)
            assert Settings.from_env({"FORMS_PROXY_SECRET": secret}).proxy_secret == secret


def test_the_placeholder_is_the_one_in_the_example_file():
    example = (ROOT / "deploy" / "forms-service.env.example").read_text()
    assert f"FORMS_PROXY_SECRET={EXAMPLE_PROXY_SECRET}\n" in example


def test_a_place_given_back_frees_it_and_the_limiter_forgets_an_empty_client():
    limiter = guard.RateLimiter(RateLimit(1, 3600))
    with guard.Place(limiter, "203.0.113.5", 1.0):  # refused for a mistake
        assert limiter.hit("203.0.113.5", 1.0) == 0.0
        assert limiter.hit("203.0.113.5", 2.0) > 0  # held while the first is read
    assert limiter._hits == {}
    with guard.Place(limiter, "203.0.113.5", 3.0) as place:
        limiter.hit("203.0.113.5", 3.0)
        place.keep()  # stored
    assert limiter.hit("203.0.113.5", 4.0) == 3600 - 1.0


@pytest.mark.parametrize(
    ("seconds", "english", "spanish"),
    [
        (1, "1 minute", "1 minuto"),
        (61, "2 minutes", "2 minutos"),
        (3540, "59 minutes", "59 minutos"),
        (3571, "1 hour", "1 hora"),
        (3601, "2 hours", "2 horas"),
        (86400, "24 hours", "24 horas"),
    ],
)
def test_a_wait_reads_in_whole_minutes_or_hours_rounded_up(seconds, english, spanish):
    assert (str(wait_of(seconds)), say(wait_of(seconds), "es")) == (english, spanish)


def test_the_hotline_the_service_names_is_the_sites():
    numbers = re.search(r"hotline:\n(?:  .*\n)+", (ROOT / "mkdocs.yml").read_text())[0]
    for key in ("call", "text", "tty"):
        number = re.search(rf"^    {key}: \"?([\d-]+)", numbers, re.M)[1]
        assert number in HOTLINE and number in say(HOTLINE, "es")
