"""Commands that read the submissions or send their emails again: `list`, `show`,
`export`, `retry`, `stats`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ..desk import queries
from ..desk.export import submissions_csv, when
from ..forms.addresses import ascii_form, shown
from ..forms.definitions import FORMS
from ..mail import emails, queue
from ..settings import Settings
from ..storage import overview, store
from ..storage.private import create_private
from .base import FORCE, arg, command, connect, new_output

MAX_LIMIT = 100_000


def _limit(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


@command(
    "list",
    "list submissions, newest first",
    arg("--limit", type=_limit, default=50, help="1 to 100000"),
)
def cmd_list(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    rows = overview.submissions(connect(settings), args.limit)
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


@command(
    "show",
    "show one submission by reference or id",
    arg("id", help="reference (V-XXXXXXXX) or id"),
)
def cmd_show(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    conn = connect(settings)
    try:
        row = overview.find(conn, args.id)
    except OverflowError:  # an id past SQLite's integers: no such submission
        row = None
    if row is None:
        print(f"No submission {emails.inert(args.id, one_line=True)}.", file=sys.stderr)
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


@command(
    "export",
    "export all submissions as CSV, every form's fields, the form named on each row",
    arg("--csv", action="store_true", default=True, help="CSV (the default)"),
    arg("--output", "-o", help="write to this file instead of the screen"),
    FORCE,
)
def cmd_export(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    rows = queries.every_submission(connect(settings))
    text = submissions_csv(rows, settings.timezone)
    if args.output:
        target = new_output(settings, Path(args.output), "export", force=args.force)
        fd = create_private(target, truncate=True)
        with open(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(
            f"Wrote {len(rows)} submission(s) to {emails.inert(args.output, one_line=True)}",
            file=sys.stderr,
        )
    else:
        out.write(text)
    return 0


@command("retry", "send dead letters again")
def cmd_retry(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    count = queue.retry_dead(connect(settings), store.now())
    print(f"{count} dead letter(s) queued again; the running service sends them.", file=out)
    return 0


@command("stats", "counts of submissions and messages")
def cmd_stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    print(json.dumps(overview.stats(connect(settings), store.now()), indent=2), file=out)
    return 0
