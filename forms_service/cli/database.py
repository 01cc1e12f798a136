"""Commands that keep the database: `purge` (what is past retention) and `backup`."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import TextIO

from ..settings import Settings
from ..storage import retention
from ..storage.private import touch_private
from .base import arg, command, connect, new_output


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
        print("The database was busy: run purge again to clear its log.", file=sys.stderr)
    return 0


@command(
    "backup",
    "copy the database safely while the service runs",
    arg("path", help="the file to write the copy to"),
)
def cmd_backup(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """SQLite's online backup: a consistent copy even while the service runs."""
    target_path = new_output(settings, Path(args.path), "backup", replace=_is_database)
    source = connect(settings)
    touch_private(target_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
    print(f"Backed up {settings.database} to {args.path}", file=out)
    return 0


def _is_database(path: Path) -> bool:
    """An existing file a backup may replace: an SQLite database (a former backup) or empty."""
    with path.open("rb") as f:
        head = f.read(16)
    return head in (b"", b"SQLite format 3\0")
