"""Retention: past FORMS_RETENTION_DAYS a submission is gone, wherever it was kept.

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
from pathlib import Path

from . import keys, store
from .settings import Settings

log = logging.getLogger("forms_service.retention")


def purge(conn: sqlite3.Connection, mail_dir: Path, days: int) -> store.Purged:
    """Delete what is older than `days` days; log how much, by count only."""
    cutoff = store.now() - days * 86400
    result = dataclasses.replace(store.purge(conn, cutoff), files=_purge_files(mail_dir, cutoff))
    if result.submissions or result.files:
        log.info(
            "purged %d submission(s) older than %d days (%d never delivered), %d email file(s)",
            result.submissions,
            days,
            result.undelivered,
            result.files,
        )
    if not result.log_emptied:
        log.warning("the write-ahead log was busy and still holds purged data until next time")
    return result


ORPHAN_SECONDS = 600
"""A `.tmp` email file this old was left by a crash between writing and renaming it."""


def _purge_files(mail_dir: Path, cutoff: float) -> int:
    removed = 0
    orphaned = store.now() - ORPHAN_SECONDS
    for path in mail_dir.iterdir() if mail_dir.is_dir() else ():
        limit = {".eml": cutoff, ".tmp": orphaned}.get(path.suffix)
        try:
            if limit is not None and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process purged it first
            continue
    return removed


def erase(conn: sqlite3.Connection, settings: Settings, reference: str, by: str) -> bool:
    """A coordinator erases one person, as thoroughly as the purge: the rows (store.erase),
    the acknowledgement record of their address, the log, and their email files."""
    row = conn.execute("SELECT data FROM submissions WHERE reference = ?", (reference,)).fetchone()
    if row is None:
        return False
    email = str(json.loads(row["data"]).get("email", ""))
    thanked = keys.address_hash(keys.service_key(settings.database), email) if email else None
    if not store.erase(conn, reference, by, store.now(), thanked):
        return False
    for path in settings.mail_dir.glob(f"{reference}.*.eml") if settings.mail_dir.is_dir() else ():
        path.unlink(missing_ok=True)
    log.info("%s erased by a coordinator", reference)
    return True
