"""Helpers for the desk's tests: sign in with the link the real SMTP server received."""

from __future__ import annotations

import re

import httpx

from .support import Service, SmtpServer, text_part, valid_form, wait_until

COORDINATOR = "coordinators@example.org"
LINK = re.compile(r"https?://\S+/desk/link/[A-Za-z0-9_-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def submit(service: Service, **fields: object) -> str:
    with service.client() as client:
        r = client.post(
            "/api/forms/volunteer",
            data=valid_form(**fields),
            headers={"Accept": "application/json"},
        )
    assert r.status_code == 201, r.text
    return r.json()["reference"]


def ask_for_link(client: httpx.Client, address: str) -> httpx.Response:
    return client.post("/desk/sign-in", data={"email": address})


def link_from(smtp: SmtpServer, count: int) -> str:
    """The link in the count-th sign-in email the server received (other emails, such as
    the coordinators' summaries, may arrive in between)."""

    def links() -> list[str]:
        texts = [text_part(m) for m in smtp.inbox.messages if m["Subject"].startswith("Your link")]
        return [LINK.search(text)[0] for text in texts]

    wait_until(lambda: len(links()) >= count, 10, f"{count} sign-in email(s)")
    return links()[count - 1]


def sign_in(service: Service, smtp: SmtpServer, address: str = COORDINATOR) -> httpx.Client:
    """A client holding a live session cookie, signed in the way a coordinator does."""
    client = service.client()
    before = sum(m["Subject"].startswith("Your link") for m in smtp.inbox.messages)
    assert ask_for_link(client, address).status_code == 200
    link = link_from(smtp, before + 1)
    r = client.post(link.replace(link.split("/desk/")[0], service.url))
    assert r.status_code == 303 and r.headers["location"] == "/desk/", r.text
    return client


def csrf(client: httpx.Client, path: str = "/desk/") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return CSRF.search(page.text)[1]
