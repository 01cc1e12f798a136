"""Delivering each submission: the email's shape, retries, dead letters, crashes, faults."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from forms_service.storage import schema

from ..desk import sign_in
from ..support import (
    ROOT,
    Service,
    SmtpServer,
    html_part,
    text_part,
    valid_form,
    wait_until,
    writer_of,
)

API = "/api/forms/volunteer"
JSON = {"Accept": "application/json"}


def post(service: Service, **fields: object) -> str:
    with service.client() as client:
        r = client.post(API, data=valid_form(**fields), headers=JSON)
    assert r.status_code == 201, r.text
    return r.json()["reference"]


def status(service: Service, reference: str) -> str:
    return service.rows(
        "SELECT o.status FROM outbox o JOIN submissions s ON s.id = o.submission_id"
        " WHERE s.reference = ? AND o.kind = 'coordinators'",
        reference,
    )[0][0]


def cli(
    service: Service, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The operators' command on the service's database, in its environment or `env`."""
    return subprocess.run(
        [sys.executable, "-m", "forms_service", *args],
        env=service.env if env is None else env,
        cwd=service.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )


# ---------- the email ----------


def test_email_headers_and_body(service: Service, smtp: SmtpServer):
    reference = post(
        service,
        name="Mary <b>Shelley</b>",
        email="mary@example.org",
        phone="+1 (555) 010-9999",
        location="Chicago",
        help=["documents", "legal-research"],
        background="student",
        hours="6",
        languages="English, Italian",
        message="Line one\nLine <script>alert(1)</script>",
    )
    (message,) = smtp.inbox.wait_for(1)
    assert message["From"] == "The Mission volunteer form <volunteer-form@example.org>"
    assert message["To"] == "coordinators@example.org, second@example.org"
    assert message["Reply-To"] == "mary@example.org"
    assert message["Subject"] == f"New volunteer interest ({reference})"
    assert message["Message-ID"] == f"<{reference}.coordinators@example.org>"
    assert smtp.inbox.envelopes[0] == (
        "volunteer-form@example.org",
        ["coordinators@example.org", "second@example.org"],
    )
    text = text_part(message)
    labels = [
        "Your name",
        "Email address",
        "Phone number",
        "City or time zone",
        "Ways you would like to help",
        "Paralegal background",
        "Hours a month",
        "Languages",
        "Anything else",
        "Consent given",
    ]
    positions = [text.index(label) for label in labels]
    assert positions == sorted(positions)  # fields in form order
    assert "Legal research and drafting; Document preparation" in text
    assert "    Line <script>alert(1)</script>" in text  # plain text is plain
    html = html_part(message)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Mary &lt;b&gt;Shelley&lt;/b&gt;" in html
    # no submitted text in any header but the validated address
    headers = " ".join(f"{k}: {v}" for k, v in message.items())
    assert "Shelley" not in headers and "Chicago" not in headers


def test_acknowledgement_at_most_once_a_day_per_address(start_service, smtp):
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    first = post(service, email="vol@example.com")
    post(service, email="vol@example.com", message="a second, different message")
    post(service, email="other@example.com")
    messages = smtp.inbox.wait_for(5)
    time.sleep(0.5)
    acks = [m for m in messages if m["To"] != "coordinators@example.org, second@example.org"]
    assert sorted(m["To"] for m in acks) == ["other@example.com", "vol@example.com"]
    ack = next(m for m in acks if m["To"] == "vol@example.com")
    assert first in ack["Subject"]
    assert "Reply-To" not in ack


def test_acknowledgement_at_most_once_a_day_per_inbox_however_it_is_spelt(start_service, smtp):
    """name+tag@ and capitals reach the same inbox, and at Gmail dots do not matter: each
    spelling is not a new chance to fill someone's inbox (or to tell a watcher twice)."""
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    spellings = [
        "vol@example.com",
        "Vol+forms@Example.COM",
        "VOL+other@example.com",
        "a.b.c@gmail.com",
        "abc+x@gmail.com",
        "A.bc@googlemail.com",
        "v.ol@example.com",  # another person at a company: a dot may matter there
    ]
    for i, address in enumerate(spellings):
        post(service, email=address, message=f"message {i}")
    messages = smtp.inbox.wait_for(len(spellings) + 3)
    time.sleep(0.5)
    acks = [
        m["To"]
        for m in smtp.inbox.messages
        if m["To"] != "coordinators@example.org, second@example.org"
    ]
    assert sorted(acks) == ["a.b.c@gmail.com", "v.ol@example.com", "vol@example.com"]
    assert len(messages) == len(spellings) + 3


def test_acknowledgement_is_off_by_default(service: Service, smtp: SmtpServer):
    post(service)
    smtp.inbox.wait_for(1)
    time.sleep(0.5)
    assert len(smtp.inbox.messages) == 1


# ---------- the mail server misbehaves ----------


