"""What every operator's command shares: how it declares itself and its arguments
(`command`, `arg`), how it refuses (`Refused`), the database it opens and where it may
write a file of its own.

A command is a function in a module of its group (running.py, submissions.py,
database.py, sessions.py), its name, help and arguments written above it:

    @command("backup", "copy the database safely while the service runs",
             arg("path", help="the file to write the copy to"), FORCE)
    def cmd_backup(settings, args, out) -> int: ...
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..settings import Settings
from ..storage import schema, store

Run = Callable[[Settings, argparse.Namespace, TextIO], int]
Argument = tuple[tuple[str, ...], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Run
    arguments: tuple[Argument, ...]


COMMANDS: dict[str, Command] = {}
"""Every command, in the order `forms-service --help` lists them (the order of import)."""


def arg(*flags: str, **options: Any) -> Argument:
    """One argument, as `ArgumentParser.add_argument` takes it."""
    return flags, options


def command(name: str, help_text: str, *arguments: Argument) -> Callable[[Run], Run]:
    """Registers the function below as `forms-service <name>` with these arguments."""

    def register(run: Run) -> Run:
        if name in COMMANDS:
            raise ValueError(f"two commands named {name!r}")
        COMMANDS[name] = Command(name, help_text, run, arguments)
        return run

    return register


class Refused(Exception):
    """An operator's command that would do something other than they meant; says why."""


def connect(settings: Settings) -> sqlite3.Connection:
    """The existing database: a command never creates an empty one where none was meant."""
    if not settings.database.is_file():
        raise Refused(
            f"no database at {settings.database}. Set FORMS_DATABASE to the service's"
            " database (the service creates it when it first starts)."
        )
    try:
        conn = store.connect(settings.database)
        schema.migrate(conn)
    except sqlite3.OperationalError:  # locked, or no room: its own message says it
        raise
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        raise Refused(
            f"{settings.database} cannot be read as the service's database ({exc}):"
            " check FORMS_DATABASE, or restore it from a backup."
        ) from None
    return conn


def _live_files(settings: Settings) -> list[Path]:
    """The service's own files: writing over any of them loses submissions or the key."""
    db = settings.database
    return [db, *(Path(f"{db}{end}") for end in ("-wal", "-shm", ".key", ".delivery"))]


FORCE = arg("--force", action="store_true", help="replace an existing file")
"""The one way every command that writes a file of the operator's choosing agrees to replace
one: a path typed a little wrong must not silently overwrite another database or export."""


def new_output(settings: Settings, path: Path, what: str, *, force: bool) -> Path:
    """`path` if an operator's output may go there; Refused (before any change) otherwise.

    Never one of the live files (symlinks resolved), a folder or a path in a folder that
    does not exist; an existing file (or what a symlink there points to) only with --force.
    """
    if any(_same_file(path, live) for live in _live_files(settings)):
        raise Refused(f"{path} is the live database: give the {what} a path of its own.")
    if path.is_dir():
        raise Refused(f"{path} is a folder: give the {what} a file name.")
    if not path.parent.is_dir():
        raise Refused(f"no folder {path.parent}: create it first, or choose another path.")
    if path.exists() and not force:
        raise Refused(f"{path} already exists (add --force to replace it): nothing was written.")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
