"""Checks made before a form body is parsed: size, type, origin, proxy signature, rate.

Each refusal carries a status and a sentence a person understands; the
request's body is never read for a refused request.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

import jwt
from starlette.requests import Request

from ..forms.words import HOTLINE, Words, wait_of
from ..settings import RateLimit, Settings, normalise_origin

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_TRACKED_CLIENTS = 50_000
MAX_TOKEN_SECONDS = 300
TOKEN_LEEWAY_SECONDS = 30  # for the clocks of Netlify and this server


@dataclass
class Refusal(Exception):
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


class RateLimiter:
    """A sliding-window count of posts per client, in memory, with bounded size; a
    client is forgotten once its last post has left the window."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, client: str, now: float | None = None) -> float:
        """Record one post; return 0 if allowed, else the seconds until one is."""
        now = time.monotonic() if now is None else now
        window_start = now - self.limit.seconds
        self.forget_old(now)
        hits = self._hits.get(client) or deque()
        while hits and hits[0] <= window_start:
            hits.popleft()
        if len(hits) >= self.limit.count:
            return max(1.0, hits[0] - window_start)
        hits.append(now)
        self._hits[client] = hits
        self._hits.move_to_end(client)  # in the order of their last post: the oldest first
        while len(self._hits) > MAX_TRACKED_CLIENTS:
            self._hits.popitem(last=False)
        return 0.0

    def forget_old(self, now: float | None = None) -> None:
        """Drop every client whose last post has left the window: an address is kept no
        longer than the limit needs it (the privacy page says so). Clients are ordered by
        when they were last seen, so the old ones are at the front."""
        now = time.monotonic() if now is None else now
        window_start = now - self.limit.seconds
        while self._hits:
            client, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > window_start:
                return
            del self._hits[client]

    async def keep_forgetting(self, every: float = 60.0) -> None:
        """Forget old clients every `every` seconds, so an address does not wait in
        memory for the next post to be dropped."""
        while True:
            await asyncio.sleep(every)
            self.forget_old()

    def give_back(self, client: str, at: float) -> None:
        """Forget the post recorded for `client` at `at` (if still counted): it stored
        nothing, so it must not use up anyone's chance to send."""
        hits = self._hits.get(client)
        if hits is None or at not in hits:
            return
        hits.remove(at)
        if not hits:
            del self._hits[client]


@dataclass
class Place:
    """A post's place in its client's count, held from the check while it is read and
    validated, so that posts sent at once cannot all slip under the limit; given back
    when the post ends unless `keep` was called. So only what is stored counts: a
    person correcting mistakes, or a whole shelter behind one address, is not locked out."""

    limiter: RateLimiter
    client: str
    at: float
    kept: bool = False

    def keep(self) -> None:
        self.kept = True

    def __enter__(self) -> Place:
        return self

    def __exit__(self, *_: object) -> None:
        if not self.kept:
            self.limiter.give_back(self.client, self.at)


TOO_MANY = Words(
    "Too many forms were sent from your internet connection in a short time (on a shared"
    " wifi, other people's forms count too). You can send yours again in {wait}. {hotline}",
    es="Se enviaron demasiados formularios desde tu conexión a internet en poco tiempo (en"
    " un wifi compartido, también cuentan los de otras personas). Podrás enviar el tuyo"
    " otra vez en {wait}. {hotline}",
)


def check(request: Request, settings: Settings, limiter: RateLimiter) -> Place:
    """Raise Refusal for the first limit the request breaks, in the documented order;
    else hold the post's place in the rate limit (see Place)."""
    check_sender(request, settings)
    client, at = client_address(request, settings), time.monotonic()
    retry_after = limiter.hit(client, at)
    if retry_after:
        seconds = int(retry_after) + 1
        message = TOO_MANY.format(wait=wait_of(seconds), hotline=HOTLINE)
        raise Refusal(429, message, {"Retry-After": str(seconds)})
    return Place(limiter, client, at)


def check_sender(request: Request, settings: Settings) -> None:
    """Raise Refusal unless the post is a form of a size we take, from our own site
    (and through Netlify's proxy where it signs): every check but the rate limit."""
    _check_size(request, settings)
    _check_type(request)
    _check_origin(request, settings)
    _check_proxy_signature(request, settings)


def _check_size(request: Request, settings: Settings) -> None:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
        raise Refusal(413, too_large_message(settings))


