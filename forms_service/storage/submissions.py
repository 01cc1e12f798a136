"""New submissions: stored with their outbox rows in the caller's transaction, or
recognised as repeats of one stored before.

The outbox row is written in the same transaction as its submission: a submission that
was acknowledged always has mail to deliver. An address is thanked (an acknowledgement
email) at most once a day, and each outcome says what became of the thanks, so the
thank-you page can tell the person what actually happened.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Literal

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"


@dataclass(frozen=True)
class NewSubmission:
    form: str
    data: dict[str, str | list[str]]
    idempotency_key: str | None = None
    acknowledge_hash: str | None = None  # keys.address_hash of the address to thank, if any
    prefix: str = "V"  # of its reference: the form's letter

    @cached_property  # read for the repeat check and again for the row
    def fingerprint(self) -> str:
        canonical = json.dumps([self.form, self.data], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


Acknowledgement = Literal["sending", "sent_today", "failed", "not_asked"]
"""What became of a stored submission's acknowledgement email: on its way (`sending`,
also once sent), not sent because its inbox was thanked earlier that day (`sent_today`),
given up on by the outbox (`failed`), or not asked for (`not_asked`)."""


@dataclass(frozen=True)
class Accepted:
    reference: str
    duplicate: bool
    conflict: bool = False  # the idempotency key was used before for different answers
    acknowledgement: Acknowledgement = "not_asked"


def new_reference(prefix: str = "V") -> str:
    """Short, unguessable, easy to read aloud over the phone (no I, L, O, U, 0, 1); the
    prefix names the form."""
    number = int.from_bytes(secrets.token_bytes(8))  # 64 random bits for 8 letters (39 bits)
    letters = []
    for _ in range(8):
        number, index = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[index])
    return f"{prefix}-" + "".join(letters)


REPEATS = """
    SELECT json_extract(j.value, '$[0]') AS i, k.reference AS key_reference,
        k.fingerprint AS key_fingerprint,
        (SELECT reference FROM submissions s
         WHERE s.fingerprint = json_extract(j.value, '$[3]') AND s.created_at >= ?
         ORDER BY s.id LIMIT 1) AS same_reference
    FROM json_each(?) AS j
    LEFT JOIN submissions k ON k.form = json_extract(j.value, '$[1]')
        AND k.idempotency_key = json_extract(j.value, '$[2]')
    WHERE key_reference IS NOT NULL OR same_reference IS NOT NULL
"""

INSERT_SUBMISSIONS = """
    INSERT INTO submissions (reference, form, data, fingerprint, idempotency_key, created_at)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
           json_extract(value, '$[3]'), json_extract(value, '$[4]'), ?
    FROM json_each(?)
"""

INSERT_OUTBOX = """
    INSERT INTO outbox (submission_id, kind, next_attempt_at, created_at)
    SELECT s.id, ?, ?, ? FROM json_each(?) AS j JOIN submissions s ON s.reference = j.value
    ORDER BY s.id
