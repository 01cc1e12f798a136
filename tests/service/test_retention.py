"""Personal data is really gone when retention says so, and never readable by other users."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from forms_service.mail import outbox

from ..support import Service, SmtpServer, wait_until
from .test_delivery import cli, post, status

OLD = 100 * 86400  # past the default retention of 90 days


def age(service: Service, *references: str) -> None:
    """Make these submissions, and every acknowledgement record, look 100 days old."""
    conn = sqlite3.connect(service.database)
    with conn:
        conn.executemany(
            "UPDATE submissions SET created_at = created_at - ? WHERE reference = ?",
            [(OLD, r) for r in references],
        )
        conn.execute("UPDATE acknowledgements SET day = '2000-01-01'")
    conn.close()


def database_bytes(service: Service) -> bytes:
    files = [service.database, Path(f"{service.database}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_purge_removes_everything_past_retention_from_the_files_too(start_service, smtp):
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    delivered = post(service, name="Purgemarker Delivered", email="gone1@example.com")
    wait_until(lambda: status(service, delivered) == "sent", what="delivered")
    wait_until(  # its acknowledgement too, before the server starts refusing
        lambda: service.rows("SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)],
        what="the acknowledgement delivered",
    )
    smtp.inbox.replies = ["550 5.1.1 No such mailbox"] * 2
    dead = post(service, name="Purgemarker Deadletter", email="gone2@example.com")
    wait_until(lambda: status(service, dead) == "dead", what="a dead letter")
    smtp.stop()
    waiting = post(service, name="Purgemarker Waiting", email="gone3@example.com")
    age(service, delivered, dead, waiting)
    recent = post(service, name="Keptmarker Recent", email="kept@example.com")
    assert b"Purgemarker" in database_bytes(service)  # the test would see them if they stayed
    result = cli(service, "purge")
    assert result.returncode == 0, result.stderr
    assert "Deleted 3 submission(s) older than 90 days (2 of them never delivered)" in (
        result.stdout
    )
    assert service.rows("SELECT reference FROM submissions") == [(recent,)]
    assert service.rows(
        "SELECT count(*) FROM outbox WHERE submission_id NOT IN (SELECT id FROM submissions)"
    ) == [(0,)]
    assert service.rows("SELECT count(*) FROM acknowledgements") == [(1,)]  # today's, kept
    contents = database_bytes(service)
    for gone in (b"Purgemarker", b"gone1@example", b"gone2@example", b"gone3@example"):
        assert gone not in contents
    assert b"Keptmarker" in contents
    if shutil.which("strings"):  # binutils: what an operator would run; bytes checked above
        strings = subprocess.run(
            ["strings", service.database, f"{service.database}-wal"],
            capture_output=True,
            text=True,
        )
        assert "Purgemarker" not in strings.stdout


def test_acknowledgement_records_are_keyed_hashes(start_service, smtp):
    service = start_service(smtp.port, FORMS_ACKNOWLEDGE="true")
    post(service, email="Thanked@Example.com")
    smtp.inbox.wait_for(2)
    key_file = Path(f"{service.database}.key")
    key = bytes.fromhex(key_file.read_text())
    (stored,) = service.rows("SELECT address_hash FROM acknowledgements")
    assert stored[0] == hmac.new(key, b"thanked@example.com", hashlib.sha256).hexdigest()
    assert stored[0] != hashlib.sha256(b"thanked@example.com").hexdigest()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_purge_removes_old_email_files(start_service):
    service = start_service(None)  # no SMTP server: emails are files
    old = post(service, name="Old one")
    mail = service.workdir / "mail"
    wait_until(lambda: list(mail.glob(f"{old}*.eml")), what="the email file")
    (left,) = mail.glob(f"{old}*.eml")  # as a crash between writing and renaming leaves it
    (mail / "tmpabc123.tmp").write_bytes(left.read_bytes())
    past = time.time() - OLD
    for path in mail.iterdir():
        os.utime(path, (past, past))
    age(service, old)
    new = post(service, name="New one")
    wait_until(lambda: list(mail.glob(f"{new}*.eml")), what="the new email file")
    (mail / "tmpnew456.tmp").write_bytes(b"being written now")
    now = time.time()  # the service's clock, as for the old files: not the disk's
    os.utime(mail / "tmpnew456.tmp", (now, now))
    result = cli(service, "purge")
    assert "and 2 email file(s)" in result.stdout
    assert [p.name.split(".")[0] for p in mail.glob("*.eml")] == [new]
    assert [p.name for p in mail.glob("*.tmp")] == ["tmpnew456.tmp"]  # not yet ten minutes old


# ---------- file modes ----------


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_with_personal_data_are_private_whatever_the_umask(
    umask_022, start_service, tmp_path
):
    service = start_service(None, FORMS_ACKNOWLEDGE="true")  # file mode: .eml files too
    reference = post(service)
    mail = service.workdir / "mail"
    wait_until(lambda: list(mail.glob(f"{reference}*.eml")), what="the email file")
    backup, export = tmp_path / "backup.sqlite3", tmp_path / "export.csv"
    assert cli(service, "backup", str(backup)).returncode == 0
    assert cli(service, "export", "-o", str(export)).returncode == 0
    database = service.database
    private = [database, Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}.key")]
    private += [backup, export, *mail.glob("*.eml"), Path(f"{database}.delivery")]
    assert {str(p): mode(p) for p in private} == {str(p): 0o600 for p in private}
    assert mode(mail) == 0o700


# ---------- operators' mistakes ----------


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forms_service", *args],
        env={**os.environ, "FORMS_DATABASE": str(tmp_path / "nothing" / "forms.sqlite3"), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args", [("list",), ("stats",), ("export",), ("purge",), ("retry",), ("show", "1")]
)
def test_a_command_without_a_database_is_refused_and_creates_none(tmp_path, args):
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2
    assert "no database at" in result.stderr and "FORMS_DATABASE" in result.stderr
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("days", ["0", "-1"])
def test_purge_of_zero_days_or_fewer_is_refused(service: Service, days):
    post(service)
    result = cli(service, "purge", "--days", days)
    assert result.returncode == 2 and "1 or more" in result.stderr
    assert service.rows("SELECT count(*) FROM submissions") == [(1,)]


def test_backup_onto_the_live_database_is_refused(service: Service, smtp: SmtpServer, tmp_path):
    reference = post(service)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(service.database)
    for target in (service.database, link, Path(f"{service.database}-wal")):
        for force in ((), ("--force",)):
            result = cli(service, "backup", str(target), *force)
            assert result.returncode == 2 and "is the live database" in result.stderr
    assert service.rows("SELECT reference FROM submissions") == [(reference,)]
    assert service.rows("PRAGMA integrity_check") == [("ok",)]


def test_export_onto_a_live_file_is_refused_and_changes_nothing(start_service, tmp_path):
    service = start_service(None, FORMS_ACKNOWLEDGE="true")  # the key file exists too
    reference = post(service)
    database = service.database
    live = [database, *(Path(f"{database}{end}") for end in ("-wal", "-shm", ".key"))]
    mail = service.workdir / "mail"
    wait_until(lambda: len(list(mail.glob(f"{reference}*.eml"))) == 2, what="both emails")
    before = {path: path.read_bytes() for path in (live[0], live[3])}
    assert all(before.values())
    link = tmp_path / "link.csv"
    link.symlink_to(database)
    for target in [*live, link]:
        result = cli(service, "export", "-o", str(target), "--force")
        assert result.returncode == 2 and "is the live database" in result.stderr, target
    assert {path: path.read_bytes() for path in before} == before
    assert live[1].read_bytes()[:3] == bytes.fromhex("377f06")  # still a write-ahead log
    assert service.rows("SELECT reference FROM submissions") == [(reference,)]
    assert cli(service, "stats").returncode == 0


def test_an_existing_file_is_replaced_by_export_only_with_force(
    umask_022, service: Service, tmp_path
):
    reference = post(service)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    result = cli(service, "export", "-o", str(notes))
    assert result.returncode == 2 and "--force" in result.stderr
    assert notes.read_text() == "my notes\n" and mode(notes) == 0o644
    assert cli(service, "export", "-o", str(notes), "--force").returncode == 0
    assert reference in notes.read_text() and mode(notes) == 0o600


@pytest.mark.parametrize(
    "args",
    [
        ("backup", "{dir}"),
        ("backup", "{dir}/missing/b.sqlite3"),
        ("backup", "{dir}/notes.txt"),
        ("export", "-o", "{dir}"),
        ("export", "-o", "{dir}/missing/e.csv"),
        ("show", "99999999999999999999999"),
        ("show", "²"),  # str.isdigit says it is a digit; int() refuses it
        ("show", "\udcff"),  # a byte that is no UTF-8, as a shell passes it
        ("list", "--limit", "99999999999999999999999"),
        ("list", "--limit", "-1"),
        ("list", "--limit", "0"),
    ],
)
def test_odd_arguments_get_a_one_line_answer_and_touch_nothing(
    umask_022, service: Service, tmp_path, args
):
    post(service)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    result = cli(service, *(a.format(dir=tmp_path) for a in args))
    assert result.returncode in (1, 2) and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3, result.stderr  # argparse: usage + line
    assert notes.read_text() == "my notes\n" and mode(notes) == 0o644
    assert not (tmp_path / "missing").exists()


def test_a_backup_replaces_an_existing_file_only_with_force(service: Service, tmp_path):
    """As export: a path typed a little wrong, or a symlink to another database, must not
    silently replace what is there, a former backup included."""
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE kept (x)")
    conn.close()
    before = other.read_bytes()
    link = tmp_path / "link.sqlite3"
    link.symlink_to(other)
    target = tmp_path / "b.sqlite3"
    assert cli(service, "backup", str(target)).returncode == 0
    reference = post(service)
    for path in (target, link):
        result = cli(service, "backup", str(path))
        assert result.returncode == 2, result.stdout
        assert result.stderr == (
            f"forms-service backup: {path} already exists (add --force to replace it):"
            " nothing was written.\n"
        )
    assert other.read_bytes() == before
    assert cli(service, "backup", str(target), "--force").returncode == 0
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT reference FROM submissions").fetchall() == [(reference,)]
    conn.close()


def test_show_list_and_export_show_text_direction_controls_as_markers(service: Service, tmp_path):
    reference = post(service, message="pay \u202egnp.exe to me")
    shown = cli(service, "show", reference).stdout
    assert "pay [U+202E]gnp.exe to me" in shown and "\u202e" not in shown
    out = tmp_path / "e.csv"
    assert cli(service, "export", "-o", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "[U+202E]" in text and "\u202e" not in text


def test_the_service_purges_often_enough_for_the_pages_days_to_hold():
    """The pages say a submission is deleted N days after it is sent: the service's own
    purge runs every hour, so none outlives its period by more than that."""
    assert outbox.PURGE_EVERY_SECONDS <= 3600