TOO_LARGE = Words(
    "What you sent is larger than this form accepts ({kb} KB). "
    "Please shorten your message and send it again.",
    es="Lo que enviaste es más grande de lo que acepta este formulario ({kb} KB). "
    "Acorta tu mensaje y vuelve a enviarlo.",
)


def too_large_message(settings: Settings) -> Words:
    return TOO_LARGE.format(kb=settings.max_body_bytes // 1024)


def _check_type(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise Refusal(
            415,
            Words(
                "This address only accepts our form from our website.",
                es="Esta dirección solo acepta nuestro formulario desde nuestro sitio.",
            ),
        )


def from_origins(request: Request, origins: tuple[str, ...]) -> bool:
    """Whether a post comes from one of these origins, by its Origin header, or, when a
    browser sent none, by Sec-Fetch-Site.

    A browser sends each at most once. Two of either are refused: servers and proxies
    disagree about which one counts, so neither can be believed.
    """
    origin = request.headers.getlist("origin")
    fetch_site = request.headers.getlist("sec-fetch-site")
    if len(origin) > 1 or len(fetch_site) > 1:
        return False
    if origin:
        try:
            return normalise_origin(origin[0]) in origins
        except ValueError:  # no browser's: a port past 65535, a host IDNA cannot write
            return False
    return (fetch_site or ["same-origin"])[0] in ("same-origin", "none")


def _check_origin(request: Request, settings: Settings) -> None:
    if not from_origins(request, settings.allowed_origins):
        raise Refusal(
            403,
            Words(
                "This form can only be sent from our own website. "
                "Please open the page with the form and send it from there.",
                es="Este formulario solo se puede enviar desde nuestro propio sitio. "
                "Abre la página del formulario y envíalo desde ahí.",
            ),
        )


def _check_proxy_signature(request: Request, settings: Settings) -> None:
    """With FORMS_PROXY_SECRET set, only requests signed by Netlify's proxy are taken."""
    if settings.proxy_secret and not signed_by_netlify(request, settings):
        raise Refusal(
            403,
            Words(
                "This form can only be sent through our website.",
                es="Este formulario solo se puede enviar a través de nuestro sitio.",
            ),
        )


def signed_by_netlify(request: Request, settings: Settings) -> bool:
    """Whether Netlify's proxy signed this request (`X-Nf-Sign`) with FORMS_PROXY_SECRET;
    never without a secret, since then nothing tells Netlify from anyone else."""
    if not settings.proxy_secret:
        return False
    try:
        claims = jwt.decode(
            request.headers.get("x-nf-sign", ""),
            settings.proxy_secret,
            algorithms=["HS256"],
            issuer="netlify",
            options={"require": ["exp", "iss"]},
            leeway=TOKEN_LEEWAY_SECONDS,
        )
        lifetime = claims["exp"] - claims.get("iat", time.time())
    except (jwt.PyJWTError, TypeError):
        return False
    # Netlify signs each request for five minutes: a token valid for longer was not its own.
    return lifetime <= MAX_TOKEN_SECONDS + TOKEN_LEEWAY_SECONDS


def client_address(request: Request, settings: Settings) -> str:
    """Who counts for the rate limit: the peer, or the address a trusted proxy forwarded.

    Netlify's `X-Nf-Client-Connection-Ip` is believed only on a request Netlify signed:
    the proxy in front may also carry the desk or other sites, whose clients could send
    it themselves; otherwise the trusted proxy's `X-Forwarded-For` is read.
    A forwarded value is believed only if it parses as an IP address (anything else and
    the peer counts); it is normalised, and an IPv6 address stands for its /64, which one
    household or server usually holds whole. So the limiter's keys stay short and few.
    """
    peer_text = request.client.host if request.client else ""
    peer = _parse_address(peer_text)
    if peer is None:
        return peer_text[:64]  # not an IP socket (a test client): nothing to forward
    if not _in_networks(peer, settings):
        return _key(peer)
    netlify = _parse_address(request.headers.get("x-nf-client-connection-ip", "").strip())
    if netlify is not None and signed_by_netlify(request, settings):
        return _key(netlify)
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for text in reversed(forwarded):
        address = _parse_address(text)
        if address is None:
            break  # not an address: what lies before it cannot be believed either
        if not _in_networks(address, settings):
            return _key(address)
    return _key(peer)


def _key(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _in_networks(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, settings: Settings) -> bool:
    return any(ip in network for network in settings.trusted_proxies)


def _parse_address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Parsed anew each time: a cache would keep visitors' addresses in memory."""
    if not address or len(address) > 45:  # the longest written IPv6 address
        return None
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None
