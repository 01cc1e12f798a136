"""`forms-service`: the coordinators' and operators' commands."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TextIO

from .desk import signin
from .desk.export import csv_document, when
from .forms.addresses import UnsafeAddress, ascii_form, canonical, shown
from .forms.definitions import FORMS, VOLUNTEER
from .mail import emails, queue, sending
from .settings import Settings, SettingsError
from .storage import overview, retention, schema, store
from .storage.private import create_private, touch_private

MAX_LIMIT = 100_000


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # python-multipart's warnings about a broken body quote bytes of it: what a person
    # sent never goes to the log, and the person already gets a 400 saying so.
    logging.getLogger("python_multipart").setLevel(logging.ERROR)


class Refused(Exception):
    """An operator's command that would do something other than they meant; says why."""


def _connect(settings: Settings):
    """The existing database: a command never creates an empty one where none was meant."""
    if not settings.database.is_file():
        raise Refused(
            f"no database at {settings.database}. Set FORMS_DATABASE to the service's"
            " database (the service creates it when it first starts)."
        )
    try:
        conn = store.connect(settings.database)
        schema.migrate(conn)
    except sqlite3.OperationalError:  # locked, or no room: its own message says it
        raise
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        raise Refused(
            f"{settings.database} cannot be read as the service's database ({exc}):"
            " check FORMS_DATABASE, or restore it from a backup."
        ) from None
    return conn


