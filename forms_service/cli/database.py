"""Commands that keep the database: `purge` (what is past retention), `backup`, and
`restore` (from the Litestream replica)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..mail.emails import inert
from ..mail.outbox import delivery_held, heartbeat_path
from ..settings import Settings
from ..storage import replica, retention
from ..storage.private import create_private
from .base import FORCE, Refused, arg, command, connect, new_output


def _days(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of days, 1 or more, got {raw!r} (0 would delete everything)"
        )
    return int(raw)


@command(
    "purge",
    "delete every submission past retention, and its email files",
    arg("--days", type=_days, help="override FORMS_RETENTION_DAYS"),
)
def cmd_purge(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    conn = connect(settings)
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
        print(
            "The database's log could not be emptied now: a reader holds it (under Litestream"
            " always; Litestream empties it at its next checkpoint, within a minute)."
            " Without Litestream, run purge again.",
            file=sys.stderr,
        )
    return 0


@command(
    "backup",
    "copy the database safely while the service runs",
    arg("path", help="the file to write the copy to"),
    FORCE,
)
def cmd_backup(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """SQLite's online backup: a consistent copy even while the service runs. A file that
    was there (--force) is emptied first: SQLite cannot copy into one that is no database."""
    target_path = new_output(settings, Path(args.path), "backup", force=args.force)
    source = connect(settings)
    os.close(create_private(target_path, truncate=True))
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
    print(f"Backed up {settings.database} to {inert(args.path, one_line=True)}", file=out)
    return 0


def _moment(raw: str) -> datetime:
    """A time with its zone: a restore 'as at 09:00' in an unnamed zone could be hours off."""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f"expected a time with its zone, such as 2026-12-03T09:00:00Z, got {raw!r}"
        )
    return moment


@command(
    "restore",
    "bring the database back from its Litestream replica, checked, into an empty place",
    arg("--at", type=_moment, help="the copy as it was then (ISO 8601 with zone); default newest"),
    arg("--output", "-o", help="restore to this new file instead of FORMS_DATABASE"),
)
def cmd_restore(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Restores into a hidden file beside the target, checks it whole and counts its rows,
    and only then gives it the target's name: the target never holds a partial copy."""
    if settings.litestream_config is None:
        raise Refused(
            "FORMS_LITESTREAM_CONFIG is not set: point it at deploy/litestream.yml, with"
            " LITESTREAM_REPLICA_URL as the service has it."
        )
    target = Path(args.output) if args.output else settings.database
    _refuse_occupied(target)
    _refuse_running(settings, target)
    partial = target.with_name(f".{target.name}.restoring")
    _remove(partial)  # left by a restore that was interrupted
    started = time.monotonic()
    try:
        replica.restore(settings.litestream_config, settings.database, partial, args.at)
        counts = replica.verify(partial)
    except replica.ReplicaError as exc:
        _remove(partial)
        raise Refused(f"{exc}: nothing was restored.") from None
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    which = f"as it was at {args.at.isoformat()}" if args.at else "the newest copy"
    rows = ", ".join(f"{name} {n}" for name, n in counts.items())
    print(
        f"Restored {target} from the replica ({which}) in {time.monotonic() - started:.1f} s."
        f" Integrity check: ok. Rows: {rows}.",
        file=out,
    )
    return 0


def _refuse_occupied(target: Path) -> None:
    """A restore goes into an empty place only: over a database (live or not) it would
    lose whatever that one holds and the replica does not."""
    for path in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        if path.exists():
            raise Refused(
                f"{path} exists: a restore never writes over a database. Stop the service"
                " and move the database and its -wal and -shm files aside, or restore to a"
                " new file with --output."
            )
    if not target.parent.is_dir():
        raise Refused(f"no folder {target.parent}: create it first, or choose another path.")


def _refuse_running(settings: Settings, target: Path) -> None:
    """A service or worker on `target` whose files were moved aside without stopping it
    goes on writing to the ones it holds open, so the restored database would take no
    submission and the next ones would be lost with the moved files. Its heartbeat
    (`<db>.delivery`, locked by every `serve` and `worker` while it runs) says so."""
    heartbeat = heartbeat_path(replace(settings, database=target))
    if delivery_held(heartbeat):
        raise Refused(
            f"a service or worker is still using {target} (it holds {heartbeat}):"
            " stop the service first, then restore."
        )


def _remove(database: Path) -> None:
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)
