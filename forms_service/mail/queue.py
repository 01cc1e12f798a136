"""The outbox as a queue of emails: claim due messages under a lease, renew the lease
just before each attempt, give back the ones not tried, and record what became of each
(sent, rescheduled, dead), so two workers never send the same email twice.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ..storage.store import transaction


@dataclass(frozen=True)
class Message:
    """One outbox row, claimed for delivery, with what is needed to write the email."""

    id: int
    kind: str
    attempts: int
    reference: str
    form: str
    data: dict[str, str | list[str]]
    created_at: float
    recipients: list[str] | None = None  # only these, when others already have it


def claim(conn: sqlite3.Connection, now: float, lease: float, limit: int) -> list[Message]:
    """Take up to `limit` due messages for this worker alone, until the lease runs out.

    A message left in 'sending' by a worker that died is due again once its
    lease has expired, so nothing stays stuck. One whose stored data cannot be
    read becomes a dead letter here, so it cannot stop the batch it is in.
    """
    with transaction(conn):
        rows = conn.execute(
            """
            UPDATE outbox SET status = 'sending', claimed_until = ?, attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM outbox
                WHERE (status = 'pending' AND next_attempt_at <= ?)
                   OR (status = 'sending' AND claimed_until <= ?)
                ORDER BY next_attempt_at, id LIMIT ?)
            RETURNING id, kind, attempts, submission_id, recipients
            """,
            (now + lease, now, now, limit),
        ).fetchall()
        subs = {
            row["id"]: row
            for row in conn.execute(
                "SELECT id, reference, form, data, created_at FROM submissions"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps([row["submission_id"] for row in rows]),),
            )
        }
        messages: list[Message] = []
        unreadable: list[tuple[int]] = []
        for row in rows:
            sub = subs[row["submission_id"]]
            try:
                data = json.loads(sub["data"])
            except ValueError:  # damaged on disk: set aside, never in the way of the others
                unreadable.append((row["id"],))
                continue
            messages.append(
                Message(
                    id=row["id"],
                    kind=row["kind"],
                    attempts=row["attempts"],
                    reference=sub["reference"],
                    form=sub["form"],
                    data=data,
                    created_at=sub["created_at"],
                    recipients=row["recipients"] and json.loads(row["recipients"]),
                )
            )
        conn.executemany(
            "UPDATE outbox SET status = 'dead', claimed_until = NULL,"
            " last_error = 'stored data unreadable' WHERE id = ?",
            unreadable,
        )
    return sorted(messages, key=lambda m: m.id)


def mark_sent(conn: sqlite3.Connection, message_id: int, now: float) -> None:
    """Record the server's 250 for a message, at once, so no other worker sends it again."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, claimed_until = NULL,"
            " last_error = NULL WHERE id = ?",
            (now, message_id),
        )


def renew(conn: sqlite3.Connection, message_id: int, claimed_until: float, until: float) -> bool:
    """Extend this worker's claim on a message just before trying it; False when its lease
    ran out and another worker claimed it since (`claimed_until` differs): then leave it."""
    with transaction(conn):
        return (
            conn.execute(
                "UPDATE outbox SET claimed_until = ?"
                " WHERE id = ? AND status = 'sending' AND claimed_until = ?",
                (until, message_id, claimed_until),
            ).rowcount
            == 1
        )


def release(conn: sqlite3.Connection, message_ids: list[int], claimed_until: float) -> None:
    """Give back claimed messages that were not tried, as if never claimed (unless another
    worker claimed them since)."""
    with transaction(conn):
        conn.executemany(
            "UPDATE outbox SET status = 'pending', claimed_until = NULL,"
            " attempts = attempts - 1 WHERE id = ? AND status = 'sending' AND claimed_until = ?",
            [(message_id, claimed_until) for message_id in message_ids],
        )


def reschedule(
    conn: sqlite3.Connection,
    message_id: int,
    at: float,
    error: str,
    recipients: list[str] | None = None,
) -> None:
    """Try again at `at`; to `recipients` alone if given (the others have it already)."""
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, claimed_until = NULL,"
            " last_error = ?, recipients = coalesce(?, recipients) WHERE id = ?",
            (at, error, recipients and json.dumps(recipients), message_id),
        )


def mark_dead(conn: sqlite3.Connection, message_id: int, error: str) -> None:
    with transaction(conn):
        conn.execute(
            "UPDATE outbox SET status = 'dead', claimed_until = NULL, last_error = ? WHERE id = ?",
            (error, message_id),
        )


def next_due(conn: sqlite3.Connection) -> float | None:
    """When the next pending message (or expiring lease) is due, for the worker's sleep."""
    row = conn.execute(
        "SELECT min(CASE status WHEN 'pending' THEN next_attempt_at ELSE claimed_until END)"
        " FROM outbox WHERE status IN ('pending', 'sending')"
    ).fetchone()
    return row[0]


def retry_dead(conn: sqlite3.Connection, now: float) -> int:
    """Put every dead letter back in the queue; return how many."""
    with transaction(conn):
        cur = conn.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0"
            " WHERE status = 'dead'",
            (now,),
        )
    return cur.rowcount