"""


def insert_batch(
    conn: sqlite3.Connection, subs: list[NewSubmission], now: float, duplicate_window: float
) -> list[Accepted]:
    """Store submissions and their outbox rows, or find the ones they repeat.

    Runs inside the caller's transaction, with the same few statements whatever the
    batch size: each statement hands Python's GIL to SQLite and back, and a busy
    event loop makes every hand-back slow.
    """
    keys = [(sub.form, sub.idempotency_key, sub.fingerprint) for sub in subs]
    outcomes: dict[int, Accepted] = {
        row["i"]: _repeat(
            row["key_reference"], row["key_fingerprint"], row["same_reference"], keys[row["i"]][2]
        )
        for row in conn.execute(
            REPEATS,
            (now - duplicate_window, json.dumps([[i, *key] for i, key in enumerate(keys)])),
        )
    }
    fresh: list[tuple[int, str]] = []
    first_seen: dict[tuple, tuple[str, str]] = {}  # name -> (reference, fingerprint)
    for i, (form, idempotency_key, fingerprint) in enumerate(keys):
        if i in outcomes:
            continue
        by_key = first_seen.get(("key", form, idempotency_key)) if idempotency_key else None
        by_content = first_seen.get(("fingerprint", fingerprint))
        if by_key or by_content:  # a repeat inside this very batch, such as a double click
            key_reference, key_fingerprint = by_key or (None, None)
            same_reference = by_content[0] if by_content else None
            outcomes[i] = _repeat(key_reference, key_fingerprint, same_reference, fingerprint)
            continue
        reference = new_reference(subs[i].prefix)
        first_seen[("fingerprint", fingerprint)] = (reference, fingerprint)
        if idempotency_key:
            first_seen[("key", form, idempotency_key)] = (reference, fingerprint)
        outcomes[i] = Accepted(reference, duplicate=False)
        fresh.append((i, reference))
    thanked = _insert_fresh(conn, [(subs[i], ref) for i, ref in fresh], now) if fresh else set()
    return [
        replace(outcome, acknowledgement=_acknowledgement(conn, sub, outcome, thanked))
        for sub, outcome in ((subs[i], outcomes[i]) for i in range(len(subs)))
    ]


def _acknowledgement(
    conn: sqlite3.Connection, sub: NewSubmission, outcome: Accepted, thanked: set[str]
) -> Acknowledgement:
    """A fresh submission's thanks as just decided; a repeat's as stored for the first (a
    conflict is refused, so nothing is said of its thanks)."""
    if not sub.acknowledge_hash or outcome.conflict:
        return "not_asked"
    if outcome.duplicate:
        return acknowledgement_of(conn, outcome.reference, asked=True)
    return "sending" if outcome.reference in thanked else "sent_today"


def acknowledgement_of(conn: sqlite3.Connection, reference: str, asked: bool) -> Acknowledgement:
    """What became of the thanks of a stored submission whose sender `asked` for one."""
    if not asked:
        return "not_asked"
    row = conn.execute(
        "SELECT o.status FROM outbox o JOIN submissions s ON s.id = o.submission_id"
        " WHERE s.reference = ? AND o.kind = 'acknowledgement'",
        (reference,),
    ).fetchone()
    if row is None:
        return "sent_today"
    return "failed" if row[0] == "dead" else "sending"


def stored_by_key(
    conn: sqlite3.Connection, form: str, idempotency_key: str
) -> tuple[str, dict[str, object]] | None:
    """The reference and answers of the submission sent with this (hashed) key, if kept."""
    row = conn.execute(
        "SELECT reference, data FROM submissions WHERE form = ? AND idempotency_key = ?",
        (form, idempotency_key),
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def _repeat(
    key_reference: str | None,
    key_fingerprint: str | None,
    same_reference: str | None,
    fingerprint: str,
) -> Accepted:
    """The outcome for a submission seen before: by its idempotency key, or by its content.

    A key reused for different answers is a conflict, as payment APIs treat it: answering
    with the first submission's reference would tell the volunteer their new answers were
    kept when they were not.
    """
    if key_reference is not None:
        return Accepted(key_reference, duplicate=True, conflict=key_fingerprint != fingerprint)
    assert same_reference is not None
    return Accepted(same_reference, duplicate=True)


def _insert_fresh(
    conn: sqlite3.Connection, fresh: list[tuple[NewSubmission, str]], now: float
) -> set[str]:
    """Insert; return the references whose address is thanked (first time that day)."""
    rows = [
        [
            reference,
            sub.form,
            json.dumps(sub.data, ensure_ascii=False),
            sub.fingerprint,
            sub.idempotency_key,
        ]
        for sub, reference in fresh
    ]
    conn.execute(INSERT_SUBMISSIONS, (now, json.dumps(rows)))
    references = json.dumps([reference for _, reference in fresh])
    conn.execute(INSERT_OUTBOX, ("coordinators", now, now, references))
    acknowledged = [
        reference
        for sub, reference in fresh
        if sub.acknowledge_hash and _first_acknowledgement_today(conn, sub.acknowledge_hash, now)
    ]
    if acknowledged:
        conn.execute(INSERT_OUTBOX, ("acknowledgement", now, now, json.dumps(acknowledged)))
    return set(acknowledged)


def _first_acknowledgement_today(conn: sqlite3.Connection, address_hash: str, now: float) -> bool:
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    cur = conn.execute(
        "INSERT OR IGNORE INTO acknowledgements (address_hash, day) VALUES (?, ?)",
        (address_hash, day),
    )
    return cur.rowcount == 1
