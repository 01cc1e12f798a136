"""The privacy pages promise how long backups keep a submission after the service deletes
it; deploy/litestream.yml decides how long they do. Here one is checked against the other,
in both editions, so a change to either that breaks the promise fails.

Litestream 0.5 enforces snapshot retention when it takes a snapshot: a value deleted at
time P is in every snapshot taken before P and in the lower levels' files since the last
snapshot it deleted. The first snapshot after P (at most one interval later) is deleted
at the first snapshot after it is `retention` old (at most one more interval), and with
it every older file. The service deletes what is past retention every hour. So the
replica holds a deleted value at most retention + 2 x interval + 1 hour after it was due.
tests/operations/test_retention.py shows the mechanism with the real binary.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml

from forms_service.mail.outbox import PURGE_EVERY_SECONDS

ROOT = Path(__file__).resolve().parents[2]
PROMISE = {
    "docs/privacy.md": re.compile(r"Backup copies .*? at most (\d+) days later", re.S),
    "docs/es/privacy.md": re.compile(r"copias de seguridad .*? como mucho (\d+) días", re.S),
}


def _duration(raw: str) -> timedelta:
    """A Go duration as Litestream reads it (24h, 90m, 1s, 100ms)."""
    parts = re.findall(r"(\d+)(ms|h|m|s)", raw)
    assert parts and "".join(n + u for n, u in parts) == raw, f"unread duration {raw!r}"
    unit = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return timedelta(seconds=sum(int(n) * unit[u] for n, u in parts))


def _config() -> dict:
    return yaml.safe_load((ROOT / "deploy" / "litestream.yml").read_text(encoding="utf-8"))


def _promised_days() -> set[int]:
    found = set()
    for page, pattern in PROMISE.items():
        days = pattern.findall((ROOT / page).read_text(encoding="utf-8"))
        assert days, f"{page} no longer says how long backups keep a submission"
        found.update(int(d) for d in days)
    return found


def test_the_replica_keeps_nothing_longer_than_the_privacy_pages_promise() -> None:
    promised = _promised_days()
    assert len(promised) == 1, f"the pages promise different periods: {promised}"
    snapshot = _config()["snapshot"]
    interval, kept = _duration(snapshot["interval"]), _duration(snapshot["retention"])
    worst = kept + 2 * interval + timedelta(seconds=PURGE_EVERY_SECONDS)
    assert worst <= timedelta(days=promised.pop())


def test_the_replica_follows_the_service_database_within_a_second() -> None:
    (db,) = _config()["dbs"]
    assert db["path"] == "${FORMS_DATABASE}"
    assert db["replica"]["url"] == "${LITESTREAM_REPLICA_URL}"
    assert _duration(db["replica"]["sync-interval"]) <= timedelta(seconds=1)
