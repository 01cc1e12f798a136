"""What bounding request headers costs: the bare app (bench/bare_app.py) under uvicorn's
default httptools protocol (no header bounds), under ours (forms_service/web/http.py: 16 KiB and
10 s), and under h11 (which bounds size, by h11_max_incomplete_event_size, but not time).
Plain GETs by Debian's wrk on loopback, 16 and 64 connections. Prints a table and writes
bench/results/headers.json.

    .venv/bin/python bench/headers.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.service import _answers, wrk  # noqa: E402
from tests.support import free_port, wait_until  # noqa: E402

SERVER = """
import sys, uvicorn
from forms_service.web.http import bounded_protocol
http = {"httptools": "httptools", "h11": "h11", "bounded": bounded_protocol(16384, 10.0, 10.0)}
uvicorn.run("bench.bare_app:app", port=int(sys.argv[2]), http=http[sys.argv[1]],
            log_level="warning", access_log=False)
"""
PROTOCOLS = {
    "httptools": "uvicorn default (httptools): no header bounds",
    "bounded": "ours: httptools + 16 KiB / 10 s header bounds",
    "h11": "uvicorn --http h11: 16 KiB size bound, no time bound",
}


def run(protocol: str, seconds: float) -> dict[str, object]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, protocol, str(port)], cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}/ping"
        wait_until(lambda: _answers(url), 20, f"uvicorn with {protocol}")
        rows = {c: wrk(url, c, seconds, None) for c in (16, 64)}
        rows["rss_mb"] = psutil.Process(proc.pid).memory_info().rss / 2**20
        return rows
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    args = parser.parse_args()
    results = {name: run(name, args.seconds) for name in PROTOCOLS}
    base = results["httptools"]
    print(f"{'protocol':<52} {'conn':>4} {'req/s':>9} {'ratio':>6} {'p99 ms':>7} {'RSS MB':>7}")
    for name, label in PROTOCOLS.items():
        for c in (16, 64):
            row = results[name][c]
            ratio = row["rps"] / base[c]["rps"]
            print(
                f"{label:<52} {c:>4} {row['rps']:>9.0f} {ratio:>6.2f} {row['p99_ms']:>7.2f}"
                f" {results[name]['rss_mb']:>7.1f}"
            )
    out = ROOT / "bench" / "results" / "headers.json"
    out.parent.mkdir(exist_ok=True)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="minutes"),
        "python": platform.python_version(),
    }
    out.write_text(json.dumps({**meta, "results": results}, indent=2))


if __name__ == "__main__":
    main()
