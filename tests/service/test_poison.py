"""No one submission can stop delivery, and no address typed by a visitor turns into another."""

from __future__ import annotations

import email
import json
import sqlite3
import threading
import time
from email.policy import default
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import MultiDict

from forms_service.forms.addresses import ascii_form, shown
from forms_service.forms.definitions import VOLUNTEER
from forms_service.forms.validation import validate
from forms_service.mail import emails, queue, sending
from forms_service.mail.outbox import Worker
from forms_service.settings import Settings
from forms_service.storage import schema, store, submissions

from ..support import (
    BadSmtpServer,
    Service,
    SmtpServer,
    serving,
    text_part,
    valid_form,
    wait_until,
)
from .test_delivery import API, JSON, cli, post

ENCODED_WORDS = [
    "=?UTF-8?Q?a=0D=0A?=@example.com",  # decodes to a line break: the parser raises
    "=?utf-8?q?x=40evil.example=2C?=@example.com",  # decodes to another address and a comma
    "=?utf-8?b?eEBldmlsLmV4YW1wbGU=?=@example.com",  # the same, base64
]


def stored_as_an_older_version_would(service: Service, address: str, data: str = "") -> str:
    """A submission written straight into the database, as before intake refused it."""
    reference = submissions.new_reference()
    conn = store.connect(service.database)
    with store.transaction(conn):
        data = data or json.dumps(valid_form(name="Stored earlier", email=address))
        cur = conn.execute(
            "INSERT INTO submissions (reference, form, data, fingerprint, created_at)"
            " VALUES (?, 'volunteer', ?, ?, ?)",
            (reference, data, reference, store.now()),
        )
        conn.execute(
            "INSERT INTO outbox (submission_id, kind, next_attempt_at, created_at)"
            " VALUES (?, 'coordinators', 0, ?)",
            (cur.lastrowid, store.now()),
        )
    conn.close()
    return reference


@pytest.mark.parametrize("address", ENCODED_WORDS)
def test_a_poison_address_is_refused_and_the_next_volunteer_is_delivered(
    service: Service, smtp: SmtpServer, address: str
):
    with service.client() as client:
        r = client.post(API, data=valid_form(email=address), headers=JSON)
    assert r.status_code == 422
    assert "=?" in r.json()["errors"]["email"]
    reference = post(service, name="Next volunteer")
    (message,) = smtp.inbox.wait_for(1)
    assert reference in message["Subject"]


def test_a_poison_row_already_stored_is_set_aside_and_delivery_goes_on(
    service: Service, smtp: SmtpServer
):
    poisons = [stored_as_an_older_version_would(service, a) for a in ENCODED_WORDS]
    reference = post(service, name="After the poison")
    smtp.inbox.wait_for(1)
    time.sleep(0.5)
    assert [m["Subject"] for m in smtp.inbox.messages] == [f"New volunteer interest ({reference})"]
    rows = service.rows(
        "SELECT s.reference, o.status, o.last_error FROM outbox o"
        " JOIN submissions s ON s.id = o.submission_id"
    )
    for poison in poisons:
        assert (poison, "dead", "could not build the email: UnsafeAddress") in rows
    stats = json.loads(cli(service, "stats").stdout)
    assert stats["dead_letter_reasons"] == {"could not build the email: UnsafeAddress": 3}
    listing = cli(service, "list").stdout
    assert listing.count("(could not build the email: UnsafeAddress)") == 3
    assert "evil" not in service.log() and "=?" not in service.log()
    assert service.client().get("/api/readyz").status_code == 200


def test_a_row_damaged_on_disk_is_set_aside_and_delivery_goes_on(service, smtp):
    damaged = stored_as_an_older_version_would(service, "", data='{"name": "cut sho')
    reference = post(service, name="After the damage")
    (message,) = smtp.inbox.wait_for(1)
    assert reference in message["Subject"]
    rows = service.rows(
        "SELECT s.reference, o.status, o.last_error FROM outbox o"
        " JOIN submissions s ON s.id = o.submission_id"
    )
    assert (damaged, "dead", "stored data unreadable") in rows


def test_an_internationalised_domain_is_sent_in_punycode(service: Service, smtp: SmtpServer):
    post(service, email="ada@bücher.example")
    smtp.inbox.wait_for(1)
    assert b"\r\nReply-To: ada@xn--bcher-kva.example\r\n" in smtp.inbox.raw[0]
    assert "ada@bücher.example" in text_part(smtp.inbox.messages[0])  # as the volunteer typed


