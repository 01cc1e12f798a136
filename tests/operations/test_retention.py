"""A purged submission leaves the replica once the replica's retention has passed: the
mechanism behind deploy/litestream.yml's promise (tests/unit/test_retention_promise.py
checks its figures against the privacy pages), shown with the real binary and a file://
replica whose every file is read, its LTX pages uncompressed. The deployed snapshot
interval and retention (a day, a week) are shortened to seconds here; nothing else of
the deployed configuration changes."""

from __future__ import annotations

import secrets
import sqlite3
import time
from pathlib import Path

import yaml

from ..support import valid_form, wait_until
from .parts import LITESTREAM_YML, ReplicatedService, files_holding

DAY = 86400


def _quick_config(tmp_path: Path) -> Path:
    """deploy/litestream.yml with its snapshots every 2 s kept 2 s, and the levels below
    compacted and let go of within a second."""
    config = yaml.safe_load(LITESTREAM_YML.read_text(encoding="utf-8"))
    config["snapshot"] = {"interval": "2s", "retention": "2s"}
    config["levels"] = [{"interval": "1s"}]
    config["l0-retention"] = "1s"
    config["l0-retention-check-interval"] = "1s"
    path = tmp_path / "litestream.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_purged_submission_is_in_none_of_the_replica_files_after_retention(
    tmp_path: Path, site_dir: Path
) -> None:
    folder = tmp_path / "replica"
    service = ReplicatedService(
        tmp_path, site_dir, f"file://{folder}", config=_quick_config(tmp_path)
    ).start()
    marker = f"Marker{secrets.token_hex(8)}"
    try:
        with service.client() as client:
            posted = client.post("/api/forms/volunteer", data=valid_form(name=marker))
            assert posted.status_code in (200, 201)
            needle = marker.encode()
            wait_until(lambda: files_holding(folder, needle), 20, "the replica to hold it")

            (reference,) = service.rows("SELECT reference FROM submissions")[0]
            _backdate(service, reference, days=100)
            purged = service.operator("purge")
            assert "Deleted 1 submission(s) older than 90 days" in purged.stdout, purged.stderr

            def gone() -> bool:
                # Volunteers keep writing, as they would: snapshots move on, old ones go.
                client.post("/api/forms/volunteer", data=valid_form(name=secrets.token_hex(4)))
                time.sleep(0.5)
                return not files_holding(folder, needle)

            wait_until(gone, 40, "the purged marker to leave every file of the replica")
    finally:
        service.stop()


def _backdate(service: ReplicatedService, reference: str, days: int) -> None:
    """Makes a submission look `days` old, as time would, so the real purge takes it."""
    conn = sqlite3.connect(service.database, timeout=10)
    try:
        with conn:
            conn.execute(
                "UPDATE submissions SET created_at = created_at - ? WHERE reference = ?",
                (days * DAY, reference),
            )
    finally:
        conn.close()
