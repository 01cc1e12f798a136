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
from pathlib import Path

from . import keys, store
from .forms import FORMS
from .settings import Settings

log = logging.getLogger("forms_service.retention")


def periods(settings: Settings, days: int | None = None) -> dict[str, int]:
    """Each form's retention in days: its own setting, or `days` for every form."""
    return {slug: days or getattr(settings, form.retention) for slug, form in FORMS.items()}


def purge(conn: sqlite3.Connection, mail_dir: Path, days: Mapping[str, int]) -> store.Purged:
    """Delete what is older than each form's period; log how much, by count only."""
    total = store.Purged(0, 0)
    for slug, period in days.items():
        cutoff = store.now() - period * 86400
        done = store.purge(conn, slug, cutoff)
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
        total = store.Purged(
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
