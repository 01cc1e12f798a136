"""The safe contact form: over HTTP against the real service and a real SMTP server, and its
per-form rules (summary only, acknowledgement only when asked, its own retention)
in-process on a real SQLite file."""

from __future__ import annotations

import os
import re
import time

import pytest
from starlette.datastructures import FormData

from forms_service.forms.definitions import CONTACT, FORMS
from forms_service.forms.validation import validate
from forms_service.settings import Settings, SettingsError
from forms_service.storage import retention, schema, store, submissions

from ..desk import csrf, sign_in, submit
from ..support import Service, SmtpServer, text_part, valid_contact

API = "/api/forms/contact"
JSON = {"Accept": "application/json"}
VALUES = {
    "name": "Philippa Quennell-Marsh",
    "message": "Unusual-sentence-for-the-contact-test",
    "email": "pq.marsh@example.com",
    "phone": "+1 555 0199 321",
    "good_times": "Tuesdays after nine",
    "bad_times": "Saturday mornings",
}
CHOSEN = {"who": "attorney", "ways": ["email", "text"], "leave_message": "no"}


@pytest.fixture
def contact(start_service, smtp: SmtpServer) -> Service:
    """Set to send full emails and to thank every volunteer: the contact form overrides both."""
    return start_service(smtp.port, FORMS_EMAIL_DETAILS="full", FORMS_ACKNOWLEDGE="true")


def post(service: Service, form: dict[str, object], headers: dict[str, str] = JSON):
    with service.client() as client:
        return client.post(API, data=form, headers=headers)


def outbox_kinds(service: Service) -> list[str]:
    return [kind for (kind,) in service.rows("SELECT kind FROM outbox ORDER BY id")]


def test_the_coordinators_email_holds_none_of_the_values_and_nobody_else_is_written_to(
    contact: Service, smtp: SmtpServer
):
    r = post(contact, {**VALUES, **CHOSEN})
    assert r.status_code == 201, r.text
    reference = r.json()["reference"]
    assert reference.startswith("C-")
    (message,) = smtp.inbox.wait_for(1)
    time.sleep(1)  # time enough for an acknowledgement, if one were queued
    assert len(smtp.inbox.messages) == 1 and outbox_kinds(contact) == ["coordinators"]
    raw = smtp.inbox.raw[0]
    labels = [
        CONTACT.field("who").labels["attorney"],
        "Text message",
        "never leave",
    ]
    for value in [*VALUES.values(), *labels]:
        for piece in (value, value.lower(), value.split("@")[0], value.replace(" ", "")):
            assert piece.encode() not in raw, piece
    assert "Reply-To" not in message
    assert message["To"] == "coordinators@example.org, second@example.org"
    assert message["Subject"] == f"New contact message ({reference})"
    text = text_part(message)
    assert f"{contact.url}/desk/submissions/{reference}" in text
    assert "Areas of help" not in text


def test_an_acknowledgement_goes_only_to_those_who_tick_for_it(contact: Service, smtp: SmtpServer):
    assert post(contact, {**VALUES, **CHOSEN, "acknowledge": "yes"}).status_code == 201
    messages = smtp.inbox.wait_for(2)
    [thanks] = [m for m in messages if m["To"] == VALUES["email"]]
    raw = smtp.inbox.raw[messages.index(thanks)]
    assert thanks["Subject"].startswith("We received your message (C-")
    for value in ("Quennell", "Unusual-sentence", "0199", "Tuesdays", "attorney", "trafficking"):
        assert value.encode() not in raw, value
    assert thanks["From"].addresses[0].display_name == "The Mission"  # an inbox list: no form
    [to_coordinators] = [m for m in messages if m is not thanks]
    assert to_coordinators["From"].addresses[0].display_name == "The Mission contact form"
    assert "A coordinator will read it on our own server." in text_part(thanks)
    assert sorted(outbox_kinds(contact)) == ["acknowledgement", "coordinators"]


