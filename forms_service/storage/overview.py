"""What operators read (`forms-service stats`, `list`, `show`, `export`, `/api/readyz`):
counts, and the submissions with the state of their coordinators' email. Nothing here
writes.
"""

from __future__ import annotations

import sqlite3


def stats(conn: sqlite3.Connection, now: float) -> dict[str, object]:
    """Counts an operator needs at a glance; no personal data."""
    counts = dict.fromkeys(("pending", "sending", "sent", "dead"), 0)
    for row in conn.execute("SELECT status, count(*) FROM outbox GROUP BY status"):
        counts[row[0]] = row[1]
    oldest = conn.execute(
        "SELECT min(created_at) FROM outbox WHERE status IN ('pending', 'sending')"
    ).fetchone()[0]
    total = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    reasons = dict(
        conn.execute(
            "SELECT last_error, count(*) FROM outbox WHERE status = 'dead' GROUP BY last_error"
        ).fetchall()
    )
    return {
        "submissions": total,
        "messages": counts,
        "dead_letters": counts["dead"],
        "dead_letter_reasons": reasons,
        "oldest_undelivered_seconds": round(now - oldest, 1) if oldest else 0,
    }


def submissions(conn: sqlite3.Connection, limit: int | None = None) -> list[sqlite3.Row]:
    """Newest first, with the delivery state of the coordinators' email."""
    return conn.execute(
        """
        SELECT s.id, s.reference, s.form, s.data, s.created_at,
               o.status, o.attempts, o.last_error
        FROM submissions s
        LEFT JOIN outbox o ON o.submission_id = s.id AND o.kind = 'coordinators'
        ORDER BY s.id DESC LIMIT ?
        """,
        (-1 if limit is None else limit,),
    ).fetchall()


def find(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """A submission by reference (V-XXXXXXXX) or by numeric id; both are ASCII, so any
    other key (`²`, which str.isdigit takes for a digit, or undecodable bytes) is none."""
    if not key.isascii():
        return None
    column = "id" if key.isdigit() else "reference"
    return conn.execute(
        f"""
        SELECT s.id, s.reference, s.form, s.data, s.created_at,
               o.status, o.attempts, o.last_error
        FROM submissions s
        LEFT JOIN outbox o ON o.submission_id = s.id AND o.kind = 'coordinators'
        WHERE s.{column} = ?
        """,  # noqa: S608 - column is one of two literals
        (key.upper() if column == "reference" else int(key),),
    ).fetchone()
