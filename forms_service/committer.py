"""Group commit: many concurrent submissions, one durable SQLite commit.

Each request waits until its own row is on disk, but while one commit is being
synced the next requests queue up and share the following one. This keeps
"on disk before 2xx" without paying one fsync per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from . import store

log = logging.getLogger("forms_service.store")

MAX_BATCH = 256


Item = tuple[store.NewSubmission, "asyncio.Future[store.Accepted]", asyncio.AbstractEventLoop]


def _settle(settled: list[tuple[asyncio.Future, store.Accepted | Exception]]) -> None:
    """Runs in the event loop: hand each waiting request its outcome."""
    for future, outcome in settled:
        if future.done():  # the client went away and the request was cancelled
            continue
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class Committer:
    """One writer thread with its own connection; `submit` is safe from any event loop."""

    def __init__(self, path: Path, duplicate_window: float, on_commit: Callable[[], None]) -> None:
        self._path = path
        self._window = duplicate_window
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="committer", daemon=True)
        self._conn: sqlite3.Connection | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    async def submit(self, sub: store.NewSubmission) -> store.Accepted:
        """Return once the submission (or the one it repeats) is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[store.Accepted] = loop.create_future()
        self._queue.put((sub, future, loop))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            self._commit(batch)
        if self._conn is not None:
            self._conn.close()

    def _commit(self, batch: list[Item]) -> None:
        outcomes: list[store.Accepted | Exception]
        try:
            conn = self._connection()
            with store.transaction(conn):
                now = store.now()
                subs = [sub for sub, _, _ in batch]
                outcomes = store.insert_batch(conn, subs, now, self._window)
        except sqlite3.Error as exc:
            log.error("could not store %d submission(s): %s", len(batch), exc)
            self._drop_connection()
            outcomes = [store.StoreUnavailable(str(exc)) for _ in batch]
        by_loop: dict[asyncio.AbstractEventLoop, list] = defaultdict(list)
        for (_, future, loop), outcome in zip(batch, outcomes, strict=True):
            by_loop[loop].append((future, outcome))
        for loop, settled in by_loop.items():
            # one wake-up of each event loop per commit, not one per request
            loop.call_soon_threadsafe(_settle, settled)
        if any(isinstance(o, store.Accepted) and not o.duplicate for o in outcomes):
            self._on_commit()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = store.connect(self._path)
            try:
                store.migrate(conn)
            except sqlite3.Error:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _drop_connection(self) -> None:
        """After an error, reopen next time: the file may have been replaced or remounted."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
