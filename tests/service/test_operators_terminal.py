"""What the `forms-service` command writes to an operator's terminal, run as operators run
it (the installed command in a process of its own, on a real SQLite file): a pipe the
reader closed early ends it quietly, and an argument it names back shows its control
characters inert."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from forms_service.storage import schema

FORMS_SERVICE = Path(sys.executable).parent / "forms-service"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An operator's environment on a database of its own (no service needed)."""
    database = tmp_path / "forms.sqlite3"
    schema.prepare(database)
    return {**os.environ, "FORMS_DATABASE": str(database), "FORMS_DIGEST_HOUR": "off"}


@pytest.mark.parametrize("args", [["list"], ["stats"], ["export"], ["--help"], ["list", "-h"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(
    env: dict[str, str], args: list[str]
) -> None:
    """`forms-service list | head -5`: the read end is closed before the command starts,
    so its first write meets the closed pipe every time, not only when `head` wins a race."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(FORMS_SERVICE), *args],
            env=env,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr == "", done.stderr
    assert done.returncode in (0, 141)


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["show", "V-\x1b[31mRED"], "No submission V-[U+001B][31mRED.\n"),
        (
            ["backup", "x\x1b]0;owned\x07/backup.sqlite3"],
            "forms-service backup: no folder x[U+001B]]0;owned[U+0007]: create it first,"
            " or choose another path.\n",
        ),
    ],
)
def test_an_argument_is_echoed_with_its_control_characters_inert(
    env: dict[str, str], tmp_path: Path, args: list[str], shown: str
) -> None:
    """An escape sequence in what the operator typed (or pasted) must not recolour, retitle
    or rewrite their terminal when the command names it back."""
    done = subprocess.run(
        [str(FORMS_SERVICE), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stderr == shown
    assert done.returncode in (1, 2)
