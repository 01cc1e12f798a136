"""Delivery worker: claim a due message, send it, record the outcome.

Woken at once when a submission is committed; otherwise sleeps until the next
message is due. A message is marked sent only after the server's 250; a crash
between the 250 and that mark means one duplicate (recognisable by its
Message-ID), never a loss.

No single message can stop delivery: whatever building or sending one raises
sets that message alone aside (a dead letter, or a retry on its own backoff),
with a reason that names no data, and the others go on. A thread that stops
anyway is started again by `ensure_running`.

Every worker touches a file beside the database (`forms.sqlite3.delivery`, empty)
at least every FORMS_POLL_SECONDS and before each message, so `/api/readyz` can
tell, even from a web process run with --no-worker, whether some delivery runs; and holds
a shared lock on it while it lives, so `restore` can tell that one still runs there.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import sqlite3
import threading
import time
from pathlib import Path

from ..settings import Settings
from ..storage import retention, store
from ..storage.private import create_private, touch_private
from . import digest, emails, queue, sending

log = logging.getLogger("forms_service.outbox")

MAX_BACKOFF_SECONDS = 3600.0
PURGE_EVERY_SECONDS = 3600.0
"""Hourly, so that what the pages say ("deleted 30 days after you send it") holds to the hour."""
DIGEST_CHECK_SECONDS = 60.0
BATCH_SIZE = 50
BUSY_PAUSE_FACTOR = 9.0
MAX_SERVER_PAUSE = 60.0


def heartbeat_path(settings: Settings) -> Path:
    return Path(f"{settings.database}.delivery")


def delivery_silence(settings: Settings) -> float:
    """The longest a running worker goes without touching its heartbeat: one message's
    sending (bounded by the lease) or one slice of a pause, with room to spare."""
    return 2 * settings.lease_seconds + settings.poll_seconds


def delivery_running(settings: Settings, now: float) -> bool:
    """Some worker (in this process or another) touched the heartbeat recently enough."""
    try:
        return now - heartbeat_path(settings).stat().st_mtime <= delivery_silence(settings)
    except OSError:
        return False


def hold_heartbeat(heartbeat: Path) -> int | None:
    """Open the heartbeat and hold a shared lock on it for the worker's life (None if the
    disk refuses). The kernel lets go when the process ends, however it ends, so
    `delivery_held` tells a worker still running (even on files moved aside) from one
    stopped or killed a moment ago, which the heartbeat's age cannot."""
    try:
        fd = create_private(heartbeat)
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def delivery_held(heartbeat: Path) -> bool:
    """Some running worker holds this heartbeat (see hold_heartbeat)."""
    try:
        fd = os.open(heartbeat, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also lets go of the lock this check took
    return False


def backoff(attempts: int, base: float) -> float:
    """Exponential backoff with jitter, so many failed messages do not retry in lockstep."""
    delay = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempts - 1))
    return random.uniform(delay / 2, delay)