def test_only_the_message_and_one_way_back_are_required(contact: Service):
    def errors(form: dict[str, object]) -> set[str]:
        r = post(contact, form)
        assert r.status_code == 422, r.text
        return set(r.json()["errors"])

    assert errors({"message": " "}) == {"message", "ways"}
    assert errors({"message": "Hi", "ways": ["call"]}) == {"phone"}
    assert errors({"message": "Hi", "ways": ["email"]}) == {"email"}
    # an acknowledgement needs an address, whatever the ways back
    assert errors(
        {"message": "Hi", "ways": ["text"], "phone": "555 0100", "acknowledge": "yes"}
    ) == {"email"}
    sent = post(contact, {"message": "Hi", "ways": ["text"], "phone": "555 0100"})
    assert sent.status_code == 201
    assert contact.rows("SELECT count(*) FROM submissions") == [(1,)]


@pytest.mark.parametrize("phone", ["+()-", "12", "(55) 01-00", "x 123"])
@pytest.mark.parametrize("way", ["call", "text"])
def test_a_number_nobody_can_call_or_text_is_refused_in_both_languages(
    contact: Service, way: str, phone: str
):
    """A call or a text promised to `+()-` would never come: the person is asked for the
    whole number, in the language of their page, and nothing is stored."""
    form = valid_contact(ways=[way], email="", phone=phone, message="Kept words")
    r = post(contact, form)
    assert r.status_code == 422
    assert r.json()["errors"] == {"phone": "Enter the whole phone number, with at least 7 digits"}
    with contact.client() as client:
        page = client.post(API + "?lang=es", data=form)
    assert page.status_code == 422 and "Kept words</textarea>" in page.text
    assert "Escribe el teléfono completo, con al menos 7 dígitos" in page.text
    assert contact.rows("SELECT count(*) FROM submissions") == [(0,)]


@pytest.mark.parametrize("lang", ["en", "es"])
def test_without_javascript_a_refusal_shows_the_form_again_with_the_words_typed(
    start_service, smtp: SmtpServer, lang: str
):
    """Over the rate limit (a shared wifi) or from a browser whose Origin is not ours, the
    person's message is not lost: the form comes back holding it, the refusal on top."""
    service = start_service(smtp.port, FORMS_RATE_LIMIT="1/hour")
    action = API + ("?lang=es" if lang == "es" else "")
    words = valid_contact(message="My own words, typed with care", good_times="Tuesday noon")
    with service.client() as client:
        assert client.post(action, data=valid_contact()).status_code == 200
        limited = client.post(action, data=words)
        foreign = client.post(action, data=words, headers={"Origin": "https://elsewhere.example"})
    too_many = {"en": "Too many forms were sent", "es": "Se enviaron demasiados formularios"}
    for page, status in ((limited, 429), (foreign, 403)):
        assert page.status_code == status
        assert "My own words, typed with care</textarea>" in page.text
        assert 'value="Tuesday noon"' in page.text and 'id="contact-form"' in page.text
        assert "<title>Error: " in page.text and 'id="vf-refused"' in page.text
    assert too_many[lang] in limited.text
    assert service.rows("SELECT count(*) FROM submissions") == [(1,)]


def test_a_refusal_page_without_the_form_has_no_table_of_contents(contact: Service):
    """A message page replaces the form page's article: the headings its table of
    contents linked to are gone, so it is gone too."""
    with contact.client() as client:
        large = client.post(API, content=b"x" * 200_000, headers={"Content-Type": "text/plain"})
        big = client.post(
            API, data=valid_contact(message="m" * 100_000)
        )  # over the body cap: nothing to show again
    for page in (large, big):
        assert page.status_code in (413, 415)
        assert "md-nav--secondary" not in page.text and 'href="#email"' not in page.text


def test_without_javascript_the_post_answers_with_pages(contact: Service):
    with contact.client() as client:
        sent = client.post(API, data=valid_contact())
        wrong = client.post(API, data=valid_contact(ways=["call"], message="Kept words"))
        opened = client.get(API)
        unknown = client.post("/api/forms/nothing-here", data=valid_contact())
    assert sent.status_code == 200 and "Thank you, we received your message" in sent.text
    assert "location" not in sent.headers
    assert wrong.status_code == 422
    assert "<title>Error: " in wrong.text and 'id="contact-form"' in wrong.text
    assert "Enter the phone number we may call" in wrong.text
    assert "Kept words</textarea>" in wrong.text
    assert "not for emergencies" in wrong.text  # the Contact page around it
    assert opened.status_code == 303 and opened.headers["location"] == "/contact/#contact-form"
    assert unknown.status_code == 404
    assert contact.rows("SELECT count(*) FROM submissions") == [(1,)]


