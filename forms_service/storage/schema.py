"""The database's tables, as numbered migrations applied in order (PRAGMA user_version).

A database at version N runs only the migrations after N, so a change to the schema is a
new migration at the end, never an edit of one that has landed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from . import store
from .store import transaction

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


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; return the schema version."""
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in filter(str.strip, script.split(";")):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    return len(MIGRATIONS)


def prepare(database: Path) -> None:
    """Create the database, or bring it to the last migration, and let go of it: the web
    app and the `worker` process each do so as they start, whichever starts first."""
    conn = store.connect(database)
    try:
        migrate(conn)
    finally:
        conn.close()
