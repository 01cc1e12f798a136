"""deploy/Caddyfile as shipped, run by Debian's real caddy in front of the real service,
all on loopback (plain HTTP: the certificate part is Caddy's own). Clients connect from
other loopback addresses (127.0.0.2, 127.0.0.3) as visitors would from theirs, so it
shows whose address the service counts."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..support import Service, valid_form
from .parts import Caddy, require_caddy

NAME = "forms.test"
SITE = "https://example.org"
API = "/api/forms/volunteer"
JSON = {"Accept": "application/json", "Origin": SITE}
VISITOR, OTHER_VISITOR = "127.0.0.2", "127.0.0.3"
_FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def proxied(
    start_service: Callable[..., Service], tmp_path: Path
) -> Iterator[tuple[Service, Caddy]]:
    require_caddy()
    service = start_service(
        FORMS_TRUSTED_PROXIES="127.0.0.1",
        FORMS_ALLOWED_ORIGINS=SITE,
        FORMS_RATE_LIMIT="2/hour",
        FORMS_HEADER_TIMEOUT="30",  # longer than Caddy's: a slow client is Caddy's to end
    )
    caddy = Caddy(tmp_path, NAME, service.port, header_timeout="1s").start()
    yield service, caddy
    caddy.stop()


def _reached(service: Service) -> int:
    """How many requests the service has answered (its access log lines)."""
    return service.log().count("forms_service.access:")


def test_a_form_post_passes_through_unchanged(proxied: tuple[Service, Caddy]) -> None:
    service, caddy = proxied
    form = valid_form(name="Zoë Ñandú 李", message="Line one\r\nLine two: café, 100% sure & more")
    with caddy.client(VISITOR) as client:
        answer = client.post(API, data=form, headers=JSON)
    assert answer.status_code == 201, answer.text
    (stored,) = service.rows(
        "SELECT data FROM submissions WHERE reference = ?", answer.json()["reference"]
    )
    data = json.loads(stored[0])
    assert data["name"] == form["name"]
    assert data["message"] == "Line one\nLine two: café, 100% sure & more"
    assert data["email"] == form["email"]


def test_the_rate_limit_counts_each_visitor_not_caddy(proxied: tuple[Service, Caddy]) -> None:
    _, caddy = proxied
    with caddy.client(VISITOR) as visitor:
        codes = [
            visitor.post(API, data=valid_form(name=f"Visitor {i}"), headers=JSON).status_code
            for i in range(3)
        ]
        forged = {**JSON, "X-Forwarded-For": "198.51.100.7"}  # Caddy replaces it
        assert visitor.post(API, data=valid_form(name="Forged"), headers=forged).status_code == 429
    assert codes == [201, 201, 429]
    with caddy.client(OTHER_VISITOR) as other:
        assert other.post(API, data=valid_form(name="Another"), headers=JSON).status_code == 201


def test_oversized_headers_and_bodies_are_refused_by_caddy(proxied: tuple[Service, Caddy]) -> None:
    service, caddy = proxied
    before = _reached(service)
    with caddy.client(VISITOR) as client:
        big_header = client.get("/api/healthz", headers={"X-Padding": "a" * 20_000})
        big_body = client.post(
            API, content=b"message=" + b"a" * 70_000, headers={**JSON, "Content-Type": _FORM}
        )
        assert client.get("/api/healthz").status_code == 200  # the service is there
    assert big_header.status_code == 431
    assert big_body.status_code == 413
    assert "Server" in big_header.headers and big_header.headers["Server"] == "Caddy"
    assert _reached(service) == before + 1, "an oversized request reached the service"


def test_a_slow_client_is_cut_off_by_caddy_before_the_service(
    proxied: tuple[Service, Caddy],
) -> None:
    service, caddy = proxied
    before = _reached(service)
    with socket.create_connection(("127.0.0.1", caddy.port), timeout=10) as slow:
        slow.sendall(f"GET /api/healthz HTTP/1.1\r\nHost: {NAME}\r\n".encode())
        started = time.monotonic()
        closed = _drip_until_closed(slow)
    assert closed, "caddy kept a client that never finished its headers"
    assert time.monotonic() - started < 10  # Caddy's 1 s here; the service would wait 30
    assert _reached(service) == before


def _drip_until_closed(conn: socket.socket) -> bool:
    """Sends one header byte every 0.2 s, at most 50 times; True once the far end
    closed (or reset) the connection."""
    conn.settimeout(0.2)
    for _ in range(50):
        try:
            conn.sendall(b"X")
            if conn.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def test_the_desk_answers_only_on_its_own_name_and_nothing_else_is_exposed(
    proxied: tuple[Service, Caddy],
) -> None:
    service, caddy = proxied
    with caddy.client(VISITOR) as own:
        desk = own.get("/desk/sign-in")
        site_page = own.get("/")
        other_api = own.get("/api/anything")
        ready = own.get("/api/readyz")
    assert desk.status_code == 200 and "<form" in desk.text
    assert site_page.status_code == 404 and other_api.status_code == 404
    assert ready.json() == {"status": "ready"}  # figures stay on the server

    before = _reached(service)
    with caddy.client(VISITOR, name="other.test") as stranger:
        elsewhere = stranger.get("/desk/sign-in")
    assert "<form" not in elsewhere.text
    assert _reached(service) == before
