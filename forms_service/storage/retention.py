"""Retention: past its form's period (FORMS_RETENTION_DAYS for volunteers,
FORMS_CONTACT_RETENTION_DAYS for the contact form) a submission is gone, wherever it was kept.

The database rows (whatever became of the email), the write-ahead log that still
held them, and the `.eml` files written when no SMTP server is set (and any `.tmp`
one a crash left half-renamed). Run daily by the delivery worker and on demand by
`forms-service purge`. A coordinator's erasure of one person, from the desk, goes as far.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from ..forms.definitions import FORMS
from ..settings import Settings
from . import keys, store

log = logging.getLogger("forms_service.retention")


def periods(settings: Settings, days: int | None = None) -> dict[str, int]:
    """Each form's retention in days: its own setting, or `days` for every form."""
    return {slug: days or getattr(settings, form.retention) for slug, form in FORMS.items()}


@dataclasses.dataclass(frozen=True)
class Purged:
    submissions: int
    undelivered: int  # of those, how many had an email never delivered (dead or waiting)
    files: int = 0  # email files of file mode (counted by purge)
    log_emptied: bool = True  # False if readers kept the write-ahead log from being emptied


def purge(conn: sqlite3.Connection, mail_dir: Path, days: Mapping[str, int]) -> Purged:
    """Delete what is older than each form's period; log how much, by count only."""
    total = Purged(0, 0)
    for slug, period in days.items():
        cutoff = store.now() - period * 86400
        done = purge_form(conn, slug, cutoff)
        files = _purge_files(mail_dir, cutoff, f"{FORMS[slug].prefix}-")
        if done.submissions or files:
            log.info(
                "purged %d submission(s) older than %d days (%d never delivered),"
                " %d email file(s): %s form",
                done.submissions,
                period,
                done.undelivered,
                files,
                slug,
            )
        if not done.log_emptied:
            log.warning("the write-ahead log was busy and still holds purged data until next time")
        total = Purged(
            total.submissions + done.submissions,
            total.undelivered + done.undelivered,
            total.files + files,
            total.log_emptied and done.log_emptied,
        )
    # The other emails (sign-in links, digests) hold no submission: the longest period.
    others = [f"{form.prefix}-" for form in FORMS.values()]
    cutoff = store.now() - max(days.values(), default=0) * 86400
    files = _purge_files(mail_dir, cutoff, skip=tuple(others))
    return dataclasses.replace(total, files=total.files + files)


def purge_form(conn: sqlite3.Connection, form: str, older_than: float) -> Purged:
    """Delete every submission of `form` older than the cut-off, whatever became of its
    email, with its outbox rows; and the acknowledgement records of days before yesterday
    (they only serve to thank an address once a day).

    Then the write-ahead log is checkpointed and truncated, so the deleted values are in
    neither file (secure_delete overwrites them in the database itself).
    """
    with store.transaction(conn):
        undelivered = conn.execute(
            "SELECT count(*) FROM submissions s WHERE form = ? AND created_at < ? AND EXISTS ("
            " SELECT 1 FROM outbox o WHERE o.submission_id = s.id AND o.status != 'sent')",
            (form, older_than),
        ).fetchone()[0]
        deleted = _delete_submissions(conn, "form = ? AND created_at < ?", form, older_than)
        yesterday = datetime.fromtimestamp(store.now() - 86400, UTC).date().isoformat()
        conn.execute("DELETE FROM acknowledgements WHERE day < ?", (yesterday,))
    return Purged(deleted, undelivered, log_emptied=store.checkpoint(conn))


ORPHAN_SECONDS = 600
"""A `.tmp` email file this old was left by a crash between writing and renaming it."""


def _purge_files(
    mail_dir: Path, cutoff: float, prefix: str = "", skip: tuple[str, ...] = ()
) -> int:
    """Remove `.eml` files named `prefix...` older than `cutoff`, and orphaned `.tmp` ones."""
    removed = 0
    orphaned = store.now() - ORPHAN_SECONDS
    for path in mail_dir.glob(f"{prefix}*") if mail_dir.is_dir() else ():
        limit = {".eml": cutoff, ".tmp": orphaned}.get(path.suffix)
        if skip and path.name.startswith(skip):
            continue
        try:
            if limit is not None and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process purged it first
            continue
    return removed


def erase(conn: sqlite3.Connection, settings: Settings, reference: str, by: str) -> bool:
    """A coordinator erases one person, as thoroughly as the purge: the rows (erase_rows),
    the acknowledgement record of their address, the log, and their email files."""
    row = conn.execute("SELECT data FROM submissions WHERE reference = ?", (reference,)).fetchone()
    if row is None:
        return False
    email = str(json.loads(row["data"]).get("email", ""))
    thanked = keys.address_hash(keys.service_key(settings.database), email) if email else None
    if not erase_rows(conn, reference, by, store.now(), thanked):
        return False
    for path in settings.mail_dir.glob(f"{reference}.*.eml") if settings.mail_dir.is_dir() else ():
        path.unlink(missing_ok=True)
    log.info("%s erased by a coordinator", reference)
    return True


def erase_rows(
    conn: sqlite3.Connection, reference: str, by: str, now: float, acknowledged: str | None
) -> bool:
    """Erase one person: their submission, its mail, notes, history and the acknowledgement
    record of their address (`acknowledged`, its keyed hash), leaving only the fact that
    this reference was erased, when and by whom. Then the log is emptied, as by a purge."""
    with store.transaction(conn):
        if not _delete_submissions(conn, "reference = ?", reference):
            return False
        if acknowledged:
            conn.execute("DELETE FROM acknowledgements WHERE address_hash = ?", (acknowledged,))
        conn.execute(
            "INSERT INTO erasures (reference, erased_at, erased_by) VALUES (?, ?, ?)",
            (reference, now, by),
        )
    store.checkpoint(conn)
    return True


def _delete_submissions(conn: sqlite3.Connection, where: str, *params: object) -> int:
    """Delete submissions with everything that hangs on them: outbox rows, notes, history
    (by their foreign keys), and the coordinators' saved searches. The one deletion of the
    retention purge and of a coordinator's erasure, inside the caller's transaction;
    `where` is a literal condition.

    A search holds words typed about someone (a name, an address), and which person they
    were meant for cannot be told from the words, so every saved search goes with anyone
    deleted: a coordinator types it again, and erased means erased."""
    deleted = conn.execute(f"DELETE FROM submissions WHERE {where}", params).rowcount  # noqa: S608
    if deleted:
        conn.execute("UPDATE desk_sessions SET search = '' WHERE search != ''")
    return deleted