def test_a_local_part_that_needs_smtputf8_is_refused_with_a_clear_message(service: Service):
    with service.client() as client:
        r = client.post(API, data=valid_form(email="josé@example.com"), headers=JSON)
    assert r.status_code == 422
    assert "plain letters (a to z)" in r.json()["errors"]["email"]


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "at most 64 characters"), ("es", "64 caracteres")]
)
def test_a_local_part_over_64_characters_is_refused_in_the_persons_language(lang, words):
    posted = MultiDict(valid_form(email="a" * 65 + "@example.com"))
    assert words in validate(VOLUNTEER, posted, lang).errors["email"]
    assert not validate(VOLUNTEER, MultiDict(valid_form(email="a" * 64 + "@example.com"))).errors


# ---------- the worker itself ----------


def worker_settings(tmp_path: Path, smtp: SmtpServer | None = None, **overrides) -> Settings:
    smtp_settings = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port} if smtp else {}
    values = {
        "database": tmp_path / "forms.sqlite3",
        "mail_dir": tmp_path / "mail",
        "smtp_timeout": 2,
        "retry_base_seconds": 0.3,
        "poll_seconds": 0.2,
        # The digest would go out mid-test after its hour and be counted as one more email.
        "digest_hour": None,
        **smtp_settings,
        **overrides,
    }
    return Settings(**values)


def submit(conn: sqlite3.Connection, email_address: str, acknowledge: bool = False) -> str:
    sub = submissions.NewSubmission(
        "volunteer",
        validate(VOLUNTEER, MultiDict(valid_form(email=email_address))).data,
        acknowledge_hash=email_address if acknowledge else None,
    )
    with store.transaction(conn):
        (accepted,) = submissions.insert_batch(conn, [sub], store.now(), 0)
    return accepted.reference


THREAD_DIES = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


class DiesOnce:
    """A transport whose first send ends its thread, as an escaping BaseException would."""

    def __init__(self, inner: sending.Transport) -> None:
        self.inner = inner
        self.died = False

    def send(self, message, to=None):
        if not self.died:
            self.died = True
            raise SystemExit  # not an Exception: nothing in the loop catches it
        return self.inner.send(message, to)

    def close(self) -> None:
        self.inner.close()


@THREAD_DIES
def test_a_worker_thread_that_stops_is_started_again(tmp_path: Path):
    settings = worker_settings(tmp_path)
    conn = store.connect(settings.database)
    schema.migrate(conn)
    transport = DiesOnce(sending.FileTransport(settings.mail_dir))
    worker = Worker(settings, transport)
    submit(conn, "first@example.com")
    worker.start()
    wait_until(lambda: transport.died and not worker.running, what="the thread to die")
    assert worker.ensure_running() is False  # it had stopped, and runs again
    assert worker.running
    wait_until(lambda: list(settings.mail_dir.glob("*.eml")), what="the email written")
    worker.stop()


@THREAD_DIES
def test_readyz_is_503_while_delivery_is_not_running(tmp_path: Path):
    from forms_service.app import create_app

    settings = worker_settings(tmp_path, poll_seconds=60.0, site_dir=tmp_path / "no-site")
    app = create_app(settings)
    worker = app.state.services.worker
    worker.transport = DiesOnce(sending.FileTransport(settings.mail_dir))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/api/readyz").status_code == 200
        headers = {"Origin": "http://127.0.0.1:8000", "Accept": "application/json"}
        assert client.post(API, data=valid_form(), headers=headers).status_code == 201
        wait_until(lambda: not worker.running, what="delivery to stop")
        ready = client.get("/api/readyz")
        assert ready.status_code == 503 and ready.json()["delivery"] == "not running"
        worker.ensure_running()  # what the watchdog does every FORMS_POLL_SECONDS
        assert client.get("/api/readyz").status_code == 200


def test_one_message_refused_for_now_does_not_hold_up_the_others(tmp_path, smtp: SmtpServer):
    smtp.inbox.refuse_recipients["stuck@example.com"] = "451 4.2.0 Mailbox busy"
    settings = worker_settings(tmp_path, smtp)
    conn = store.connect(settings.database)
    schema.migrate(conn)
    submit(conn, "stuck@example.com", acknowledge=True)  # its acknowledgement is refused
    others = [submit(conn, f"v{i}@example.com") for i in range(3)]
    worker = Worker(settings)
    started = store.now()
    worker.deliver_batch(conn)  # one pass: coordinators 1, acknowledgement 1, coordinators 2..4
    assert len(smtp.inbox.messages) == 4
    assert all(any(r in m["Subject"] for m in smtp.inbox.messages) for r in others)
    (ack,) = conn.execute(
        "SELECT status, next_attempt_at, last_error FROM outbox WHERE kind = 'acknowledgement'"
    ).fetchall()
    assert ack["status"] == "pending" and ack["next_attempt_at"] > started + 0.1  # backoff
    assert ack["last_error"] == "recipients refused: 451"
    assert worker._failures == 0  # the server is not taken for down
    worker.transport.close()


