"""The desk's pure logic and its queries, in-process, on a real SQLite file: settings,
the summary email, the digest's timing, the list's paging and the shared deletion."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from forms_service import clock
from forms_service.desk import queries, signin
from forms_service.forms.addresses import canonical, spellings
from forms_service.mail import digest, emails, queue
from forms_service.settings import Settings, SettingsError
from forms_service.storage import keys, retention, schema, store, submissions

VALUES = {
    "name": "Ottoline Vandersteen",
    "email": "ottoline@example.com",
    "phone": "+44 20 7946 0958",
    "message": "I speak Portuguese",
    "help": ["translation"],
    "consent": "yes",
}


def add(conn, count: int = 1, at: float | None = None, **data: object) -> list[str]:
    subs = [
        submissions.NewSubmission("volunteer", {**VALUES, **data, "n": i}) for i in range(count)
    ]
    with store.transaction(conn):
        done = submissions.insert_batch(conn, subs, at or time.time(), 0)
    return [a.reference for a in done]


def test_desk_settings_are_read_and_checked():
    s = Settings.from_env(
        {
            "FORMS_DESK_URL": "https://forms.example.org/desk",
            "FORMS_SESSION_IDLE_MINUTES": "10",
            "FORMS_SESSION_MAX_HOURS": "8",
            "FORMS_FOLLOW_UP_DAYS": "5",
            "FORMS_EMAIL_DETAILS": "FULL",
            "FORMS_DIGEST_HOUR": "off",
            "FORMS_TIMEZONE": "America/Chicago",
        }
    )
    assert (s.desk, s.desk_origin) == (
        "https://forms.example.org/desk/",
        "https://forms.example.org",
    )
    assert (s.session_idle_minutes, s.session_max_hours, s.follow_up_days) == (10, 8, 5)
    assert (s.email_details, s.digest_hour, s.timezone) == ("full", None, "America/Chicago")
    d = Settings.from_env({"FORMS_PORT": "9000"})
    assert (d.desk, d.email_details, d.digest_hour) == ("http://127.0.0.1:9000/desk/", "summary", 8)
    for name, value in [
        ("FORMS_DESK_URL", "ftp://x/desk/"),
        ("FORMS_DESK_URL", "https://x.org/admin/"),
        ("FORMS_TIMEZONE", "Mars/Olympus"),
        ("FORMS_DIGEST_HOUR", "24"),
        ("FORMS_EMAIL_DETAILS", "some"),
    ]:
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_the_summary_email_holds_no_submitted_value_and_full_keeps_todays_email():
    message = queue.Message(1, "coordinators", 1, "V-ABCDEFGH", "volunteer", VALUES, 0.0)
    summary = emails.build(message, Settings(desk_url="https://f.example.org/desk/"))
    raw = summary.as_bytes()
    for key in ("name", "email", "phone", "message"):
        assert str(VALUES[key]).encode() not in raw
    assert summary["Reply-To"] is None
    assert b"https://f.example.org/desk/submissions/V-ABCDEFGH" in raw
    assert b"Translation or interpreting" in raw
    full = emails.build(message, Settings(email_details="full"))
    assert full["Reply-To"] == "ottoline@example.com"
    assert "Ottoline Vandersteen" in full.get_body(("plain",)).get_content()


@pytest.mark.parametrize(
    ("utc_hour", "zone", "hour", "due"),
    [
        (7, "UTC", 8, False),
        (8, "UTC", 8, True),
        (14, "America/Chicago", 8, True),  # 08:30 in Chicago in January
        (13, "America/Chicago", 8, False),
        (23, "Asia/Tokyo", 8, True),  # already the next morning in Tokyo
    ],
)
def test_the_digest_is_due_at_its_hour_in_the_organisations_time_zone(utc_hour, zone, hour, due):
    now = datetime(2026, 1, 15, utc_hour, 30, tzinfo=UTC).timestamp()
    settings = Settings(digest_hour=hour, timezone=zone)
    assert (digest.due_day(settings, now) is not None) is due


@pytest.mark.parametrize(
    ("zone", "month", "readable", "iso"),
    [
        ("UTC", 1, "15 Jan 2026, 14:30 UTC", "2026-01-15T14:30:00+00:00"),
        ("America/Chicago", 1, "15 Jan 2026, 08:30 CST", "2026-01-15T08:30:00-06:00"),
        ("America/Chicago", 7, "15 Jul 2026, 09:30 CDT", "2026-07-15T09:30:00-05:00"),
        # the tz database has no letters for this zone: the offset is named instead
        ("America/Sao_Paulo", 1, "15 Jan 2026, 11:30 UTC-03", "2026-01-15T11:30:00-03:00"),
        ("Asia/Kolkata", 1, "15 Jan 2026, 20:00 IST", "2026-01-15T20:00:00+05:30"),
        ("Asia/Kathmandu", 1, "15 Jan 2026, 20:15 UTC+05:45", "2026-01-15T20:15:00+05:45"),
        ("Pacific/Chatham", 7, "16 Jul 2026, 03:15 UTC+12:45", "2026-07-16T03:15:00+12:45"),
    ],
)
def test_a_time_for_coordinators_names_its_zone_and_a_time_for_machines_has_its_offset(
    zone, month, readable, iso
):
    moment = clock.local(datetime(2026, month, 15, 14, 30, tzinfo=UTC).timestamp(), zone)
    assert (clock.readable(moment), clock.iso(moment)) == (readable, iso)


class Kept:
    """A transport that keeps what it is given (the digest's own logic is under test)."""

    def __init__(self) -> None:
        self.sent: list = []

    def send(self, message) -> str:
        self.sent.append(message)
        return "kept"

    def close(self) -> None:
        """Nothing to close."""


def test_the_digest_says_nothing_on_a_quiet_day_and_speaks_once_otherwise(conn):
    settings = Settings(digest_hour=0)
    transport = Kept()
    now = datetime(2026, 12, 3, 9, tzinfo=UTC).timestamp()  # a minute later is the same day
    assert not digest.send_if_due(conn, settings, transport, now)
    assert transport.sent == []
    conn.execute("DELETE FROM digests")
    add(conn, 2, at=now - 3600)
    add(conn, 1, at=now - 10 * 86400, name="Someone Else")
    assert digest.send_if_due(conn, settings, transport, now)
    assert not digest.send_if_due(conn, settings, transport, now + 60)
    [message] = transport.sent
    assert message["Subject"] == "Volunteers today: 2 new, 1 waiting"
    assert b"Ottoline" not in message.as_bytes()


def test_the_list_pages_by_id_newest_first_and_filters(conn):
    refs = add(conn, 130)
    first = queries.list_page(conn, queries.Filters(), time.time(), 3)
    assert [s.reference for s in first.rows] == refs[::-1][:50]
    assert first.total == 130 and first.newer is None and first.older is not None
    second = queries.list_page(conn, queries.Filters(), time.time(), 3, before=first.older)
    assert [s.reference for s in second.rows] == refs[::-1][50:100]
    back = queries.list_page(conn, queries.Filters(), time.time(), 3, after=second.newer)
    assert back.rows == first.rows
    assert queries.list_page(conn, queries.Filters(area="translation"), 0, 3).total == 130
    assert queries.list_page(conn, queries.Filters(area="admin"), 0, 3).total == 0
    assert queries.list_page(conn, queries.Filters(search="VANDER"), 0, 3).total == 130
    assert queries.list_page(conn, queries.Filters(search="nobody"), 0, 3).rows == []
    assert queries.list_page(conn, queries.Filters(status="closed"), 0, 3).total == 0
    add(conn, 1000, name="Many More")
    assert queries.list_page(conn, queries.Filters(), 0, 3).total == queries.COUNT_LIMIT + 1


def test_retention_purge_takes_notes_and_history_with_the_submission(conn):
    [old] = add(conn, at=time.time() - 100 * 86400)
    sub = queries.find(conn, old)
    queries.add_note(conn, sub, "a note", "c@example.org", time.time())
    queries.set_status(conn, sub, "contacted", "c@example.org", time.time())
    conn.execute("UPDATE outbox SET status = 'sent'")
    assert retention.purge_form(conn, "volunteer", time.time() - 90 * 86400).submissions == 1
    for table in ("submissions", "outbox", "notes", "history"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0  # noqa: S608


def test_erase_deletes_the_acknowledgement_record_and_files_of_that_person_only(conn, tmp_path):
    settings = Settings(database=tmp_path / "forms.sqlite3", mail_dir=tmp_path / "mail")
    key = keys.service_key(settings.database)
    subs = [
        submissions.NewSubmission(
            "volunteer", {**VALUES, "email": e}, acknowledge_hash=keys.address_hash(key, e)
        )
        for e in ("ottoline@example.com", "other@example.com")
    ]
    with store.transaction(conn):
        [gone, kept] = submissions.insert_batch(conn, subs, time.time(), 0)
    settings.mail_dir.mkdir()
    for reference in (gone.reference, kept.reference):
        (settings.mail_dir / f"{reference}.coordinators_at_example.org.eml").write_text("x")
    assert retention.erase(conn, settings, gone.reference, "c@example.org")
    assert not retention.erase(conn, settings, gone.reference, "c@example.org")
    hashes = [row[0] for row in conn.execute("SELECT address_hash FROM acknowledgements")]
    assert hashes == [keys.address_hash(key, "other@example.com")]
    assert [p.name.split(".")[0] for p in settings.mail_dir.iterdir()] == [kept.reference]
    assert queries.find(conn, kept.reference) is not None
    assert queries.erasure(conn, gone.reference)["erased_by"] == "c@example.org"


def test_an_address_is_one_coordinator_however_its_domain_and_case_are_written():
    settings = Settings.from_env({"FORMS_COORDINATORS": "Ops@Exämple.org,b@example.org"})
    for typed in ("ops@exämple.org", " OPS@xn--exmple-cua.org ", "ops@EXÄMPLE.ORG"):
        assert canonical(typed) == "ops@xn--exmple-cua.org"
        assert signin.coordinator(settings, typed) == "Ops@xn--exmple-cua.org"
    assert signin.coordinator(settings, "ops@example.org") is None
    assert signin.coordinator(settings, "not an address") is None


def test_search_words_are_tried_in_both_spellings_of_a_domain():
    assert spellings("a@xn--pple-43d.com") == spellings("a@\u0430pple.com")
    assert spellings("a@\u0430pple.com") == ["a@xn--pple-43d.com", "a@\u0430pple.com"]
    assert spellings("xn--exmple-cua") == ["ex\u00e4mple", "xn--exmple-cua"]
    assert spellings("person 07") == ["person 07"]
    assert "xn--pple" in spellings("xn--pple")  # a part of a label is still searched as typed


def test_a_session_is_stored_hashed_and_expires(conn):
    settings = Settings(coordinators=("c@example.org",))
    now = time.time()
    session_id = signin.open_session(conn, "c@example.org", now)
    assert conn.execute("SELECT id_hash FROM desk_sessions").fetchone()[0] != session_id
    assert signin.load_session(conn, session_id, settings, now + 60) is not None
    assert signin.load_session(conn, session_id, settings, now + 60 + 31 * 60) is None
    assert signin.load_session(conn, session_id, settings, now) is None  # removed for good


def test_a_coordinator_sees_only_their_other_live_sessions_and_no_ids(conn):
    settings = Settings(coordinators=("c@example.org", "d@example.org"))
    now = time.time()
    mine = signin.open_session(conn, "c@example.org", now - 3600)
    phone = signin.open_session(conn, "c@example.org", now - 1800)
    signin.open_session(conn, "c@example.org", now - 13 * 3600)  # past 12 hours: over
    signin.open_session(conn, "d@example.org", now - 60)
    signin.open_session(conn, "gone@example.org", now - 60)  # no longer a coordinator
    with store.transaction(conn):
        conn.execute("UPDATE desk_sessions SET seen_at = ?", (now - 120,))
    session = signin.load_session(conn, mine, settings, now)
    assert session is not None and session.created_at == now - 3600
    others = signin.other_sessions(conn, session, settings, now)
    assert others == [signin.OpenSession("c@example.org", now - 1800, now - 120)]
    everyone = signin.stored_sessions(conn)  # what is stored, whatever these settings say
    assert [(s.address, s.seen_at) for s in everyone] == [
        ("c@example.org", now),
        ("c@example.org", now - 120),
        ("c@example.org", now - 120),
        ("d@example.org", now - 120),
        ("gone@example.org", now - 120),
    ]
    assert [signin.is_live(settings, s, now) for s in everyone] == [1, 1, 0, 1, 0]
    assert signin.stored_sessions(conn, "C@EXAMPLE.ORG") == everyone[:3]
    assert signin.load_session(conn, phone, settings, now) is not None


def test_ending_sessions_ends_one_address_in_any_case_or_all_and_spends_its_links(conn):
    settings = Settings(coordinators=("c@example.org", "d@example.org"))
    now = time.time()
    c = [signin.open_session(conn, "c@example.org", now) for _ in range(2)]
    signin.open_session(conn, "c@example.org", now - 13 * 3600)  # over, but still stored
    d = signin.open_session(conn, "d@example.org", now)
    c_link = signin.create_link(conn, "c@example.org", now)
    d_link = signin.create_link(conn, "d@example.org", now)
    ended = signin.end_sessions(conn, now, "C@Example.org")
    assert [signin.is_live(settings, s, now) for s in ended] == [1, 1, 0]
    assert [tuple(r) for r in conn.execute("SELECT address FROM desk_sessions")] == [
        ("d@example.org",)
    ]
    assert [signin.load_session(conn, i, settings, now) for i in c] == [None, None]
    assert signin.sign_in_by_link(conn, c_link, settings, now) is None
    assert signin.load_session(conn, d, settings, now) is not None
    assert signin.end_sessions(conn, now, "c@example.org") == []
    assert len(signin.end_sessions(conn, now)) == 1
    assert conn.execute("SELECT count(*) FROM desk_sessions").fetchone()[0] == 0
    assert signin.sign_in_by_link(conn, d_link, settings, now) is None


def test_signing_out_everywhere_at_any_moment_of_a_sign_in_by_link_leaves_no_session(tmp_path):
    """The desk's connection signs in by link while another (the CLI's end-sessions, or
    the same desk a moment later) ends the coordinator's sessions at the first moment
    the desk's connection is between transactions with the link spent, or after."""
    path = tmp_path / "forms.sqlite3"
    desk, other = store.connect(path), store.connect(path)
    schema.migrate(desk)
    settings = Settings(coordinators=("c@example.org",))
    now = time.time()
    token = signin.create_link(desk, "c@example.org", now)
    spent = "SELECT 1 FROM sign_in_links WHERE used_at IS NOT NULL"
    ended: list[object] = []

    def each_statement(sql: str) -> None:
        if not ended and not desk.in_transaction and other.execute(spent).fetchone():
            ended.append(signin.end_sessions(other, now, "c@example.org"))

    desk.set_trace_callback(each_statement)
    session_id = signin.sign_in_by_link(desk, token, settings, now)
    desk.set_trace_callback(None)
    assert session_id is not None  # the link worked: the sign-out came after it
    if not ended:
        signin.end_sessions(other, now, "c@example.org")
    assert desk.execute("SELECT count(*) FROM desk_sessions").fetchone()[0] == 0
    assert signin.load_session(desk, session_id, settings, now) is None
    desk.close()
    other.close()


def test_at_most_three_links_work_at_once_for_an_address(conn):
    settings = Settings(coordinators=("c@example.org",))
    now = time.time()
    links = [signin.create_link(conn, "c@example.org", now) for _ in range(3)]
    assert None not in links and signin.create_link(conn, "C@example.org", now) is None
    assert signin.create_link(conn, "d@example.org", now) is not None  # per address
    assert signin.sign_in_by_link(conn, links[2], settings, now) is not None
    assert signin.create_link(conn, "c@example.org", now) is not None  # one was used
    signin.end_sessions(conn, now, "c@example.org")  # spends the rest
    assert signin.create_link(conn, "c@example.org", now) is not None
    assert signin.create_link(conn, "c@example.org", now + 15 * 60 + 1) is not None


def test_a_session_holds_nothing_about_the_device_or_place_as_the_desk_says(conn):
    columns = {row["name"] for row in conn.execute("PRAGMA table_info(desk_sessions)")}
    assert columns == {"id_hash", "address", "csrf", "search", "created_at", "seen_at"}


def test_sessions_that_can_no_longer_be_used_are_forgotten_at_a_sign_in(conn):
    settings = Settings(coordinators=("c@example.org",))
    now = time.time()
    live = signin.open_session(conn, "c@example.org", now - 3600)
    signin.open_session(conn, "c@example.org", now - 13 * 3600)  # past 12 hours
    signin.open_session(conn, "gone@example.org", now - 60)  # no longer a coordinator
    with store.transaction(conn):
        conn.execute("UPDATE desk_sessions SET seen_at = ?", (now - 60,))
    idle = signin.open_session(conn, "c@example.org", now - 3600)
    with store.transaction(conn):  # unused for 31 minutes
        conn.execute(
            "UPDATE desk_sessions SET seen_at = ? WHERE id_hash = ?",
            (now - 31 * 60, signin.digest(idle)),
        )
    link = signin.create_link(conn, "c@example.org", now)
    new = signin.sign_in_by_link(conn, link, settings, now)
    kept = {r[0] for r in conn.execute("SELECT id_hash FROM desk_sessions")}
    assert kept == {signin.digest(live), signin.digest(new)}  # in no particular order


def test_export_is_formula_safe_and_recorded(conn):
    [ref] = add(conn, name="=HYPERLINK(1)", message="+1 and -2")
    subs = queries.export(conn, queries.Filters(), "c@example.org", time.time(), 3)
    from forms_service.desk.export import csv_document, rows_for

    text = csv_document(subs[0].form.fields, ["Reference"], rows_for(subs, "UTC"))
    assert "'=HYPERLINK(1)" in text and "'+1 and -2" in text
    assert json.loads(json.dumps([r["what"] for r in queries.history(conn, subs[0].id)])) == [
        "Exported in a CSV file of 1 submission(s)"
    ]
    assert ref == subs[0].reference
