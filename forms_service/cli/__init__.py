"""`forms-service`: the coordinators' and operators' commands."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ..mail.emails import inert
from ..settings import Settings, SettingsError

# Importing a group registers its commands; `--help` lists them in this order.
from . import running, submissions, database, sessions  # noqa: F401  # isort: skip
from .base import COMMANDS, Refused

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format=LOG_FORMAT,
        stream=sys.stderr,
        force=True,
    )
    # python-multipart's warnings about a broken body quote bytes of it: what a person
    # sent never goes to the log, and the person already gets a 400 saying so.
    logging.getLogger("python_multipart").setLevel(logging.ERROR)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="forms-service", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for c in COMMANDS.values():
        cp = sub.add_parser(c.name, help=c.help, description=c.help)
        for flags, options in c.arguments:
            cp.add_argument(*flags, **options)
    return p


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Runs one command; a reader that stops early (`forms-service list | head -5`) ends
    it quietly, as `yes | head` ends, instead of with a traceback on the operator's screen."""
    try:
        try:
            return _run(argv, out)
        finally:
            out.flush()  # here, inside the try: at exit a closed pipe could no longer be caught
    except BrokenPipeError:
        return _reader_gone()


def _run(argv: Sequence[str] | None, out: TextIO) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"forms-service: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return COMMANDS[args.command].run(settings, args, out)
    except Refused as exc:
        # A refusal names the operator's arguments (a path): never their control characters.
        print(f"forms-service {args.command}: {inert(str(exc), one_line=True)}", file=sys.stderr)
        return 2


def _reader_gone() -> int:
    """The exit status of a command ended by SIGPIPE (128 + 13), which scripts know; what
    is left in stdout's buffer goes to /dev/null, so the flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + 13
