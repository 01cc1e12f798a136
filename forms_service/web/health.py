"""Health endpoints for operators and their monitors.

`/api/healthz` is the cheap liveness answer anyone may have: the process runs.
`/api/readyz` says whether a submission would be stored and delivered now: delivery
runs (this process's thread is alive, and some worker, here or in a separate `worker`
process, has shown a sign of life recently: see outbox.delivery_running), the
database takes a write, its disk has room, and, when the service runs under Litestream
(FORMS_LITESTREAM_CONFIG), the replica holds every write older than
FORMS_REPLICATION_MAX_LAG (storage/replica.py says how that is measured). The write is
made at most once per READY_CACHE_SECONDS whatever the rate of calls, and the figures
(outbox counts, free space, replication) are shown only to a request made directly on
the server: one that came through a proxy (Netlify's signature or any forwarding
header) gets the status alone, so the public `/api/*` proxy tells an attacker nothing
about the backlog.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..mail.outbox import Worker, delivery_running
from ..settings import Settings
from ..storage import overview, replica, store

log = logging.getLogger("forms_service")

MIN_FREE_BYTES = 1024 * 1024
READY_CACHE_SECONDS = 5.0
PROXY_HEADERS = ("x-nf-sign", "x-nf-client-connection-ip", "x-forwarded-for", "forwarded")


class Readiness:
    """The last readiness answer, computed again once it is READY_CACHE_SECONDS old."""

    def __init__(self, settings: Settings, worker: Worker | None) -> None:
        self.settings = settings
        self.worker = worker
        self._answer: tuple[int, dict[str, object]] = (503, {})
        self._checked_at = -READY_CACHE_SECONDS
        self._lock = asyncio.Lock()
        self._replicated = 0  # the replica's newest transaction when last it was read

    async def answer(self) -> tuple[int, dict[str, object]]:
        alive = self.worker is None or self.worker.running
        if not (alive and delivery_running(self.settings, time.time())):  # cheap: not cached
            log.error("not ready: delivery is not running")
            return 503, {"status": "unavailable", "delivery": "not running"}
        async with self._lock:  # a burst of calls waits for one check, not one each
            if time.monotonic() - self._checked_at >= READY_CACHE_SECONDS:
                self._answer = await self._check()
                self._checked_at = time.monotonic()
        return self._answer

    async def _check(self) -> tuple[int, dict[str, object]]:
        try:
            figures = await asyncio.to_thread(self._write_and_count)
        except Exception as exc:
            log.error("not ready: database not writable (%s)", type(exc).__name__)
            return 503, {"status": "unavailable", "database": "not writable"}
        free = shutil.disk_usage(self.settings.database.parent).free
        if free < MIN_FREE_BYTES:
            log.error("not ready: %d bytes free beside the database", free)
            body = {"status": "unavailable", "database": "disk full", "disk_free_bytes": free}
            return 503, {**body, **figures}
        if (config := self.settings.litestream_config) is not None:
            behind = await asyncio.to_thread(self._replication_behind, config)
            figures = {**figures, "replication_behind_seconds": round(behind, 1)}
            if behind > self.settings.replication_max_lag:
                log.error("not ready: replication is %d s behind", behind)
                return 503, {"status": "unavailable", "replication": "behind", **figures}
        return 200, {"status": "ready", "database": "writable", "disk_free_bytes": free, **figures}

    def _replication_behind(self, config: Path) -> float:
        """Seconds the oldest write not known to be on the replica has waited. A replica
        that cannot be read counts as holding what it held when last read."""
        try:
            self._replicated = replica.replicated_txid(config, self.settings.database)
        except replica.ReplicaError as exc:
            log.warning("the replica could not be read: %s", exc)
        return replica.behind_seconds(self.settings.database, self._replicated, time.time())

    def _write_and_count(self) -> dict[str, object]:
        conn = store.connect(self.settings.database)
        try:
            store.check_writable(conn, store.now())
            return overview.stats(conn, store.now())
        finally:
            conn.close()


def through_a_proxy(request: Request) -> bool:
    return any(name in request.headers for name in PROXY_HEADERS)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    status, body = await request.app.state.readiness.answer()
    if through_a_proxy(request):
        body = {"status": body["status"]}
    return JSONResponse(body, status)