def test_mail_server_down_when_posted_then_delivered_when_up(start_service, tmp_path):
    smtp = SmtpServer()  # not started: nothing listens on its port
    service = start_service(smtp.port)
    started = time.monotonic()
    with service.client() as client:
        r = client.post(API, data=valid_form())
    assert r.status_code == 200 and time.monotonic() - started < 2
    wait_until(lambda: "connection" in service.log(), what="a failed attempt")
    smtp.start()
    try:
        (message,) = smtp.inbox.wait_for(1, timeout=15)
        assert "Ada Volunteer" in text_part(message)
    finally:
        smtp.stop()


def test_a_backlog_does_not_hammer_a_server_that_is_down(start_service):
    """While the server is unreachable the worker waits it out, with one attempt per pause,
    rather than one failed attempt per waiting message; all arrive once it is back."""
    smtp = SmtpServer()  # not started
    service = start_service(smtp.port)
    references = [post(service, name=f"Backlog {i}") for i in range(30)]
    time.sleep(3)
    failed_attempts = service.log().count("failed (connection")
    assert 1 <= failed_attempts < 15
    smtp.start()
    try:
        smtp.inbox.wait_for(30, timeout=20)
        subjects = {re.search(r"V-\w+", m["Subject"])[0] for m in smtp.inbox.messages}
        assert subjects == set(references)
    finally:
        smtp.stop()


def test_temporary_refusal_is_retried(service: Service, smtp: SmtpServer):
    smtp.inbox.replies = ["451 4.3.0 Try again later"]
    reference = post(service)
    smtp.inbox.wait_for(1, timeout=15)
    wait_until(lambda: status(service, reference) == "sent", what="marked sent")
    assert service.rows("SELECT attempts FROM outbox")[0][0] == 2


def test_permanent_refusal_is_a_dead_letter_until_retry(service: Service, smtp: SmtpServer):
    smtp.inbox.replies = ["550 5.1.1 Mailbox unavailable"]
    reference = post(service)
    wait_until(lambda: status(service, reference) == "dead", what="a dead letter")
    ready = service.client().get("/api/readyz").json()
    assert ready["dead_letters"] == 1
    wait_until(lambda: "dead letter" in service.log(), what="the dead-letter log line")
    result = cli(service, "retry")
    assert "1 dead letter(s) queued again" in result.stdout
    smtp.inbox.wait_for(1, timeout=15)
    wait_until(lambda: status(service, reference) == "sent", what="sent after retry")


def test_days_of_failures_make_a_dead_letter(start_service):
    smtp = SmtpServer()  # never started
    service = start_service(smtp.port, FORMS_GIVE_UP_HOURS="0.0005")  # under two seconds
    reference = post(service)
    wait_until(lambda: status(service, reference) == "dead", timeout=15, what="giving up")
    wait_until(lambda: "gave up" in service.log(), what="the give-up log line")


def test_a_stalled_server_times_out_and_the_next_submission_is_unaffected(
    service: Service, smtp: SmtpServer
):
    smtp.inbox.stall_seconds = 6  # longer than FORMS_SMTP_TIMEOUT=2
    first = post(service, name="First")
    wait_until(lambda: "connection: timed out" in service.log(), 10, "the attempt to time out")
    smtp.inbox.stall_seconds = 0
    started = time.monotonic()
    second = post(service, name="Second")
    assert time.monotonic() - started < 1.5  # accepted at once
    wait_until(lambda: status(service, second) == "sent", timeout=15, what="second delivered")
    wait_until(lambda: status(service, first) == "sent", timeout=20, what="first delivered")


def test_killed_right_after_accepting_loses_nothing(start_service, tmp_path):
    smtp = SmtpServer().start()
    smtp.inbox.stall_seconds = 0.3  # the kill lands while messages are being delivered
    service = start_service(smtp.port, FORMS_SMTP_TIMEOUT="1", process=True)
    references = {post(service, name=f"Volunteer {i}") for i in range(15)}
    service.kill()
    smtp.inbox.stall_seconds = 0
    restarted = start_service(smtp.port, FORMS_SMTP_TIMEOUT="1")
    try:
        wait_until(
            lambda: (
                {re.search(r"V-\w+", m["Subject"])[0] for m in smtp.inbox.messages} >= references
            ),
            timeout=40,
            what="every accepted submission delivered",
        )
        conn = sqlite3.connect(restarted.database)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 15
    finally:
        smtp.stop()


def test_delivery_keeps_going_while_submissions_keep_arriving(start_service, smtp):
    """Delivery steps aside for a flood of submissions, but is never starved by it."""
    # its own process: a flood from the test's own threads would compete with the
    # service's for one interpreter, and the test would measure itself
    service = start_service(smtp.port, FORMS_RATE_LIMIT="100000/minute", process=True)
    references: list[str] = []
    delivered_during_flood = 0
    deadline = time.monotonic() + 3
    with service.client() as client:
        while time.monotonic() < deadline and len(references) < 1000:
            r = client.post(API, data=valid_form(name=f"Flood {len(references)}"), headers=JSON)
            references.append(r.json()["reference"])
            delivered_during_flood = len(smtp.inbox.messages)
    assert delivered_during_flood > 0
    smtp.inbox.wait_for(len(references), timeout=60)
    time.sleep(0.5)
    subjects = [re.search(r"V-\w+", m["Subject"])[0] for m in smtp.inbox.messages]
    assert sorted(subjects) == sorted(references)


