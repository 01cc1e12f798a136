"""SQLite storage: submissions and their outbox, in one file, with versioned migrations.

Every connection uses WAL with synchronous=FULL, so a commit is on disk before
the service answers. The outbox row is written in the same transaction as its
submission: a submission that was acknowledged always has mail to deliver.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from .private import private_dir, touch_private

REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"

MIGRATIONS = (
    """
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        form TEXT NOT NULL,
        data TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        idempotency_key TEXT,
        created_at REAL NOT NULL
    );
    CREATE UNIQUE INDEX submissions_idempotency ON submissions (form, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE INDEX submissions_fingerprint ON submissions (fingerprint, created_at);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('coordinators', 'acknowledgement')),
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        claimed_until REAL,
        last_error TEXT,
        created_at REAL NOT NULL,
        sent_at REAL
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE INDEX outbox_submission ON outbox (submission_id);
    CREATE TABLE acknowledgements (
        address_hash TEXT NOT NULL,
        day TEXT NOT NULL,
        PRIMARY KEY (address_hash, day)
    );
    CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at REAL NOT NULL);
    """,
    # The coordinators' desk: follow-up status, notes, history, erasures, sign-in.
    """
    ALTER TABLE submissions ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
    CREATE INDEX submissions_status ON submissions (status, id);
    CREATE INDEX submissions_created ON submissions (created_at);
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        author TEXT NOT NULL,
        at REAL NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX notes_submission ON notes (submission_id);
    CREATE TABLE history (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
        actor TEXT NOT NULL,
        at REAL NOT NULL,
        what TEXT NOT NULL
    );
    CREATE INDEX history_submission ON history (submission_id);
    CREATE TABLE erasures (
        reference TEXT PRIMARY KEY,
        erased_at REAL NOT NULL,
        erased_by TEXT NOT NULL
    );
    CREATE TABLE sign_in_links (
        token_hash TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    );
    CREATE TABLE desk_sessions (
        id_hash TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        csrf TEXT NOT NULL,
        search TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        seen_at REAL NOT NULL
    );
    CREATE TABLE digests (day TEXT PRIMARY KEY, sent_at REAL NOT NULL);
    """,
    # the recipients still to reach when the server refused only some of them for now
    "ALTER TABLE outbox ADD COLUMN recipients TEXT",
)


class StoreUnavailable(RuntimeError):
    """The database cannot be written now (read-only, full, locked, missing)."""


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


@dataclass(frozen=True)
class Accepted:
    reference: str
    duplicate: bool
    conflict: bool = False  # the idempotency key was used before for different answers


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


def connect(path: Path) -> sqlite3.Connection:
    """Open the database with the durability and locking settings every user needs."""
    try:
        private_dir(path.parent)
        if not path.exists():
            touch_private(path)  # SQLite gives its -wal and -shm files the same mode
    except OSError as exc:
        raise sqlite3.OperationalError(f"cannot create {path}: {exc.strerror}") from None
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, so concurrent writers queue instead of failing mid-way."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the schema version."""
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


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
    if fresh:
        _insert_fresh(conn, [(subs[i], reference) for i, reference in fresh], now)
    return [outcomes[i] for i in range(len(subs))]


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
) -> None:
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


def _first_acknowledgement_today(conn: sqlite3.Connection, address_hash: str, now: float) -> bool:
    day = datetime.fromtimestamp(now, UTC).date().isoformat()
    cur = conn.execute(
        "INSERT OR IGNORE INTO acknowledgements (address_hash, day) VALUES (?, ?)",
        (address_hash, day),
    )
    return cur.rowcount == 1


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


@dataclass(frozen=True)
class Purged:
    submissions: int
    undelivered: int  # of those, how many had an email never delivered (dead or waiting)
    files: int = 0  # email files of file mode (counted by retention.purge)
    log_emptied: bool = True  # False if readers kept the write-ahead log from being emptied


def purge(conn: sqlite3.Connection, form: str, older_than: float) -> Purged:
    """Delete every submission of `form` older than the cut-off, whatever became of its
    email, with its outbox rows; and the acknowledgement records of days before yesterday
    (they only serve to thank an address once a day).

    Then the write-ahead log is checkpointed and truncated, so the deleted values are in
    neither file (secure_delete overwrites them in the database itself).
    """
    with transaction(conn):
        undelivered = conn.execute(
            "SELECT count(*) FROM submissions s WHERE form = ? AND created_at < ? AND EXISTS ("
            " SELECT 1 FROM outbox o WHERE o.submission_id = s.id AND o.status != 'sent')",
            (form, older_than),
        ).fetchone()[0]
        deleted = delete_submissions(conn, "form = ? AND created_at < ?", form, older_than)
        yesterday = datetime.fromtimestamp(now() - 86400, UTC).date().isoformat()
        conn.execute("DELETE FROM acknowledgements WHERE day < ?", (yesterday,))
    return Purged(deleted, undelivered, log_emptied=checkpoint(conn))


def delete_submissions(conn: sqlite3.Connection, where: str, *params: object) -> int:
    """Delete submissions with everything that hangs on them: outbox rows, notes, history
    (by their foreign keys). The one deletion of the retention purge and of a coordinator's
    erasure, inside the caller's transaction; `where` is a literal condition."""
    return conn.execute(f"DELETE FROM submissions WHERE {where}", params).rowcount  # noqa: S608


def erase(
    conn: sqlite3.Connection, reference: str, by: str, now: float, acknowledged: str | None
) -> bool:
    """Erase one person: their submission, its mail, notes, history and the acknowledgement
    record of their address (`acknowledged`, its keyed hash), leaving only the fact that
    this reference was erased, when and by whom. Then the log is emptied, as by a purge."""
    with transaction(conn):
        if not delete_submissions(conn, "reference = ?", reference):
            return False
        if acknowledged:
            conn.execute("DELETE FROM acknowledgements WHERE address_hash = ?", (acknowledged,))
        conn.execute(
            "INSERT INTO erasures (reference, erased_at, erased_by) VALUES (?, ?, ?)",
            (reference, now, by),
        )
    checkpoint(conn)
    return True


def checkpoint(conn: sqlite3.Connection, attempts: int = 20) -> bool:
    """Copy the log into the database and empty it; False if readers kept it busy."""
    for _ in range(attempts):
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return True
        time.sleep(0.05)
    return False


def check_writable(conn: sqlite3.Connection, now: float) -> None:
    """A real write and commit, so readiness fails on a read-only or full disk."""
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", (now,))


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
    """A submission by reference (V-XXXXXXXX) or by numeric id."""
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


def now() -> float:
    return time.time()