def cmd_serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    from .app import create_app
    from .web.http import bounded_protocol

    app = create_app(settings, deliver=not args.no_worker)
    where = (
        f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        if settings.uses_smtp
        else f"files under {settings.mail_dir}/ (no SMTP server configured)"
    )
    print(
        f"Serving the site and the volunteer form on http://{settings.host}:{settings.port}/",
        file=out,
    )
    print(f"Submissions: {settings.database}. Emails: {where}. Press Ctrl-C to stop.", file=out)
    out.flush()
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=bounded_protocol(settings.max_header_bytes, settings.header_timeout),
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Deliver the outbox in this process only, until SIGTERM or Ctrl-C."""
    from .app import prepare_database
    from .mail.outbox import Worker

    prepare_database(settings)
    worker = Worker(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    print(f"Delivering the outbox of {settings.database}. Press Ctrl-C to stop.", file=out)
    out.flush()
    while not stop.wait(settings.poll_seconds):
        worker.ensure_running()
    worker.stop()
    return 0


def cmd_list(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    rows = overview.submissions(_connect(settings), args.limit)
    if not rows:
        print("No submissions.", file=out)
    for row in rows:
        data = json.loads(row["data"])
        reason = f"  ({row['last_error']})" if row["last_error"] else ""
        print(
            f"{row['id']:>6}  {row['reference']}  {when(row['created_at'])}  "
            f"{row['status'] or '-':<8} {emails.inert(data.get('name', ''))}"
            f" <{ascii_form(str(data.get('email', '')))}>{reason}",
            file=out,
        )
    return 0


def cmd_show(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    conn = _connect(settings)
    try:
        row = overview.find(conn, args.id)
    except OverflowError:  # an id past SQLite's integers: no such submission
        row = None
    if row is None:
        print(f"No submission {args.id}.", file=sys.stderr)
        return 1
    data = json.loads(row["data"])
    form = FORMS[row["form"]]
    print(f"Reference: {row['reference']}  (id {row['id']})", file=out)
    print(f"Received:  {when(row['created_at'])}", file=out)
    print(f"Email to coordinators: {row['status']} after {row['attempts']} attempt(s)", file=out)
    if row["last_error"]:
        print(f"Last error: {row['last_error']}", file=out)
    for field in form.fields:
        value = data.get(field.name, "")
        if isinstance(value, list):
            value = ", ".join(value)
        elif field.kind == "email" and value:
            value = shown(value)  # ASCII first: a look-alike domain cannot pass
        print(f"{field.label}: {emails.inert(value)}", file=out)
    return 0


def cmd_export(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    rows = overview.submissions(_connect(settings))
    text = csv_document(
        VOLUNTEER.fields,
        ["Reference", "Received (UTC)", "Email status"],
        (
            ([r["reference"], when(r["created_at"]), r["status"] or ""], json.loads(r["data"]))
            for r in reversed(rows)
        ),
    )
    if args.output:
        target = _new_output(settings, Path(args.output), "export", replace=args.force)
        fd = create_private(target, truncate=True)
        with open(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"Wrote {len(rows)} submission(s) to {args.output}", file=sys.stderr)
    else:
        out.write(text)
    return 0


def cmd_retry(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    count = queue.retry_dead(_connect(settings), store.now())
    print(f"{count} dead letter(s) queued again; the running service sends them.", file=out)
    return 0


def cmd_purge(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    conn = _connect(settings)
    log_emptied = True
    for slug, days in retention.periods(settings, args.days).items():
        done = retention.purge(conn, settings.mail_dir, {slug: days})
        log_emptied = log_emptied and done.log_emptied
        print(
            f"Deleted {done.submissions} submission(s) older than {days} days"
            f" ({done.undelivered} of them never delivered) and {done.files} email file(s)"
            f" of the {slug} form.",
            file=out,
        )
    if not log_emptied:
        print("The database was busy: run purge again to clear its log.", file=sys.stderr)
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """SQLite's online backup: a consistent copy even while the service runs."""
    target_path = _new_output(settings, Path(args.path), "backup", replace=_is_database)
    source = _connect(settings)
    touch_private(target_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
    print(f"Backed up {settings.database} to {args.path}", file=out)
    return 0


def _live_files(settings: Settings) -> list[Path]:
    """The service's own files: writing over any of them loses submissions or the key."""
    db = settings.database
    return [db, *(Path(f"{db}{end}") for end in ("-wal", "-shm", ".key", ".delivery"))]


def _new_output(
    settings: Settings, path: Path, what: str, *, replace: bool | Callable[[Path], bool]
) -> Path:
    """`path` if an operator's output may go there; Refused (before any change) otherwise.

    Never one of the live files, a folder or a path in a folder that does not exist; an
    existing file only when `replace` says so (--force, or a former backup).
    """
    if any(_same_file(path, live) for live in _live_files(settings)):
        raise Refused(f"{path} is the live database: give the {what} a path of its own.")
    if path.is_dir():
        raise Refused(f"{path} is a folder: give the {what} a file name.")
    if not path.parent.is_dir():
        raise Refused(f"no folder {path.parent}: create it first, or choose another path.")
    if path.exists() and not (replace(path) if callable(replace) else replace):
        hint = "add --force to replace it" if what == "export" else "it is not a database"
        raise Refused(f"{path} already exists ({hint}): nothing was written.")
    return path


def _is_database(path: Path) -> bool:
    """An existing file a backup may replace: an SQLite database (a former backup) or empty."""
    with path.open("rb") as f:
        head = f.read(16)
    return head in (b"", b"SQLite format 3\0")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def cmd_stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    print(json.dumps(overview.stats(_connect(settings), store.now()), indent=2), file=out)
    return 0


def cmd_sessions(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Every desk session the database holds, for an operator who must check; never an
    id or token. This shell's settings judge nothing: it may not have the service's."""
    sessions = signin.stored_sessions(_connect(settings))
    if not sessions:
        print("No desk sessions.", file=out)
    for s in sessions:
        note = _not_coordinator(settings, s.address)
        print(
            f"{s.address}  signed in {when(s.created_at)}  last used {when(s.seen_at)}"
            + (f"  ({note})" if note else ""),
            file=out,
        )
    return 0


def cmd_end_sessions(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """End a coordinator's desk sessions (a lost phone, someone leaving) while the service
    runs, without editing FORMS_COORDINATORS and restarting."""
    if bool(args.address) == args.all:
        raise Refused(
            "name one coordinator's address, or give --all to end every coordinator's"
            " sessions (not both): nothing was ended."
        )
    address = args.address
    ended = signin.end_sessions(_connect(settings), store.now(), address)
    whose = "of every coordinator" if address is None else f"of {address}"
    print(
        f"Ended {len(ended)} desk session(s) {whose}; sign-in links sent and not used yet"
        " no longer work.",
        file=out,
    )
    if address and (note := _not_coordinator(settings, address)):
        print(f"{address} is {note}.", file=out)
    return 0


def _not_coordinator(settings: Settings, address: str) -> str:
    """A note when this shell's FORMS_COORDINATORS is set and leaves the address out
    (said as this shell's: the service's may differ); nothing when it is not set."""
    if not settings.coordinators_given or signin.coordinator(settings, address):
        return ""
    return "not in this shell's FORMS_COORDINATORS"


def cmd_send_test_email(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(settings.coordinators)
    msg["Subject"] = "Test email from the volunteer form service"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2])
    msg.set_content("If you can read this, the volunteer form can send email to coordinators.\n")
    transport = sending.transport_for(settings)
    try:
        note = transport.send(msg)
    except (sending.TemporaryFailure, sending.PermanentFailure) as exc:
        print(f"Could not send: {exc}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    print(f"Test email {note}.", file=out)
    return 0


COMMANDS: dict[str, tuple[str, Callable[[Settings, argparse.Namespace, TextIO], int]]] = {
    "serve": ("serve the built site and the form API", cmd_serve),
    "worker": ("deliver the outbox only (for a web process run with --no-worker)", cmd_worker),
    "list": ("list submissions, newest first", cmd_list),
    "show": ("show one submission by reference or id", cmd_show),
    "export": ("export all submissions as CSV", cmd_export),
    "retry": ("send dead letters again", cmd_retry),
    "purge": ("delete every submission past retention, and its email files", cmd_purge),
    "send-test-email": ("send a test email to the coordinators", cmd_send_test_email),
    "stats": ("counts of submissions and messages", cmd_stats),
    "backup": ("copy the database safely while the service runs", cmd_backup),
    "sessions": ("list the desk sessions the database holds", cmd_sessions),
    "end-sessions": ("end the desk sessions of one address, or --all", cmd_end_sessions),
}


def _days(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days, 1 or more, got {raw!r} (0 would delete everything)"
        )
    return int(raw)


def _limit(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _address(raw: str) -> str:
    """The address in its canonical form, as the desk compares it (see addresses.canonical)."""
    try:
        return canonical(raw)
    except UnsafeAddress:
        raise argparse.ArgumentTypeError(
            f"expected an email address such as name@example.org, got {raw!r}"
        ) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forms-service", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name, (help_text, _) in COMMANDS.items():
        cp = sub.add_parser(name, help=help_text, description=help_text)
        if name == "serve":
            cp.add_argument(
                "--no-worker",
                action="store_true",
                help="do not deliver email here; run `forms-service worker` separately",
            )
        if name == "list":
            cp.add_argument("--limit", type=_limit, default=50, help="1 to 100000")
        if name == "show":
            cp.add_argument("id", help="reference (V-XXXXXXXX) or id")
        if name == "export":
            cp.add_argument("--csv", action="store_true", default=True, help="CSV (the default)")
            cp.add_argument("--output", "-o", help="write to this file instead of the screen")
            cp.add_argument("--force", action="store_true", help="replace an existing file")
        if name == "backup":
            cp.add_argument("path", help="the file to write the copy to")
        if name == "purge":
            cp.add_argument("--days", type=_days, help="override FORMS_RETENTION_DAYS")
        if name == "end-sessions":
            cp.add_argument("address", nargs="?", type=_address, help="a coordinator's")
            cp.add_argument("--all", action="store_true", help="every coordinator's")
    return p


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"forms-service: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return COMMANDS[args.command][1](settings, args, out)
    except Refused as exc:
        print(f"forms-service {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
