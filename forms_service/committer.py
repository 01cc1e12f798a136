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

from . import store, writer

log = logging.getLogger("forms_service.store")

MAX_BATCH = 256
BATCH_TIMEOUT = 30.0  # far above SQLite's own 5 s wait for a lock
STOP_TIMEOUT = 10.0

Item = tuple[store.NewSubmission, "asyncio.Future[store.Accepted]"]


class WriterFailed(Exception):
    """The writer process died, hung or answered something other than the protocol."""


class Committer:
    """Feeds the writer process from the event loop, one batch in flight at a time."""

    def __init__(
        self,
        path: Path,
        duplicate_window: float,
        on_commit: Callable[[], None],
        log_level: str = "info",
    ) -> None:
        self._argv = [sys.executable, "-m", "forms_service.writer"]
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

    async def submit(self, sub: store.NewSubmission) -> store.Accepted:
        """Return once the submission (or the one it repeats) is committed."""
        future: asyncio.Future[store.Accepted] = asyncio.get_running_loop().create_future()
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
        outcomes: list[store.Accepted] | list[store.StoreUnavailable]
        try:
            outcomes = await self._exchange([sub for sub, _ in batch])
        except (OSError, WriterFailed) as exc:
            # The batch may or may not be on disk. The volunteer is told it was not
            # saved; if they send it again, the repeat check finds the stored copy.
            log.error("writer process failed with %d submission(s): %s", len(batch), exc)
            await self._end_writer()
            outcomes = [store.StoreUnavailable("writer process failed") for _ in batch]
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if any(isinstance(o, store.Accepted) and not o.duplicate for o in outcomes):
            self._on_commit()

    async def _exchange(
        self, subs: list[store.NewSubmission]
    ) -> list[store.Accepted] | list[store.StoreUnavailable]:
        """Send one batch, wait for the writer's one-line answer."""
        proc = await self._writer()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            async with asyncio.timeout(BATCH_TIMEOUT):
                proc.stdin.write(writer.encode_batch(subs))
                await proc.stdin.drain()
                line = await proc.stdout.readline()
        except TimeoutError:
            raise WriterFailed(f"no answer within {BATCH_TIMEOUT:.0f} s") from None
        try:
            return writer.decode_reply(line, len(subs))
        except ValueError as exc:
            raise WriterFailed(str(exc)) from None

    async def _writer(self) -> asyncio.subprocess.Process:
        if self._proc is None or self._proc.returncode is not None:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
            )
        return self._proc

    async def _end_writer(self) -> None:
        """Close the writer's input: it finishes the batch in hand, then exits."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
