"""The coordinators' daily digest: how many arrived, how many wait too long.

Sent once a day, at FORMS_DIGEST_HOUR in FORMS_TIMEZONE, by the delivery worker, and
only when there is something to say. Counts and links to the desk only, never a
volunteer's details. The day is claimed in the database before sending, so several
workers send one digest between them; a failed send gives the day back.
"""

from __future__ import annotations

import sqlite3
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from .. import clock
from ..settings import Settings
from ..storage import store
from .emails import ORGANISATION
from .sending import PermanentFailure, TemporaryFailure, Transport


def due_day(settings: Settings, now: float) -> str | None:
    """Today's date in the organisation's time zone once the digest hour has come."""
    if settings.digest_hour is None:
        return None
    local = clock.local(now, settings.timezone)
    return local.date().isoformat() if local.hour >= settings.digest_hour else None


def counts(conn: sqlite3.Connection, settings: Settings, day: str, now: float) -> tuple[int, int]:
    """Arrived since the last digest (or in the last day), and new ones past the follow-up
    days."""
    since = conn.execute("SELECT max(sent_at) FROM digests WHERE day < ?", (day,)).fetchone()[0]
    arrived = conn.execute(
        "SELECT count(*) FROM submissions WHERE created_at >= ?", (since or now - 86400,)
    ).fetchone()[0]
    waiting = conn.execute(
        "SELECT count(*) FROM submissions WHERE status = 'new' AND created_at < ?",
        (now - settings.follow_up_days * 86400,),
    ).fetchone()[0]
    return arrived, waiting


def build(settings: Settings, day: str, arrived: int, waiting: int) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{ORGANISATION} coordinators' desk <{settings.mail_from}>"
    msg["To"] = ", ".join(settings.coordinators)
    msg["Subject"] = f"Volunteers today: {arrived} new, {waiting} waiting"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(f"digest.{day}", domain=settings.mail_from.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"
    lines = [f"The coordinators' desk on {day}.", ""]
    if arrived:
        lines += [f"{arrived} new offer(s) to volunteer since the last summary:", settings.desk, ""]
    if waiting:
        lines += [
            f"{waiting} still new after more than {settings.follow_up_days} days,"
            " waiting for an answer:",
            f"{settings.desk}?status=new&waiting=1",
            "",
        ]
    msg.set_content("\n".join(lines))
    return msg


def send_if_due(
    conn: sqlite3.Connection, settings: Settings, transport: Transport, now: float
) -> bool:
    """Send today's digest if it is time, not yet done and there is something to say."""
    day = due_day(settings, now)
    if day is None:
        return False
    with store.transaction(conn):
        claimed = conn.execute(
            "INSERT OR IGNORE INTO digests (day, sent_at) VALUES (?, ?)", (day, now)
        ).rowcount
        arrived, waiting = counts(conn, settings, day, now) if claimed else (0, 0)
    if not (arrived or waiting):
        return False
    try:
        transport.send(build(settings, day, arrived, waiting))
    except (TemporaryFailure, PermanentFailure):
        with store.transaction(conn):
            conn.execute("DELETE FROM digests WHERE day = ?", (day,))
        raise
    return True