def test_the_openapi_document_describes_every_form(contact: Service):
    with contact.client() as client:
        doc = client.get("/api/openapi.json").json()
    for form in FORMS.values():
        schema = doc["paths"][form.action]["post"]["requestBody"]["content"][
            "application/x-www-form-urlencoded"
        ]["schema"]
        assert set(schema["properties"]) >= {f.name for f in form.fields}
        assert schema["required"] == [f.name for f in form.fields if f.required]
    contact_schema = doc["paths"][API]["post"]["requestBody"]["content"]["multipart/form-data"][
        "schema"
    ]
    assert contact_schema["required"] == ["message", "ways"]
    assert contact_schema["properties"]["ways"]["items"]["enum"] == ["email", "call", "text"]
    assert "summary" in doc["paths"][API]["post"]["responses"]["201"]["description"]


def test_the_desk_shows_each_forms_submissions_and_the_safe_way_back_first(
    start_service, smtp: SmtpServer
):
    desk = start_service(smtp.port)
    volunteer = submit(desk, name="Vera Volunteer")
    r = post(
        desk,
        valid_contact(
            name="Cora",
            ways=["text"],
            email=None,
            phone="555 0100",
            leave_message="no",
            good_times="after 6 pm",
        ),
    )
    reference = r.json()["reference"]
    client = sign_in(desk, smtp)
    only_contact = client.get("/desk/?form=contact").text
    assert reference in only_contact and volunteer not in only_contact
    assert "Waiting for a safe time" in only_contact and ">Active<" not in only_contact
    assert volunteer in client.get("/desk/?form=volunteer").text
    page = client.get(f"/desk/submissions/{reference}").text
    reach = page.index("Reach them only this way")
    assert reach < page.index("What they sent")
    box = page[reach : page.index("What they sent")]
    assert "Text message" in box and "No, never leave a message" in box and "after 6 pm" in box
    assert "did not choose email" in box and "mailto:" not in page
    assert ">Active<" not in page and "Waiting for a safe time" in page
    token = csrf(client)
    path = f"/desk/submissions/{reference}"
    refused = client.post(f"{path}/status", data={"csrf": token, "status": "active"})
    assert refused.status_code == 400
    assert client.post(f"{path}/status", data={"csrf": token, "status": "replied"}).is_redirect
    assert client.post(f"{path}/notes", data={"csrf": token, "note": "Texted at 7 pm"}).is_redirect
    page = client.get(path).text
    assert "Status changed from New to Replied" in page and "Texted at 7 pm" in page
    export = client.post("/desk/export?form=contact", data={"csrf": token})
    lines = export.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{reference},")
    assert client.post(f"{path}/erase", data={"csrf": token}).status_code == 303
    assert desk.rows("SELECT reference FROM submissions") == [(volunteer,)]
    client.close()


# ---------- in-process: rules and retention ----------


def test_contact_retention_is_a_setting_of_its_own():
    assert Settings().contact_retention_days == 30
    assert Settings.from_env({"FORMS_CONTACT_RETENTION_DAYS": "7"}).contact_retention_days == 7
    with pytest.raises(SettingsError, match="FORMS_CONTACT_RETENTION_DAYS"):
        Settings.from_env({"FORMS_CONTACT_RETENTION_DAYS": "0"})
    assert retention.periods(Settings()) == {"volunteer": 90, "contact": 30}
    assert retention.periods(Settings(), 5) == {"volunteer": 5, "contact": 5}


