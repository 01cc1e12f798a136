"""Group commit: many concurrent submissions, one durable SQLite commit.

Each request waits until its own row is on disk, but while one commit is being
synced the next requests queue up and share the following one. This keeps
"on disk before 2xx" without paying one fsync per request.

The SQLite work happens in a writer process of its own (`writer.py`), not in a
thread: a thread shares the event loop's GIL, and each time SQLite hands the GIL
back, the thread waits for a busy event loop to let go of it. That wait, not the
disk, was what limited how many volunteers could be answered each second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from . import store, submissions, writer

log = logging.getLogger("forms_service.store")

MAX_BATCH = 256
BATCH_TIMEOUT = 30.0  # far above SQLite's own 5 s wait for a lock
STOP_TIMEOUT = 10.0

Item = tuple[submissions.NewSubmission, "asyncio.Future[submissions.Accepted]"]


class Committer:
    """Feeds the writer process from the event loop, one batch in flight at a time."""

    def __init__(
        self,
        path: Path,
        duplicate_window: float,
        on_commit: Callable[[], None],
        log_level: str,
    ) -> None:
        self._argv = [sys.executable, "-m", "forms_service.storage.writer"]
        self._argv += [str(path), repr(duplicate_window), log_level]
        self._on_commit = on_commit
        self._waiting: list[Item] = []
        self._work = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the writer now, so the first volunteer does not wait for it."""
        self._task = asyncio.create_task(self._run(), name="committer")
        try:
            await self._writer()
        except OSError as exc:
            log.error("could not start the writer process (%s): will try again", exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._end_writer()

    async def submit(self, sub: submissions.NewSubmission) -> submissions.Accepted:
        """Return once the submission (or the one it repeats) is committed."""
        future: asyncio.Future[submissions.Accepted] = asyncio.get_running_loop().create_future()
        self._waiting.append((sub, future))
        self._work.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._work.wait()
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            if not self._waiting:
                self._work.clear()
            # a request whose client went away has been cancelled: nothing to store
            batch = [(sub, future) for sub, future in batch if not future.done()]
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[Item]) -> None:
        outcomes: list[submissions.Accepted] | list[store.StoreUnavailable]
        try:
            outcomes = await self._exchange([sub for sub, _ in batch])
        except Exception as exc:  # whatever happened, no request may be left waiting
            # The batch may or may not be on disk. The volunteer is told it was not
            # saved; if they send it again, the repeat check finds the stored copy.
            log.error(
                "writer process failed with %d submission(s): %s %s",
                len(batch),
                type(exc).__name__,
                exc,
            )
            await self._end_writer(at_once=True)
            outcomes = [store.StoreUnavailable("writer process failed") for _ in batch]
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if any(isinstance(o, submissions.Accepted) and not o.duplicate for o in outcomes):
            self._on_commit()

    async def _exchange(
        self, subs: list[submissions.NewSubmission]
    ) -> list[submissions.Accepted] | list[store.StoreUnavailable]:
        """Send one batch, wait for the writer's one-line answer.

        Raises if the writer is dead, silent for BATCH_TIMEOUT or off the protocol."""
        proc = await self._writer()
        assert proc.stdin is not None and proc.stdout is not None
        async with asyncio.timeout(BATCH_TIMEOUT):
            proc.stdin.write(writer.encode_batch(subs))
            await proc.stdin.drain()
            line = await proc.stdout.readline()
        return writer.decode_reply(line, len(subs))

    async def _writer(self) -> asyncio.subprocess.Process:
        if self._proc is None or self._proc.returncode is not None:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
        return self._proc

    async def _end_writer(self, *, at_once: bool = False) -> None:
        """Close the writer's input: it finishes the batch in hand, then exits.

        A writer that failed is killed at once instead: SQLite rolls back what it
        had not committed, and the next batch gets a fresh writer."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        if not at_once:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
