"""Run a command, and every process it starts, with the wall clock set to a moment of our
choosing and running on from it: the proof that no test depends on the hour, the day or
the time zone (`make test` runs the unit and service tiers so, at 23:59:30 UTC).

    python tools/fake_clock.py '2026-12-03 23:59:30' [--tz America/Chicago] -- command...

The moment is read in the zone given (UTC unless --tz says otherwise): '2026-03-08
01:59:30' with --tz America/Chicago is thirty seconds before its clocks go forward.

Only the wall clock moves: the monotonic clock stays real, so every timeout and wait keeps
its length. Debian's libfaketime 0.9.10 cannot do this for Python 3.11: with the monotonic
clock faked, `threading.Event().wait(0.3)` never returns; with it left real
(FAKETIME_DONT_FAKE_MONOTONIC=1), `time.sleep` fails with EINVAL from clock_nanosleep.
The libfaketime that the PyPI package `libfaketime` builds (a test extra) runs both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import libfaketime

LIBRARY = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"


def clock_env(moment: str, timezone: str) -> dict[str, str]:
    """The environment that starts the wall clock at `moment`, read in `timezone` (libfaketime
    reads it in the zone the process runs in)."""
    preload = " ".join(filter(None, [str(LIBRARY), os.environ.get("LD_PRELOAD")]))
    return {
        **os.environ,
        "LD_PRELOAD": preload,
        "FAKETIME": f"@{moment}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": timezone,
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("moment", help="'YYYY-MM-DD HH:MM:SS', in the zone of --tz")
    parser.add_argument("--tz", default="UTC", help="the time zone the command runs in")
    # everything after "--" is the command, options and all
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1 :]
    if not command:
        parser.error("a command to run is needed, after --")
    sys.exit(subprocess.run(command, env=clock_env(args.moment, args.tz)).returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