def test_each_form_is_purged_after_its_own_period(tmp_path):
    conn = store.connect(tmp_path / "forms.sqlite3")
    schema.migrate(conn)
    now = time.time()

    def add(form: str, days_old: int) -> str:
        data = {"message": f"{form} {days_old}", "ways": ["email"], "email": "a@example.com"}
        sub = submissions.NewSubmission(form, data, prefix=FORMS[form].prefix)
        with store.transaction(conn):
            [done] = submissions.insert_batch(conn, [sub], now - days_old * 86400, 0)
        return done.reference

    refs = {(form, days): add(form, days) for form in FORMS for days in (10, 40, 100)}
    mail = tmp_path / "mail"
    mail.mkdir()
    for (_, days), reference in refs.items():
        path = mail / f"{reference}.coordinators_at_example.org.eml"
        path.write_text("x")
        os.utime(path, (now - days * 86400,) * 2)
    done = retention.purge(conn, mail, retention.periods(Settings()))
    kept = {r for (r,) in conn.execute("SELECT reference FROM submissions")}
    assert kept == {refs["volunteer", 10], refs["volunteer", 40], refs["contact", 10]}
    assert (done.submissions, done.files) == (3, 3)
    assert {p.name.split(".")[0] for p in mail.iterdir()} == kept
    conn.close()


def test_validation_needs_the_detail_for_each_way_back():
    class Posted(dict):
        def getlist(self, key):
            value = self.get(key, [])
            return value if isinstance(value, list) else [value]

    result = validate(CONTACT, Posted(message="Hi", ways=["email", "call", "text"]))
    assert result.errors == {
        "email": "Enter the email address we may write to",
        "phone": "Enter the phone number we may call",
    }
    asked = validate(
        CONTACT, Posted(message="Hi", ways=["call"], phone="555 0100", acknowledge="yes")
    )
    assert asked.errors == {  # for the acknowledgement only: no agreeing to be written to
        "email": "Enter the email address for the email saying we received your message"
    }
    ok = validate(CONTACT, Posted(message=" Hi ", ways=["call"], phone="555 0100", acknowledge=""))
    assert ok.ok and ok.data == {"message": "Hi", "ways": ["call"], "phone": "555 0100"}
    assert not validate(CONTACT, Posted(message="Hi", ways=["fax"], phone="5")).ok


