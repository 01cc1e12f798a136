"""tools/fake_clock.py, which `make test` uses to prove that no test depends on the wall
clock: the command it runs reads the moment and the zone it was given, and Python's waits
still keep their length there (Debian's libfaketime hangs or fails them)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from ..support import ROOT

PROBE = """
import threading, time
start = time.time()
threading.Event().wait(0.6)
time.sleep(0.6)
print(start, time.strftime('%Z', time.localtime(start)), time.strftime('%Z'))
"""

CHICAGO_BEFORE_DST = ("2026-03-08 01:59:59", "--tz", "America/Chicago")


def test_the_command_runs_from_the_moment_given_in_its_zone_and_its_waits_work():
    result = subprocess.run(
        [
            sys.executable,
            "tools/fake_clock.py",
            *CHICAGO_BEFORE_DST,
            "--",
            sys.executable,
            "-c",
            PROBE,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    start, zone_before, zone_after = result.stdout.split()
    # 01:59:59 Central Standard Time is 07:59:59 UTC; the clocks go forward a second later,
    # before the 1.2 s of waiting end
    expected = datetime(2026, 3, 8, 7, 59, 59, tzinfo=UTC).timestamp()
    assert expected <= float(start) < expected + 10
    assert (zone_before, zone_after) == ("CST", "CDT")