class Worker:
    """A thread that delivers the outbox; several processes may run one each safely."""

    def __init__(self, settings: Settings, transport: sending.Transport | None = None) -> None:
        self.settings = settings
        self.transport = transport or sending.transport_for(settings)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = self._new_thread()
        self._next_purge = 0.0
        self._next_digest_check = 0.0
        self._failures = 0  # the server failed this many times in a row: it is down
        self._heartbeat = heartbeat_path(settings)
        self._sending_since: float | None = None  # monotonic start of the attempt in hand
        self._held: int | None = None  # the heartbeat, locked while this worker runs

    def _new_thread(self) -> threading.Thread:
        return threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        self._held = hold_heartbeat(self._heartbeat)
        self._beat()  # before the thread runs, so readiness never sees a gap at start
        self._thread.start()

    @property
    def running(self) -> bool:
        """The thread is alive and not stuck in one attempt past its lease."""
        return self._thread.is_alive() and not self.stuck

    @property
    def stuck(self) -> bool:
        """Every attempt is bounded (sending.py), so one past the lease is a fault to report."""
        since = self._sending_since
        return since is not None and time.monotonic() - since > self.settings.lease_seconds

    def ensure_running(self) -> bool:
        """Start the thread again if it stopped for any reason; False if it had stopped,
        or is stuck (a thread cannot be stopped from outside: that is logged)."""
        if self._stop.is_set():
            return True
        if self._thread.is_alive():
            if self.stuck:
                log.error("delivery is stuck in one attempt past its lease")
            return not self.stuck
        log.error("delivery had stopped: starting it again")
        self._thread = self._new_thread()
        self._thread.start()
        return False

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.settings.smtp_timeout * 3 + 5)
        if self._held is not None:
            os.close(self._held)
            self._held = None

    def wake(self) -> None:
        """Called after a commit, so the happy path has no polling delay."""
        self._wake.set()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop.is_set():
            self._beat()
            try:
                conn = conn or store.connect(Path(self.settings.database))
                self._maybe_purge(conn)
                self._maybe_digest(conn)
                while (
                    not self._stop.is_set()
                    and self._deliver_then_yield(conn)
                    and not self._failures
                ):
                    pass
                self.transport.close()  # nothing due: do not hold the server's connection
                delay = self._sleep_for(conn)
            except Exception as exc:  # delivery must outlive any one failure
                if isinstance(exc, sqlite3.Error):
                    log.error("outbox cannot use the database: %s", exc)
                else:
                    log.error("delivery failed unexpectedly: %s", type(exc).__name__)
                self.transport.close()
                if conn is not None:
                    conn.close()
                conn = None
                delay = self.settings.poll_seconds
            self._wait(delay)
        if conn is not None:
            conn.close()

    def _wait(self, delay: float) -> None:
        """Sleep until a message is due or a submission arrives; while the server is failing,
        wait it out instead, so neither a backlog nor a flood of new submissions hammers it
        with one failed attempt per message."""
        if self._failures:
            pause = min(backoff(self._failures, self.settings.retry_base_seconds), MAX_SERVER_PAUSE)
            deadline = time.monotonic() + max(delay, pause)
            while (left := deadline - time.monotonic()) > 0 and not self._stop.is_set():
                self._beat()  # a long pause is still delivery running
                self._stop.wait(min(left, self.settings.poll_seconds))
        else:
            self._wake.wait(delay)
        self._wake.clear()

    def _deliver_then_yield(self, conn: sqlite3.Connection) -> int:
        """Deliver one batch; during a flood, step aside for a while afterwards.

        Building emails holds Python's GIL, which the web requests in this process need too.
        A flood is a full batch (a backlog) while submissions keep arriving: then delivery
        takes at most a share of 1 / (1 + BUSY_PAUSE_FACTOR) of the processor, so the form
        stays fast, and the backlog drains at full speed once it is quiet. Volunteers
        arriving one after another never make a backlog, so their emails go out at once.
        The pause follows this thread's processor time, not the clock, so a slow mail server
        does not lengthen it.
        """
        started = time.thread_time()
        self._wake.clear()  # any commit from now on sets it again, so no wake-up is lost
        claimed = self.deliver_batch(conn)
        if claimed == BATCH_SIZE and self._wake.is_set():
            self._stop.wait((time.thread_time() - started) * BUSY_PAUSE_FACTOR)
        return claimed

    def deliver_batch(self, conn: sqlite3.Connection) -> int:
        """Deliver the messages that are due, over one connection; return how many were claimed.

        The batch is claimed for one lease; each message's claim is renewed for a lease of
        its own just before it is tried (an attempt never outlasts it), and one whose lease
        ran out meanwhile and that another worker took is left to that worker. Each is
        marked sent as soon as its 250 arrives, so a slow server makes no duplicates; a
        crash between the 250 and that mark makes one, never a loss. The first temporary
        failure ends the batch: the server is likely down for the rest too, so they are
        given back untried. A message the server only refuses for now waits on its own
        backoff while the others go.
        """
        lease, now = self.settings.lease_seconds, store.now()
        claimed_until = now + lease  # as claim computes it, so renew and release match it
        messages = queue.claim(conn, now, lease, BATCH_SIZE)
        tried = 0
        try:
            for message in messages:
                tried += 1
                if not queue.renew(conn, message.id, claimed_until, store.now() + lease):
                    continue  # its lease ran out and another worker has it now
                if not self._deliver_one(conn, message):
                    break
        except BaseException as exc:
            # Whatever escaped (even one that ends the thread), the message in hand waits
            # on its own backoff, so it cannot stop delivery again at once.
            with contextlib.suppress(sqlite3.Error):
                reason = f"unexpected error: {type(exc).__name__}"
                self._retry_or_give_up(conn, messages[tried - 1], reason)
            raise
        finally:
            queue.release(conn, [m.id for m in messages[tried:]], claimed_until)
        return len(messages)

    def _deliver_one(self, conn: sqlite3.Connection, message: queue.Message) -> bool:
        """Try one message and record the outcome; False when the server itself is down."""
        self._beat()
        try:
            email = emails.build(message, self.settings)
        except Exception as exc:  # a row that makes no safe email is set aside
            reason = f"could not build the email: {type(exc).__name__}"
            queue.mark_dead(conn, message.id, reason)
            log.error("%s %s: dead letter (%s)", message.reference, message.kind, reason)
            return True
        self._sending_since = time.monotonic()
        try:
            note = self.transport.send(email, message.recipients)
        except sending.PermanentFailure as exc:
            self._failures = 0  # the server answered: it is up
            queue.mark_dead(conn, message.id, str(exc))
            log.error("%s %s: dead letter (%s)", message.reference, message.kind, exc)
        except sending.TemporaryFailure as exc:
            to = exc.recipients if isinstance(exc, sending.RecipientsRefusedForNow) else None
            self._retry_or_give_up(conn, message, str(exc), to)
            if exc.server_down:
                self._failures += 1
                return False
            self._failures = 0
        except Exception as exc:  # whatever else, this message alone waits
            self.transport.close()
            self._retry_or_give_up(conn, message, f"unexpected error: {type(exc).__name__}")
        else:
            self._failures = 0
            queue.mark_sent(conn, message.id, store.now())
            level = logging.WARNING if "refused" in note else logging.INFO
            log.log(level, "%s %s: %s", message.reference, message.kind, note)
        finally:
            self._sending_since = None
        return True

    def _beat(self) -> None:
        """Touch the heartbeat, 0600 like every file beside the database (one left 0644 by
        an older version too), with the service's clock (store.now), the one readiness
        compares it with, not the kernel's: one clock on both sides."""
        with contextlib.suppress(OSError):  # a read-only disk shows in readiness anyway
            touch_private(self._heartbeat)
            now = store.now()
            os.utime(self._heartbeat, (now, now))

    def _retry_or_give_up(
        self,
        conn: sqlite3.Connection,
        message: queue.Message,
        error: str,
        recipients: list[str] | None = None,
    ) -> None:
        now = store.now()
        if now - message.created_at > self.settings.give_up_hours * 3600:
            queue.mark_dead(conn, message.id, f"gave up after {message.attempts} attempts: {error}")
            log.error("%s %s: dead letter, gave up (%s)", message.reference, message.kind, error)
            return
        delay = backoff(message.attempts, self.settings.retry_base_seconds)
        queue.reschedule(conn, message.id, now + delay, error, recipients)
        log.warning(
            "%s %s: attempt %d failed (%s), next in %.0f s",
            message.reference,
            message.kind,
            message.attempts,
            error,
            delay,
        )

    def _sleep_for(self, conn: sqlite3.Connection) -> float:
        due = queue.next_due(conn)
        wait = self.settings.poll_seconds if due is None else due - store.now()
        return max(0.05, min(wait, self.settings.poll_seconds))

    def _maybe_purge(self, conn: sqlite3.Connection) -> None:
        now = store.now()
        if now < self._next_purge:
            return
        self._next_purge = now + PURGE_EVERY_SECONDS
        retention.purge(conn, self.settings.mail_dir, retention.periods(self.settings))

    def _maybe_digest(self, conn: sqlite3.Connection) -> None:
        now = store.now()
        if now < self._next_digest_check:
            return
        self._next_digest_check = now + DIGEST_CHECK_SECONDS
        try:
            if digest.send_if_due(conn, self.settings, self.transport, now):
                log.info("daily digest sent to the coordinators")
        except (sending.TemporaryFailure, sending.PermanentFailure) as exc:
            log.warning("daily digest not sent (%s): trying again later", exc)


async def keep_delivering(worker: Worker, every: float) -> None:
    """In the web app's event loop: start delivery again whenever it has stopped,
    checking every `every` seconds (the `worker` command does the same in its own loop)."""
    while True:
        await asyncio.sleep(every)
        worker.ensure_running()
