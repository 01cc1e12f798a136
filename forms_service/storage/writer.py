"""The writer process: the only place where the web service writes submissions.

`committer.Committer` starts it and writes one batch of submissions a line on its
stdin; it commits each batch in one transaction and answers one line on stdout.
It has a GIL of its own, so SQLite never waits for the busy event loop. It exits
when its stdin closes, after finishing the batch in hand: Ctrl-C and SIGTERM are
left to the parent, which closes stdin once its requests are answered.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sqlite3
import sys
from pathlib import Path

from . import schema, store, submissions

log = logging.getLogger("forms_service.store")


def encode_batch(subs: list[submissions.NewSubmission]) -> bytes:
    """One line of JSON; ASCII, so any text a volunteer sent goes through unchanged."""
    rows = [
        [sub.form, sub.data, sub.idempotency_key, sub.acknowledge_hash, sub.prefix] for sub in subs
    ]
    return json.dumps(rows).encode() + b"\n"


def decode_batch(line: bytes) -> list[submissions.NewSubmission]:
    return [submissions.NewSubmission(*row) for row in json.loads(line)]


def decode_reply(
    line: bytes, expected: int
) -> list[submissions.Accepted] | list[store.StoreUnavailable]:
    """The writer's answer for a batch of `expected` submissions; ValueError if it is not one."""
    if not line:
        raise ValueError("the writer process ended")
    try:
        reply = json.loads(line)
        if "error" in reply:
            return [store.StoreUnavailable(reply["error"]) for _ in range(expected)]
        stored = [submissions.Accepted(*outcome) for outcome in reply["stored"]]
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an answer: {type(exc).__name__}") from None
    if len(stored) != expected:
        raise ValueError(f"{len(stored)} answers for {expected} submissions")
    return stored


class Writer:
    """Commits batches on one connection, reopened after an error."""

    def __init__(self, path: Path, duplicate_window: float) -> None:
        self._path = path
        self._window = duplicate_window
        self._conn: sqlite3.Connection | None = None

    def commit(self, subs: list[submissions.NewSubmission]) -> dict[str, object]:
        try:
            conn = self._connection()
            with store.transaction(conn):
                outcomes = submissions.insert_batch(conn, subs, store.now(), self._window)
        except sqlite3.Error as exc:
            log.error("could not store %d submission(s): %s", len(subs), exc)
            self._drop_connection()
            return {"error": str(exc)}
        stored = [[o.reference, o.duplicate, o.conflict, o.acknowledgement] for o in outcomes]
        return {"stored": stored}

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = store.connect(self._path)
            try:
                schema.migrate(conn)
            except sqlite3.Error:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _drop_connection(self) -> None:
        """The file may have been replaced or remounted: open it afresh next time."""
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None


def main(argv: list[str]) -> None:
    path, window, level = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    writer = Writer(Path(path), float(window))
    with contextlib.suppress(BrokenPipeError):  # the parent was killed: nobody to answer
        for line in sys.stdin.buffer:
            sys.stdout.write(json.dumps(writer.commit(decode_batch(line))) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