# ---------- the property: one Reply-To, the one validated ----------

ADDRESS_PIECES = st.sampled_from(
    [
        "=?",
        "?=",
        "utf-8",
        "?q?",
        "?b?",
        "=40",
        "=2C",
        "=0D=0A",
        ",",
        '"',
        "<",
        ">",
        "@",
        "a",
        ".",
        "+",
        "x",
        "example.com",
        "ü",
        " ",
        "\r\n",
        "\x00",
        "\u202e",
        "(",
        ")",
        ";",
        ":",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    address=st.one_of(
        st.emails(),
        st.lists(ADDRESS_PIECES, min_size=1, max_size=12).map("".join),
        st.tuples(st.lists(ADDRESS_PIECES, max_size=6).map("".join), st.emails()).map("".join),
    )
)
def test_the_email_carries_exactly_the_validated_reply_to(address: str):
    result = validate(VOLUNTEER, MultiDict(valid_form(email=address)))
    if "email" in result.errors:
        return
    local, _, domain = result.data["email"].rpartition("@")
    expected = (local, domain.encode("idna").decode())
    # Reply-To of the coordinators' email, To of the volunteer's acknowledgement
    for kind, header in (("coordinators", "Reply-To"), ("acknowledgement", "To")):
        message = queue.Message(1, kind, 1, "V-TESTTEST", "volunteer", result.data, 0.0)
        built = emails.build(message, Settings(email_details="full"))
        parsed = email.message_from_bytes(built.as_bytes(), policy=default)
        (value,) = parsed.get_all(header)
        (only,) = value.addresses
        assert (only.username, only.domain) == expected
        assert not value.defects


# ---------- text-direction controls ----------


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069"])
def test_text_direction_controls_are_refused_on_one_line_and_inert_in_the_email(control):
    for field in ("name", "location", "languages", "phone", "email"):
        result = validate(VOLUNTEER, MultiDict(valid_form(**{field: f"abc{control}def"})))
        assert "text-direction" in result.errors.get(field, "") or field in ("phone", "email")
        assert field in result.errors
    result = validate(VOLUNTEER, MultiDict(valid_form(message=f"pay {control}gnp.exe")))
    assert result.ok and result.data["message"] == f"pay {control}gnp.exe"  # stored as typed
    message = queue.Message(1, "coordinators", 1, "V-TESTTEST", "volunteer", result.data, 0.0)
    built = emails.build(message, Settings(email_details="full"))
    for part in ("plain", "html"):
        body = built.get_body((part,)).get_content()
        assert f"pay [U+{ord(control):04X}]gnp.exe" in body and control not in body


# ---------- a hostile or broken mail server ----------


@pytest.mark.parametrize("mode", ["endless", "long"])
def test_a_hostile_mail_server_cannot_exhaust_the_service(start_service, mode):
    bad = BadSmtpServer(mode)
    try:
        service = start_service(bad.port, FORMS_SMTP_TIMEOUT="2")
        process = service.process()
        reference = post(service)
        wait_until(lambda: bad.connections >= 1, what="a connection to the bad server")
        before = process.memory_info().rss
        wait_until(lambda: bad.connections >= 3, timeout=20, what="attempts that end and retry")
        grown = process.memory_info().rss - before
        assert grown < 20 * 1024 * 1024, f"memory grew by {grown} bytes"
        (row,) = service.rows(
            "SELECT o.status, o.last_error FROM outbox o JOIN submissions s"
            " ON s.id = o.submission_id WHERE s.reference = ?",
            reference,
        )
        assert row[0] in ("pending", "sending")  # a temporary failure, never a dead letter
        assert "reply" in service.log() and "dead letter" not in service.log()
    finally:
        bad.stop()


def test_a_reply_trickled_byte_by_byte_ends_the_attempt_in_time(start_service):
    bad = BadSmtpServer("trickle")  # a byte every 0.2 s: each read alone is quick
    try:
        service = start_service(bad.port, FORMS_SMTP_TIMEOUT="1")
        reference = post(service)
        started = time.monotonic()
        wait_until(lambda: "timed out" in service.log(), timeout=15, what="the attempt to end")
        assert time.monotonic() - started < 8  # 1 s a reply, 3 s an attempt, not a minute
        (row,) = service.rows(
            "SELECT o.status, o.last_error FROM outbox o JOIN submissions s"
            " ON s.id = o.submission_id WHERE s.reference = ? AND o.kind = 'coordinators'",
            reference,
        )
        assert row[0] in ("pending", "sending") and "timed out" in row[1]
    finally:
        bad.stop()


class HangsUntilReleased:
    """A transport whose first send does not return until the test says so."""

    def __init__(self, inner: sending.Transport) -> None:
        self.inner = inner
        self.release = threading.Event()

    def send(self, message, to=None):
        self.release.wait(30)
        return self.inner.send(message, to)

    def close(self) -> None:
        self.inner.close()


def test_readyz_is_503_while_delivery_is_stuck_in_one_attempt(tmp_path: Path):
    from forms_service.app import create_app

    settings = worker_settings(tmp_path, smtp_timeout=0.2, site_dir=tmp_path / "no-site")
    app = create_app(settings)
    worker = app.state.services.worker
    worker.transport = hang = HangsUntilReleased(sending.FileTransport(settings.mail_dir))
    try:
        with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            headers = {"Origin": "http://127.0.0.1:8000", "Accept": "application/json"}
            assert client.post(API, data=valid_form(), headers=headers).status_code == 201
            wait_until(lambda: worker.stuck, what="the attempt to outlast its lease")
            ready = client.get("/api/readyz")
            assert ready.status_code == 503 and ready.json()["delivery"] == "not running"
            assert worker.ensure_running() is False
            hang.release.set()
            wait_until(lambda: list(settings.mail_dir.glob("*.eml")), what="the email written")
            assert worker.running and client.get("/api/readyz").status_code == 200
    finally:
        hang.release.set()


def test_two_workers_and_a_slow_server_send_each_email_once(tmp_path, smtp: SmtpServer, caplog):
    smtp.inbox.stall_seconds = 0.3  # slow but healthy: well within the 1 s timeout
    settings = worker_settings(tmp_path, smtp, smtp_timeout=1)  # lease 8 s; the batch lasts 18
    conn = store.connect(settings.database)
    schema.migrate(conn)
    for i in range(60):
        submit(conn, f"v{i}@example.com")
    workers = [Worker(settings), Worker(settings)]
    try:
        workers[0].start()
        time.sleep(0.5)  # the first claims the whole backlog
        workers[1].start()
        wait_until(
            lambda: not conn.execute("SELECT 1 FROM outbox WHERE status != 'sent'").fetchone(),
            timeout=60,
            what="every email sent",
        )
    finally:
        for worker in workers:
            worker.stop()
    ids = [m["Message-ID"] for m in smtp.inbox.messages]
    # only an attempt that timed out after the server took the email may repeat it
    timeouts = sum("timed out" in r.getMessage() for r in caplog.records)
    assert len(set(ids)) == 60 and len(ids) - 60 <= timeouts, (len(ids), timeouts)


def test_a_coordinator_refused_for_now_gets_the_email_later_and_no_one_twice(
    tmp_path, smtp: SmtpServer
):
    smtp.inbox.refuse_recipients["second@example.org"] = "452 4.2.2 Mailbox full"
    coordinators = ("coordinators@example.org", "second@example.org")
    settings = worker_settings(tmp_path, smtp, coordinators=coordinators)
    conn = store.connect(settings.database)
    schema.migrate(conn)
    reference = submit(conn, "ada@example.com")
    worker = Worker(settings)
    worker.deliver_batch(conn)
    assert smtp.inbox.envelopes[-1][1] == ["coordinators@example.org"]
    (row,) = conn.execute("SELECT status, last_error FROM outbox").fetchall()
    assert tuple(row) == ("pending", "1 recipient(s) refused for now: 452")
    del smtp.inbox.refuse_recipients["second@example.org"]  # the mailbox has room again
    conn.execute("UPDATE outbox SET next_attempt_at = 0")
    worker.deliver_batch(conn)
    assert [rcpts for _, rcpts in smtp.inbox.envelopes] == [
        ["coordinators@example.org"],
        ["second@example.org"],
    ]
    assert all(reference in m["Subject"] for m in smtp.inbox.messages)
    assert conn.execute("SELECT status FROM outbox").fetchone()[0] == "sent"
    worker.transport.close()


def test_coordinators_read_an_address_in_ascii_first():
    """In process: the form the headers use, then how it was written when that differs."""
    assert shown("a@example.com") == "a@example.com"
    assert shown("maria@b\u00fccher.de") == "maria@xn--bcher-kva.de (written maria@b\u00fccher.de)"
    assert shown("not an address") == ascii_form("not an address") == "not an address"