def test_the_built_contact_page_holds_the_form_and_true_words(site_dir):
    page = (site_dir / "contact" / "index.html").read_text(encoding="utf-8")
    assert 'id="contact-form"' in page and 'action="/api/forms/contact"' in page
    # nothing typed here is offered for saving or filling on a watched device
    start = page.index('<form class="vf" id="contact-form"')
    form = page[start : page.index("</form>", start)]
    assert form.split(">", 1)[0].count('autocomplete="off"') == 1
    fields = re.findall(r"<(?:input|textarea)\b[^>]*>", form)
    typed = [f for f in fields if 'type="hidden"' not in f and 'type="checkbox"' not in f]
    typed = [f for f in typed if 'type="radio"' not in f]
    assert len(typed) >= 5 and all('autocomplete="off"' in f for f in typed), typed
    volunteer = (site_dir / "volunteer" / "index.html").read_text(encoding="utf-8")
    assert 'autocomplete="name"' in volunteer  # the volunteer form still helps people fill it
    for words in ("not for emergencies", "1-888-373-7888", "233733", "711", "Who reads it"):
        assert words in page, words
    days = f"<strong>{Settings().contact_retention_days} days</strong>"
    assert days in page
    privacy = (site_dir / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "The contact form" in privacy and days in privacy
    thanks = (site_dir / "contact" / "thanks" / "index.html").read_text(encoding="utf-8")
    assert "1-888-373-7888" in thanks and "Exit this page" in thanks


def test_who_is_writing_can_be_brought_back_to_saying_nothing():
    """A chosen radio cannot be unchosen: the last choice says nothing about the person,
    in both languages, and the desk reads it as such."""
    posted = FormData(
        [("message", "Hi"), ("ways", "call"), ("phone", "555 0100"), ("who", "unsaid")]
    )
    result = validate(CONTACT, posted)
    assert result.ok and result.data["who"] == "unsaid"
    assert ("Who is writing", "I would rather not say") in CONTACT.readable(result.data)
    assert CONTACT.field("who").labels["unsaid"].translations["es"] == "Prefiero no decirlo"


def outcome(page: str) -> tuple[str, str]:
    """The reference and the words on the email from a thank-you page the service answered."""
    found = re.search(r'<div class="vf-outcome" id="vf-outcome">(.*?)</div>', page, re.S)
    assert found, "no outcome on the page"
    reference = re.search(r"<strong>([A-Z]-[A-Z2-9]{8})</strong>", found[1])
    assert reference, found[1]
    return reference[1], re.sub(r"<[^>]+>", "", found[1])


def test_the_thank_you_page_says_what_became_of_the_email_and_gives_the_reference(
    contact: Service, smtp: SmtpServer
):
    """Without JavaScript the post's answer is the thank-you page itself: nothing in the
    address, and its words follow the tick box and the once-a-day rule, counted by inbox."""
    asked = {**VALUES, **CHOSEN, "acknowledge": "yes"}
    with contact.client() as client:
        plain = client.post(API, data={**VALUES, **CHOSEN, "message": "First"})
        thanked = client.post(API, data={**asked, "message": "Second"})
        again = client.post(
            API, data={**asked, "message": "Third", "email": "PQ.Marsh+x@example.com"}
        )
        spanish = client.post(API + "?lang=es", data={**asked, "message": "Cuarto"})
        repeat = client.post(API, data={**asked, "message": "Second"})
    for page in (plain, thanked, again, spanish, repeat):
        assert page.status_code == 200 and "location" not in page.headers
        assert "no-store" in page.headers["cache-control"]
    stored = [ref for (ref,) in contact.rows("SELECT reference FROM submissions ORDER BY id")]
    said = [outcome(page.text) for page in (plain, thanked, again, spanish)]
    assert [reference for reference, _ in said] == stored
    assert said[0][1].strip().endswith("We have not sent anything to your email inbox.")
    assert "is on its way to the address you gave" in said[1][1]
    assert "already had one from us today, so we are not sending another" in said[2][1]
    assert "ya recibió uno hoy, así que no enviaremos otro" in said[3][1]
    assert outcome(repeat.text) == said[1]  # a post sent again: the first one's answer
    for page in (plain, thanked):
        assert "unless you ticked the box" not in page.text  # the build's words, replaced
        assert "Quennell" not in page.text and "Tuesdays" not in page.text
    smtp.inbox.wait_for(5)  # four to the coordinators, one acknowledgement
    time.sleep(0.5)
    assert [m["To"] for m in smtp.inbox.messages].count(VALUES["email"]) == 1


def test_the_script_gets_the_same_answer_and_its_page_by_the_key_it_sent(contact: Service):
    key = "a7c6e1c4-3f71-4b44-9d36-0a51b34f2a10"
    with contact.client() as client:
        sent = client.post(
            API,
            data={**VALUES, **CHOSEN, "acknowledge": "yes", "idempotency_key": key},
            headers=JSON,
        )
        page = client.post(API + "/thanks?lang=es", data={"idempotency_key": key})
        unknown = client.post(API + "/thanks", data={"idempotency_key": key + "0"})
        elsewhere = client.post(
            API + "/thanks",
            data={"idempotency_key": key},
            headers={"Origin": "https://evil.example"},
        )
        opened = client.get(API + "/thanks")
    assert sent.status_code == 201
    answer = sent.json()
    assert answer["acknowledgement"] == "sending" and answer["status"] == "received"
    assert page.status_code == 200 and "Gracias, recibimos tu mensaje" in page.text
    reference, words = outcome(page.text)
    assert reference == answer["reference"] and "va en camino" in words
    assert unknown.status_code == 404 and "We could not find your form" in unknown.text
    assert answer["reference"] not in unknown.text
    assert elsewhere.status_code == 403 and answer["reference"] not in elsewhere.text
    assert opened.status_code == 405


def test_the_built_thank_you_pages_say_what_holds_for_anyone(site_dir):
    contact = (site_dir / "contact" / "thanks" / "index.html").read_text(encoding="utf-8")
    assert "If you ticked the box asking for an email" in contact
    assert "at most one a day to the same inbox" in contact
    spanish = (site_dir / "es" / "contact" / "thanks" / "index.html").read_text(encoding="utf-8")
    assert "Si marcaste la casilla" in spanish
    volunteer = (site_dir / "volunteer" / "thanks" / "index.html").read_text(encoding="utf-8")
    assert 'id="vf-outcome"' in volunteer and "ticked the box" not in volunteer
