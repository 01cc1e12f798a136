"""Request headers are bounded in size and time by the service itself, before any app code."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest

from forms_service.web.http import language_of_head

from ..support import Service, valid_form, wait_until
from .test_delivery import post


@pytest.fixture
def limited(start_service, smtp) -> Service:
    return start_service(
        smtp.port,
        FORMS_HEADER_TIMEOUT="2",
        FORMS_MAX_HEADER_BYTES="16384",
        FORMS_BODY_TIMEOUT="1",
    )


def read_answer(sock: socket.socket) -> bytes:
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except (ConnectionResetError, TimeoutError):
        pass
    return b"".join(chunks)


def test_headers_over_the_cap_get_431_and_the_connection_closes(limited: Service):
    process = limited.process()
    before = process.memory_info().rss
    sent = 0
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(b"GET /api/healthz HTTP/1.1\r\nHost: x\r\nX-Filler: ")
        try:
            while sent < 50 * 1024 * 1024:  # an endless header line, as fast as possible
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_answer(sock)
    assert sent < 5 * 1024 * 1024  # cut off long before
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert process.memory_info().rss - before < 10 * 1024 * 1024


@pytest.mark.parametrize("writes", [1, 4])
def test_headers_over_the_cap_get_431_even_when_their_last_read_completes_them(
    limited: Service, writes: int
):
    header = b"X-Big: " + b"a" * 20_000 + b"\r\n"
    request = b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n"
    step = -(-len(request) // writes)
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(request), step):
            sock.sendall(request[start : start + step])
            time.sleep(0.05)  # separate reads on the server
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def answer_parts(answer: bytes) -> tuple[bytes, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body.decode()


@pytest.mark.parametrize(
    ("target", "lang", "words"),
    [
        (b"/api/forms/contact?lang=es", b"es", "tu navegador envió con ella más información"),
        (b"/api/forms/contact", b"en", "your browser sent more extra information"),
    ],
)
def test_a_431_speaks_the_language_of_the_form_and_names_the_hotline(
    limited: Service, target: bytes, lang: bytes, words: str
):
    cookies = b"Cookie: " + b"a" * 20_000 + b"\r\n"  # a sister site's, for the whole domain
    request = b"POST " + target + b" HTTP/1.1\r\nHost: x\r\n" + cookies + b"\r\n"
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(request)
        head, body = answer_parts(read_answer(sock))
    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"\r\ncontent-language: " + lang + b"\r\n" in head
    assert words in body and "1-888-373-7888" in body and "TTY 711" in body


@pytest.mark.parametrize(
    ("head", "lang"),
    [
        (b"POST /api/forms/contact?lang=es HTTP/1.1\r\nHost: x", "es"),
        (b"POST /api/forms/contact?x=1&lang=es", "es"),  # the line still arriving
        (b"POST /api/forms/contact?lang=es&lang=en HTTP/1.1", "en"),  # the last, as Starlette
        (b"POST /api/forms/contact?lang=fr HTTP/1.1", "en"),
        (b"POST /api/forms/contact?lang=e", "en"),  # cut off
        (b"\xff\xfe garbage", "en"),
        (b"", "en"),
    ],
)
def test_the_language_of_a_request_is_read_from_its_first_bytes(head: bytes, lang: str):
    assert language_of_head(head) == lang


def test_headers_that_trickle_in_get_408_after_the_header_timeout(limited: Service):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as sock:
        sock.sendall(b"POST /api/forms/contact?lang=es HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(40):  # one header byte every quarter second: under any size cap
                sock.sendall(b"X")
                time.sleep(0.25)
        except (BrokenPipeError, ConnectionResetError):
            pass
        head, body = answer_parts(read_answer(sock))
    assert head.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 6
    assert "llegó demasiado despacio" in body and "1-888-373-7888" in body


def test_a_connection_that_sends_nothing_is_closed(limited: Service):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as sock:
        started = time.monotonic()
        head, body = answer_parts(read_answer(sock))
    assert head.startswith(b"HTTP/1.1 408 ") and time.monotonic() - started < 5
    assert "arrived too slowly" in body  # nothing says which language: the default


def test_ordinary_requests_pass_on_a_kept_alive_connection(limited: Service):
    big_but_fine = {f"X-Header-{i}": "v" * 100 for i in range(50)}  # about 6 KB
    with limited.client() as client:
        for _ in range(3):
            assert client.get("/api/healthz", headers=big_but_fine).status_code == 200
        time.sleep(2.5)  # longer than the header timeout, between requests
        r = client.post(
            "/api/forms/volunteer", data=valid_form(message="m" * 1900), headers=big_but_fine
        )
    assert r.status_code == 200
    post(limited)  # and the JSON path


def fed_until_closed(sock: socket.socket, chunk: bytes, every: float, times: int) -> bytes:
    """Send `chunk` every `every` seconds, at most `times` times, until the service closes
    the connection; what it answered meanwhile."""
    sock.settimeout(every)
    answer = b""
    for _ in range(times):
        try:
            sock.sendall(chunk)
            received = sock.recv(65536)
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return answer
        if not received:
            return answer
        answer += received
    raise AssertionError(f"still open after {times * every:.0f} s: {answer[:200]!r}")


def test_blank_lines_after_a_request_do_not_keep_the_connection_open(limited: Service):
    """uvicorn's keep-alive timer stops at any byte: a CRLF every few seconds held a
    connection for ever. They start the next request's header clock instead."""
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        answer = fed_until_closed(sock, b"\r\n", 0.5, 20)
    assert answer.startswith(b"HTTP/1.1 200 ") and b"HTTP/1.1 408 " in answer
    assert time.monotonic() - started < 6


