"""Accepting a submission: limits before parsing, validation, spam, repeats, headers."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import jwt
import pytest

from ..support import Service, SmtpServer, text_part, valid_form, wait_until

API = "/api/forms/volunteer"
JSON = {"Accept": "application/json"}
SECRET = "a-long-shared-secret-for-the-netlify-proxy"


def count(service: Service) -> int:
    return service.rows("SELECT count(*) FROM submissions")[0][0]


# ---------- limits before parsing ----------


def test_body_over_the_cap_is_refused_with_413(service: Service):
    with service.client() as client:
        r = client.post(API, data=valid_form(message="x" * 70_000), headers=JSON)
    assert r.status_code == 413
    assert "larger than this form accepts" in r.json()["error"]
    assert count(service) == 0


def test_other_content_types_are_refused_with_415(service: Service):
    with service.client() as client:
        r = client.post(API, json=valid_form(), headers=JSON)
        page = client.post(API, content=b"name=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert page.status_code == 415
    assert "only accepts our form from our website" in page.text
    assert count(service) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_posts_from_other_sites_are_refused_with_403(service: Service, headers):
    r = httpx.post(service.url + API, data=valid_form(), headers={**JSON, **headers})
    assert r.status_code == 403
    assert "only be sent from our own website" in r.json()["error"]
    assert count(service) == 0


def test_same_origin_and_non_browser_posts_are_taken(service: Service):
    same_site = httpx.post(
        service.url + API, data=valid_form(name="A"), headers={"Sec-Fetch-Site": "same-origin"}
    )
    no_browser = httpx.post(service.url + API, data=valid_form(name="B"))
    assert same_site.status_code == 200
    assert no_browser.status_code == 200


def test_too_many_posts_from_one_client_get_429_with_retry_after(start_service, smtp):
    service = start_service(smtp.port, FORMS_RATE_LIMIT="3/hour")
    with service.client() as client:
        codes = [
            client.post(API, data=valid_form(name=f"N{i}"), headers=JSON).status_code
            for i in range(4)
        ]
        last = client.post(API, data=valid_form(name="N9"), headers=JSON)
    assert codes == [201, 201, 201, 429]
    assert 3500 < int(last.headers["Retry-After"]) <= 3601
    # the words say the same wait as Retry-After, and where to get help meanwhile
    assert "You can send yours again in 1 hour." in last.json()["error"]
    assert "1-888-373-7888, text 233733, or use TTY 711" in last.json()["error"]
    assert count(service) == 3


def test_only_what_is_stored_counts_toward_the_rate_limit(start_service, smtp):
    """Mistakes corrected, refusals and repeats use up nobody's chance to send;
    a robot caught by the hidden field counts as if it had been stored."""
    service = start_service(smtp.port, FORMS_RATE_LIMIT="3/hour")
    repeat = valid_form(name="Once", idempotency_key="key-1")
    with service.client() as client:

        def post(form: dict[str, object], **headers: str) -> int:
            return client.post(API, data=form, headers={**JSON, **headers}).status_code

        codes = [post(valid_form(email="not an address")) for _ in range(5)]
        codes.append(post(valid_form(message="x" * 70_000)))
        codes += [post(repeat), post(repeat), post(valid_form(website="spam"))]
        codes += [post(valid_form(name="Last")), post(valid_form(name="Too many"))]
    assert codes == [422] * 5 + [413, 201, 201, 201, 201, 429]
    assert count(service) == 2


def post_as_forwarded_visitors(service: Service, count: int) -> list[int]:
    """Posts that each claim, in X-Forwarded-For, to come from a different visitor."""
    with service.client() as client:
        return [
            client.post(
                API,
                data=valid_form(name=f"Visitor {i}"),
                headers={**JSON, "X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(count)
        ]


def test_forwarded_address_is_believed_only_from_a_trusted_proxy(start_service, smtp):
    untrusted = start_service(smtp.port, FORMS_RATE_LIMIT="2/hour")
    # a forged header does not escape the limit
    assert post_as_forwarded_visitors(untrusted, 3) == [201, 201, 429]
    trusted = start_service(smtp.port, FORMS_RATE_LIMIT="2/hour", FORMS_TRUSTED_PROXIES="127.0.0.1")
    # behind our proxy, each visitor has their own limit
    assert post_as_forwarded_visitors(trusted, 3) == [201, 201, 201]


def test_netlify_s_client_address_is_believed_only_on_requests_netlify_signed(start_service, smtp):
    """One proxy in front of the site's /api/ and the desk (the README's layout): a client
    of the desk sends Netlify's header itself, rotating it, and still meets the limit of
    ten sign-in links an hour; on a signed request each visitor counts as themselves."""
    service = start_service(smtp.port, FORMS_TRUSTED_PROXIES="127.0.0.1", FORMS_PROXY_SECRET=SECRET)
    signed = jwt.encode(
        {"iss": "netlify", "exp": int(time.time()) + 300}, SECRET, algorithm="HS256"
    )

    def ask(i: int, **headers: str) -> int:
        headers = {"X-Nf-Client-Connection-Ip": f"203.0.113.{i}", **headers}
        return client.post(
            "/desk/sign-in", data={"email": "x@example.net"}, headers=headers
        ).status_code

    with service.client() as client:
        assert [ask(i, **{"X-Forwarded-For": "198.51.100.1"}) for i in range(11)] == [200] * 10 + [
            429
        ]
        assert [ask(i, **{"X-Nf-Sign": signed}) for i in range(11, 22)] == [200] * 11


def test_with_a_proxy_secret_only_signed_requests_are_taken(start_service, smtp):
    service = start_service(smtp.port, FORMS_PROXY_SECRET=SECRET)
    good = jwt.encode(
        {"iss": "netlify", "site_url": service.url, "exp": int(time.time()) + 300},
        SECRET,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"iss": "netlify"}, "a-different-secret-that-netlify-never-had", algorithm="HS256"
    )
    with service.client() as client:
        unsigned = client.post(API, data=valid_form(name="U"), headers=JSON)
        bad = client.post(API, data=valid_form(name="B"), headers={**JSON, "x-nf-sign": forged})
        ok = client.post(API, data=valid_form(name="G"), headers={**JSON, "x-nf-sign": good})
    assert (unsigned.status_code, bad.status_code, ok.status_code) == (403, 403, 201)
    assert count(service) == 1


# ---------- validation ----------


def test_errors_come_back_as_json_for_scripts(service: Service):
    with service.client() as client:
        r = client.post(
            API,
            data={"name": "", "email": "not-an-email", "help": "juggling", "hours": "lots"},
            headers=JSON,
        )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors["name"] == "Enter your name"
    assert "right format" in errors["email"]
    assert "only from the options" in errors["help"]
    assert "whole number" in errors["hours"]
    assert "consent" in errors
    assert count(service) == 0


def test_errors_come_back_as_the_page_with_summary_and_values_kept(service: Service):
    with service.client() as client:
        r = client.post(
            API,
            data={
                "name": "Kept Name",
                "email": "bad@",
                "message": "Kept <message>",
                "help": "admin",
            },
        )
    assert r.status_code == 422
    page = r.text
    assert "<title>Error: " in page
    assert "There is a problem" in page
    assert 'href="#f-email"' in page and 'href="#f-consent"' in page
    assert 'id="f-email-error"' in page and 'aria-invalid="true"' in page
    assert 'value="Kept Name"' in page
    assert "Kept &lt;message&gt;" in page  # kept, and escaped
    assert 'value="admin" checked' in page
    assert "data-quick-exit" in page and "1-888-373-7888" in page  # it looks like the site


def test_email_is_normalised_and_text_is_cleaned(service: Service, smtp: SmtpServer):
    with service.client() as client:
        r = client.post(
            API,
            data=valid_form(name="  Zoë  ", email="Zoe@EXAMPLE.com", help=["technology", "admin"]),
            headers=JSON,
        )
    assert r.status_code == 201
    (message,) = smtp.inbox.wait_for(1)
    assert message["Reply-To"] == "Zoe@example.com"
    body = text_part(message)
    assert "    Zoë\n" in body
    assert "Administrative support; Technology" in body  # form order, people's words


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Line\nbreak"),
        ("name", "Null\x00byte"),
        ("location", "Next\u0085line"),
        ("languages", "Line\u2028separator"),
        ("message", "Bell\x07"),
        ("email", "a@example.com, b@example.com"),
        ("email", "a@example.com\r\nBcc: victim@example.com"),
        ("name", "x" * 121),
        ("message", "x" * 2001),
        ("background", "judge"),
        ("consent", "no"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(service: Service, field, value):
    with service.client() as client:
        r = client.post(API, data=valid_form(**{field: value}), headers=JSON)
    assert r.status_code == 422
    assert field in r.json()["errors"]
    assert count(service) == 0


def test_a_message_of_exactly_2000_characters_with_line_breaks_is_taken(service: Service):
    message = ("Line one\r\n" + "y" * 1989)[:2001]
    with service.client() as client:
        r = client.post(API, data=valid_form(message=message), headers=JSON)
    assert r.status_code == 201


# ---------- spam and repeats ----------


def test_honeypot_looks_like_success_but_is_never_stored_or_emailed(
    service: Service, smtp: SmtpServer
):
    with service.client() as client:
        page = client.post(API, data=valid_form(website="http://spam.example"))
        data = client.post(API, data=valid_form(website="spam"), headers=JSON)
        client.post(API, data=valid_form(name="Real person"))
    assert page.status_code == 200 and "Thank you, we received your message" in page.text
    assert re.search(r"Your reference is <strong>V-[A-Z2-9]{8}</strong>", page.text)
    assert data.status_code == 201 and data.json()["reference"].startswith("V-")
    smtp.inbox.wait_for(1)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 1
    assert "Real person" in text_part(smtp.inbox.messages[0])
    assert count(service) == 1


def test_same_idempotency_key_gives_same_reference_and_one_email(start_service, smtp: SmtpServer):
    service = start_service(smtp.port, FORMS_DUPLICATE_WINDOW_MINUTES="0")  # the key alone
    form = valid_form(idempotency_key="key-123")
    with service.client() as client:
        first = client.post(API, data=form, headers=JSON).json()["reference"]
        again = client.post(API, data=form, headers=JSON)
    assert again.status_code == 201 and again.json()["reference"] == first
    smtp.inbox.wait_for(1)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 1


def test_same_idempotency_key_with_different_answers_is_a_409(service: Service, smtp):
    form = valid_form(idempotency_key="key-123")
    with service.client() as client:
        first = client.post(API, data=form, headers=JSON).json()["reference"]
        changed = client.post(API, data={**form, "message": "changed"}, headers=JSON)
        page = client.post(API, data={**form, "message": "changed"})
    assert changed.status_code == 409 and page.status_code == 409
    assert "already sent with different answers" in changed.json()["error"]
    assert first not in changed.text and "reload the page and send the form again" in page.text
    smtp.inbox.wait_for(1)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 1 and count(service) == 1


def test_same_content_within_minutes_gives_same_reference(service: Service, smtp: SmtpServer):
    with service.client() as client:
        refs = {
            client.post(API, data=valid_form(), headers=JSON).json()["reference"] for _ in range(3)
        }
        other = client.post(API, data=valid_form(name="Someone else"), headers=JSON)
    assert len(refs) == 1
    assert other.json()["reference"] not in refs
    smtp.inbox.wait_for(2)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 2


def test_repeats_sent_at_the_same_moment_still_make_one_submission(start_service, smtp: SmtpServer):
    """Posts that arrive together share one commit; a double click among them stays one."""
    # A 250 slower than the usual 2 s timeout on a busy machine would be sent again (one
    # duplicate, never a loss, as designed) and counted here as a 15th email.
    service = start_service(smtp.port, FORMS_SMTP_TIMEOUT="10")
    forms = [valid_form(idempotency_key="same-click", message=f"try {i}") for i in range(12)]
    forms += [valid_form(idempotency_key="double-click", name="Clicked twice")] * 4
    forms += [valid_form(name=f"Another volunteer {i}") for i in range(12)]

    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=service.url, headers={"Origin": service.url, **JSON}, timeout=10
        ) as client:
            return await asyncio.gather(*(client.post(API, data=form) for form in forms))

    # A thread of its own: asyncio.run needs one with no event loop already running.
    with ThreadPoolExecutor(1) as thread:
        responses = thread.submit(asyncio.run, post_all()).result()
    clicks, double, others = responses[:12], responses[12:16], responses[16:]
    # the same key with other answers is refused; the very same form is one submission
    assert sorted(r.status_code for r in clicks) == [201] + [409] * 11
    assert {r.status_code for r in double + others} == {201}
    (kept,) = [r.json()["reference"] for r in clicks if r.status_code == 201]
    assert len({r.json()["reference"] for r in double}) == 1
    references = [r.json()["reference"] for r in others]
    assert len(set(references)) == 12 and kept not in references
    smtp.inbox.wait_for(14)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 14
    assert count(service) == 14


# ---------- every response ----------


def test_every_service_response_has_security_headers_and_no_store(service: Service):
    with service.client() as client:
        responses = [
            client.post(API, data=valid_form(), headers=JSON),
            client.post(API, data={}, headers=JSON),
            client.post(API, json={}),
            client.get("/api/healthz"),
            client.get("/api/nothing-here"),
        ]
    for r in responses:
        assert r.headers["cache-control"] == "no-store", r.request.url
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
        assert "max-age=63072000" in r.headers["strict-transport-security"]


def test_opening_the_form_address_leads_to_the_form(service: Service):
    r = httpx.get(service.url + API)
    assert r.status_code == 303 and r.headers["location"].startswith("/volunteer/")


def test_submission_reaches_inbox_without_waiting_for_the_poll(start_service, smtp):
    service = start_service(smtp.port, FORMS_POLL_SECONDS="60")
    with service.client() as client:
        client.post(API, data=valid_form(), headers=JSON)
    wait_until(lambda: smtp.inbox.messages, timeout=5, what="delivery woken by the commit")
