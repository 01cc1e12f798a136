"""The database: one SQLite file, opened the same way by every process.

Every connection uses WAL with synchronous=FULL, so a commit is on disk before the
service answers, and BEGIN IMMEDIATE transactions, so concurrent writers queue. What
is kept in it, by concern: schema.py (tables and migrations), submissions.py (new
submissions with their outbox rows), mail/queue.py (the outbox as a queue of emails),
retention.py (purge and erasure), overview.py (what operators read), ../desk/queries.py
and ../desk/signin.py (the desk's).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .private import private_dir, touch_private

BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for another connection's write lock before it fails."""


class StoreUnavailable(RuntimeError):
    """The database cannot be written now (read-only, full, locked, missing)."""


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
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
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


def checkpoint(conn: sqlite3.Connection, attempts: int = 20) -> bool:
    """Copy the log into the database and empty it; False if readers kept it busy.

    Each attempt gives up at once when a reader is there: a TRUNCATE checkpoint holds the
    write lock while it waits, so waiting busy_timeout for a reader that stays (Litestream
    keeps one open all the time) would make every volunteer's commit wait, and fail.
    """
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        for _ in range(attempts):
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(0.05)
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def check_writable(conn: sqlite3.Connection, now: float) -> None:
    """A real write and commit, so readiness fails on a read-only or full disk."""
    with transaction(conn):
        conn.execute("INSERT OR REPLACE INTO heartbeat (id, at) VALUES (1, ?)", (now,))


def now() -> float:
    return time.time()