@pytest.mark.parametrize("path", ["/api/healthz", "/no-such-page", "/desk/sign-in", "/"])
def test_a_body_nobody_reads_cannot_be_trickled_in_for_ever(limited: Service, path: str):
    """A page, a 404 or the desk's sign-in page answers without reading the body; the
    body's time limit holds the connection to it all the same."""
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(
            b"GET %s HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" % path.encode()
        )
        started = time.monotonic()
        answer = fed_until_closed(sock, b"x", 0.25, 40)
    assert answer.startswith((b"HTTP/1.1 200 ", b"HTTP/1.1 404 "))
    assert time.monotonic() - started < 5


def test_a_request_pipelined_in_the_same_read_is_held_to_the_header_cap(limited: Service):
    small = b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    big = b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: %s\r\n" % (b"a" * 8000) * 15
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(small + big + b"\r\n")
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.count(b"HTTP/1.1 200 ") == 1
    assert b"HTTP/1.1 431 " in answer


@pytest.mark.parametrize("writes", [1, 2])
def test_every_request_before_an_oversized_one_gets_its_answer_then_the_refusal(
    limited: Service, writes: int
):
    """Three requests pipelined before one whose headers pass the cap: three answers in
    order, then the 431, then the connection closes; whether the oversized one came in
    the same write or in the next."""
    small = b"GET /api/healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    big = b"GET /api/healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if writes == 1:
            sock.sendall(small * 3 + big)
        else:
            sock.sendall(small * 3)
            sock.sendall(big)
        answer = read_answer(sock)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"200", b"200", b"431"], answer[-300:]
    assert answer.count(b'{"status":"ok"}') == 3


UNREAD = "closed a connection: its answers were not read"


def never_reading(service: Service, site_dir: Path) -> socket.socket:
    """A client that asks for the site's largest file again and again, pipelined in one
    write, and reads nothing: more than loopback's socket buffers (4 MiB) hold."""
    biggest = max((p for p in site_dir.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    path = "/" + biggest.relative_to(site_dir).as_posix()
    times = min(200, -(-16 * 1024 * 1024 // biggest.stat().st_size))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
    sock.settimeout(5)
    sock.connect(("127.0.0.1", service.port))
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode() * times)
    return sock


def closed_by_the_service(sock: socket.socket) -> bool:
    """Read what the service sent before it dropped the connection, up to its end."""
    try:
        for _ in range(10_000):  # 640 MB at most: far more than any buffer holds
            if not sock.recv(65536):
                return True
    except ConnectionResetError:
        return True
    return False


def test_a_client_that_never_reads_its_answers_is_closed(start_service, smtp, site_dir):
    """Sending requests and reading no answer held a connection for ever: the answer
    being written waited on a full buffer, and the header clock waited on the answer."""
    service = start_service(smtp.port, FORMS_WRITE_TIMEOUT="1", FORMS_HEADER_TIMEOUT="2")
    with never_reading(service, site_dir) as sock:
        wait_until(lambda: UNREAD in service.log(), 30, "the unread connection to be closed")
        assert closed_by_the_service(sock)
    with service.client() as client:  # and the service goes on answering others
        assert client.get("/api/healthz").status_code == 200


def test_a_connection_closed_mid_answer_leaves_one_line_in_the_log(start_service, smtp, site_dir):
    """Under uvloop, as `forms-service serve` runs: the answer being written to a
    connection closed under it wrote to a closed transport, and the log got a RuntimeError
    with its whole traceback; now one INFO line, naming no client."""
    service = start_service(smtp.port, process=True, FORMS_WRITE_TIMEOUT="1")
    ours = []
    for _ in range(2):
        with never_reading(service, site_dir) as sock:
            ours.append(str(sock.getsockname()[1]))
            wait_until(lambda: service.log().count(UNREAD) == len(ours), 30, "the close")
    with service.client() as client:  # answered after anything the closes set off
        assert client.get("/api/healthz").status_code == 200
    log = service.log()
    lines = [line for line in log.splitlines() if "closed a connection" in line]
    assert [line.split(" ", 2)[2] for line in lines] == [f"INFO forms_service.http: {UNREAD}"] * 2
    assert "Traceback" not in log and "RuntimeError" not in log and "ERROR" not in log
    assert not any(port in line for line in lines for port in ours)
