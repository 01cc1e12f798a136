"""The backup drill: a lost server, rehearsed end to end with the real parts on loopback.

moto's S3 server stands in for the bucket; the service runs under Litestream exactly as
the systemd unit runs it; volunteers post; then every process of the service is killed
with SIGKILL at once (a lost machine), the database and its log are deleted, and
`forms-service restore` brings it back from the replica. Printed: how many acknowledged
submissions came back, the window of loss measured (how long before the kill the lost
ones were acknowledged), and how long the restore took. The service is then started
again on the restored database, takes a new submission, and that one is found on the
replica too.

    make backup-drill        (.venv/bin/python -m tests.operations.drill [--submissions N])

tests/operations/test_backup.py runs a smaller drill on every `make test`.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..support import ROOT, valid_form
from .parts import MONITOR_SECONDS, SYNC_SECONDS, MotoS3, ReplicatedService

API = "/api/forms/volunteer"
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Report:
    acknowledged: dict[str, float]
    """Reference -> seconds between its acknowledgement and the kill."""
    restored: set[str]
    refused: int
    """Posts answered with anything but 201 while the service ran under Litestream."""
    restore_seconds: float
    restore_output: str
    after_restart: bool
    """The restarted service took a submission and the replica holds it."""

    @property
    def lost(self) -> dict[str, float]:
        return {ref: age for ref, age in self.acknowledged.items() if ref not in self.restored}

    @property
    def window(self) -> float:
        """The window of loss: the oldest lost acknowledgement's age at the kill (0: none)."""
        return max(self.lost.values(), default=0.0)

    def lines(self) -> list[str]:
        came_back = len(self.acknowledged) - len(self.lost)
        return [
            f"Acknowledged before the kill:  {len(self.acknowledged)} submissions"
            f" ({self.refused} posts refused)",
            f"Back after restore:            {came_back} ({len(self.lost)} lost)",
            f"Window of loss measured:       {self.window:.2f} s before the SIGKILL"
            f" (Litestream's bound: {SYNC_SECONDS + MONITOR_SECONDS:.1f} s plus one upload)",
            f"Restore took:                  {self.restore_seconds:.2f} s",
            "Started again on the restore:  "
            + ("took a submission, and the replica holds it" if self.after_restart else "FAILED"),
        ]


def _post_until_killed(service: ReplicatedService, count: int, pace: float) -> tuple[dict, int]:
    """Posts `count` volunteers `pace` seconds apart, then kills the whole process group at
    once; returns each acknowledged reference's age at the kill, and the refusals."""
    acknowledged: dict[str, float] = {}
    refused = 0
    with service.client() as client:
        for i in range(count):
            answer = client.post(API, data=valid_form(name=f"Drill volunteer {i}"), headers=JSON)
            if answer.status_code == 201:
                acknowledged[answer.json()["reference"]] = time.monotonic()
            else:
                refused += 1
            time.sleep(pace)
    killed_at = time.monotonic()
    service.kill_group()
    return {ref: killed_at - at for ref, at in acknowledged.items()}, refused


def _lose_the_disk(database: Path) -> None:
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)


def _start_again(service: ReplicatedService, workdir: Path) -> bool:
    """The service under Litestream on the restored database takes a new submission, and
    after a clean stop a second restore (to another file) holds it."""
    service.start()
    with service.client() as client:
        answer = client.post(API, data=valid_form(name="After the restore"), headers=JSON)
    service.stop()
    check = workdir / "check.sqlite3"
    if answer.status_code != 201 or service.operator("restore", "-o", str(check)).returncode:
        return False
    conn = sqlite3.connect(check)
    try:
        sql = "SELECT 1 FROM submissions WHERE reference = ?"
        return conn.execute(sql, (answer.json()["reference"],)).fetchone() is not None
    finally:
        conn.close()


def run(workdir: Path, site_dir: Path, submissions: int, pace: float) -> Report:
    """One drill in `workdir`; every process it starts is stopped before it returns."""
    s3 = MotoS3(workdir).start()
    service = ReplicatedService(workdir, site_dir, s3.replica_url("forms"))
    try:
        service.start()
        acknowledged, refused = _post_until_killed(service, submissions, pace)
        _lose_the_disk(service.database)
        started = time.monotonic()
        restore = service.operator("restore")
        restore_seconds = time.monotonic() - started
        restored = {row[0] for row in service.rows("SELECT reference FROM submissions")}
        return Report(
            acknowledged,
            restored,
            refused,
            restore_seconds,
            restore.stdout + restore.stderr,
            _start_again(service, workdir),
        )
    finally:
        service.stop()
        s3.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=200, help="how many to post")
    parser.add_argument("--pace", type=float, default=0.05, help="seconds between posts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="backup-drill-") as workdir:
        report = run(Path(workdir), ROOT / "site", args.submissions, args.pace)
    print("\n".join(report.lines()))
    print(report.restore_output.strip())


if __name__ == "__main__":
    main()
