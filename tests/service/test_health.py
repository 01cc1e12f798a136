"""Health checks that stay cheap under load and tell the public nothing; redirects that
never trust the Host header."""

from __future__ import annotations

import socket

import httpx
import pytest

from ..support import Service, wait_until
from .test_delivery import post


def heartbeat(service: Service) -> float:
    return service.rows("SELECT at FROM heartbeat")[0][0]


def test_readyz_writes_at_most_once_every_few_seconds(service: Service):
    with service.client() as client:
        first = client.get("/api/readyz")
        written = heartbeat(service)
        answers = [client.get("/api/readyz") for _ in range(30)]
    assert first.status_code == 200 and {a.status_code for a in answers} == {200}
    assert heartbeat(service) == written  # thirty calls, no new write
    assert answers[-1].json()["dead_letters"] == 0  # figures for a request on the server


@pytest.mark.parametrize(
    "header",
    [
        {"x-nf-sign": "anything"},
        {"x-nf-client-connection-ip": "203.0.113.5"},
        {"x-forwarded-for": "203.0.113.5"},
        {"forwarded": "for=203.0.113.5"},
    ],
)
def test_through_a_proxy_readyz_gives_the_status_alone(service: Service, header):
    post(service)
    with service.client() as client:
        ready = client.get("/api/readyz", headers=header)
        alive = client.get("/api/healthz", headers=header)
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    assert alive.status_code == 200 and alive.json() == {"status": "ok"}


def raw_get(service: Service, target: str, host: str) -> bytes:
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("target", ["/volunteer", "//volunteer", "/volunteer?x=1"])
def test_a_folder_redirect_is_relative_whatever_the_host_header(service: Service, target):
    answer = raw_get(service, target, "evil.example")
    head = answer.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 307")
    (location,) = [line for line in head.split("\r\n") if line.startswith("location:")]
    assert location.split(":", 1)[1].strip() in ("/volunteer/", "/volunteer/?x=1")


def test_the_forms_redirects_are_relative_too(service: Service):
    r = httpx.get(f"{service.url}/api/forms/volunteer", headers={"Host": "evil.example"}, timeout=5)
    assert r.status_code == 303 and r.headers["location"].startswith("/volunteer/")


def test_readyz_of_a_web_process_without_a_worker_follows_the_separate_worker(start_service, smtp):
    fast = {"FORMS_SMTP_TIMEOUT": "0.5"}  # a worker is missed after 2 leases (13 s here)
    web = start_service(smtp.port, command=("serve", "--no-worker"), **fast)
    with web.client() as client:
        alone = client.get("/api/readyz")
        assert alone.status_code == 503 and alone.json()["delivery"] == "not running"
        worker = start_service(smtp.port, command=("worker",), **fast)
        assert client.get("/api/readyz").status_code == 200
        reference = post(web)
        smtp.inbox.wait_for(1)
        assert reference in smtp.inbox.messages[0]["Subject"]
        worker.kill()
        wait_until(
            lambda: client.get("/api/readyz").status_code == 503,
            timeout=25,
            what="readyz to notice the worker is gone",
        )
