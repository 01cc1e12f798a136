"""`forms-service restore` says done only for a copy SQLite reads whole: the check it
makes (storage/replica.verify) on a sound copy and on damaged ones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from forms_service.storage import replica


def _database(path: Path) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE submissions (id INTEGER PRIMARY KEY, data TEXT)")
        conn.executemany("INSERT INTO submissions (data) VALUES (?)", [("x" * 500,)] * 40)
        conn.execute("CREATE TABLE outbox (id INTEGER PRIMARY KEY)")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    Path(f"{path}-wal").unlink(missing_ok=True)
    Path(f"{path}-shm").unlink(missing_ok=True)
    return path


def test_a_sound_copy_is_counted_table_by_table_and_left_alone(tmp_path: Path) -> None:
    copy = _database(tmp_path / "copy.sqlite3")
    assert replica.verify(copy) == {"outbox": 0, "submissions": 40}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.sqlite3"]


@pytest.mark.parametrize("offset", [4096, 4096 * 3 + 8, 100])
def test_a_damaged_copy_is_refused(tmp_path: Path, offset: int) -> None:
    copy = _database(tmp_path / "copy.sqlite3")
    with copy.open("r+b") as f:
        f.seek(offset)
        f.write(b"\xff" * 16)
    with pytest.raises(replica.ReplicaError, match="damaged"):
        replica.verify(copy)