def test_two_processes_share_the_outbox_without_double_sending(start_service, smtp, tmp_path):
    one = start_service(smtp.port, process=True)
    two = start_service(smtp.port, workdir=tmp_path, process=True)  # same database file
    references = [post(one if i % 2 else two, name=f"P{i}") for i in range(20)]
    smtp.inbox.wait_for(20, timeout=20)
    time.sleep(1)
    subjects = [m["Subject"] for m in smtp.inbox.messages]
    assert len(subjects) == 20
    assert {re.search(r"V-\w+", s)[0] for s in subjects} == set(references)


# ---------- the writer process ----------


def test_the_form_keeps_working_after_its_writer_process_dies(service: Service, smtp):
    post(service, name="Before")
    writer = writer_of(service)
    writer.kill()
    writer.wait(5)
    time.sleep(0.2)  # the service hears of the death, as it would between two volunteers
    reference = post(service, name="After")
    assert writer_of(service).pid != writer.pid
    assert service.rows("SELECT count(*) FROM submissions") == [(2,)]
    smtp.inbox.wait_for(2)
    assert any(reference in m["Subject"] for m in smtp.inbox.messages)


def test_a_writer_that_dies_mid_batch_costs_a_503_never_a_hang(service: Service):
    post(service, name="Before")
    writer = writer_of(service)
    writer.suspend()  # the next batch waits in its input
    with service.client() as client, ThreadPoolExecutor(1) as pool:
        during = pool.submit(client.post, API, data=valid_form(name="During"), headers=JSON)
        time.sleep(0.5)  # the batch is now in the writer's input, not on disk
        writer.kill()
        answer = during.result(timeout=10)
    assert answer.status_code == 503 and "try again" in answer.json()["error"]
    post(service, name="After")
    assert [
        name
        for (name,) in service.rows(
            "SELECT json_extract(data, '$.name') FROM submissions ORDER BY id"
        )
    ] == ["Before", "After"]


@pytest.mark.parametrize("ending", ["stop", "kill"])
def test_the_writer_process_never_outlives_the_service(start_service, smtp, ending):
    service = start_service(smtp.port, process=True)
    post(service)
    writer = writer_of(service)
    getattr(service, ending)()  # SIGTERM, as systemd does; SIGKILL, as the OOM killer does
    writer.wait(10)
    assert not writer.is_running()


# ---------- the database cannot be written ----------


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real filesystem of our own (tmpfs) that can be made read-only; needs root."""
    if os.geteuid() != 0:
        pytest.skip("mounting a filesystem needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_read_only_database_answers_503_and_never_2xx(start_service, smtp, small_disk, tmp_path):
    first = start_service(smtp.port, workdir=tmp_path, FORMS_DATABASE=str(small_disk / "f.db"))
    post(first, name="Before")
    first.stop()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    service = start_service(smtp.port, workdir=tmp_path, FORMS_DATABASE=str(small_disk / "f.db"))
    with service.client() as client:
        page = client.post(API, data=valid_form(name="During"))
        data = client.post(API, data=valid_form(name="During"), headers=JSON)
        ready = client.get("/api/readyz")
        home = client.get("/")
    assert page.status_code == 503 and "has not been sent" in page.text
    assert data.status_code == 503 and "try again" in data.json()["error"]
    assert ready.status_code == 503
    assert home.status_code == 200  # the site itself still works
    service.stop()
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    after = start_service(smtp.port, workdir=tmp_path, FORMS_DATABASE=str(small_disk / "f.db"))
    post(after, name="After")
    assert after.rows("SELECT count(*) FROM submissions") == [(2,)]


def test_schema_version_is_recorded(service: Service):
    post(service)
    assert service.rows("PRAGMA user_version") == [(len(schema.MIGRATIONS),)]
    assert service.rows("PRAGMA journal_mode") == [("wal",)]


def test_cli_runs_from_a_fresh_checkout():
    result = subprocess.run(
        [sys.executable, "-m", "forms_service", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and "send-test-email" in result.stdout


def test_a_look_alike_domain_reads_as_what_it_is_in_the_email_and_the_desk(
    start_service, smtp: SmtpServer
):
    """Cyrillic letters that look like apple.com: the coordinators read the ASCII form
    Reply-To holds first, in the email's body and on the desk, and its reply link uses it."""
    service = start_service(smtp.port, FORMS_EMAIL_DETAILS="full")
    reference = post(service, email="user@\u0430\u0440\u0440\u04cf\u0435.com")
    (message,) = smtp.inbox.wait_for(1)
    assert message["Reply-To"] == "user@xn--80ak6aa92e.com"
    shown = "user@xn--80ak6aa92e.com (written user@\u0430\u0440\u0440\u04cf\u0435.com)"
    assert shown in text_part(message) and shown in html_part(message)
    client = sign_in(service, smtp)
    page = client.get(f"/desk/submissions/{reference}").text
    client.close()
    assert shown in page
    assert 'href="mailto:user@xn--80ak6aa92e.com?subject=' in page
