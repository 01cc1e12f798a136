"""Service benchmark: the real form endpoint (durable commits) against a bare Starlette
endpoint that reads the same body, both on one uvicorn worker, loaded by Debian's wrk on
loopback. Also: delivery time from the answer to the SMTP server's 250, resident memory
after the load, and time to start. Prints a table and writes bench/results/service.json.

    .venv/bin/python bench/service.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import Service, SmtpServer, free_port, wait_until  # noqa: E402

TARGETS = {"ratio": 0.6, "p99_ms_16": 25.0, "delivery_p50_ms": 100.0, "rss_mb": 80.0}
LUA = ROOT / "bench" / "post.lua"


def wrk(url: str, connections: int, seconds: float, run: str | None) -> dict[str, float]:
    """Run wrk and read its summary: requests per second, p50 and p99 latency, errors.

    With `run`, each request posts the form (post.lua); without, a plain GET."""
    script = ["-s", str(LUA), url, "--", run, url.rstrip("/")] if run else [url]
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{int(seconds)}s",
            "--latency",
            *script,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out)[1]),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out)[1]),
        "bad_responses": int(errors[1]) if errors else 0,
        "socket_errors": socket_errors[1] if socket_errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def measure(service: Service, smtp: SmtpServer, bare: subprocess.Popen, args) -> dict:
    bare_url = f"http://127.0.0.1:{bare.port}/api/forms/volunteer"
    rows = {}
    for connections in (16, 64):
        real = wrk(service.url + "/", connections, args.seconds, f"r{connections}")
        base = wrk(bare_url, connections, args.seconds, f"b{connections}")
        rows[connections] = {"real": real, "bare": base, "ratio": real["rps"] / base["rps"]}
    process = psutil.Process(service.proc.pid)
    # the service and its writer process together
    rss_mb = sum(p.memory_info().rss for p in [process, *process.children()]) / 2**20
    stored = service.rows("SELECT count(*) FROM submissions")[0][0]
    wait_until(
        lambda: service.rows("SELECT count(*) FROM outbox WHERE status != 'sent'")[0][0] == 0,
        600,
        "the backlog to be delivered",
    )
    latencies = delivery_latency(service, smtp, args.latency_samples)
    return {
        "load": rows,
        "stored_during_load": stored,
        "delivery_p50_ms": percentile(latencies, 50),
        "delivery_p99_ms": percentile(latencies, 99),
        "rss_mb_after_load": rss_mb,
    }


def start_bare(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
    )
    proc.port = port
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(url), 20, "the bare app")
    return proc


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.HTTPError:
        return False


def delivery_latency(service: Service, smtp: SmtpServer, count: int) -> list[float]:
    """Post one at a time, as volunteers do, and time each answer to the server's 250."""
    arrived: dict[str, float] = {}
    handler = smtp.inbox
    original = handler.handle_DATA

    async def timed(server, session, envelope):
        reply = await original(server, session, envelope)
        found = re.search(rb"V-[A-Z0-9]{8}", envelope.original_content)
        if found:
            arrived[found[0].decode()] = time.perf_counter()
        return reply

    handler.handle_DATA = timed
    answered: dict[str, float] = {}
    with service.client() as client:
        for i in range(count):
            r = client.post(
                "/api/forms/volunteer",
                data={"name": f"Latency {i}", "email": f"l{i}@example.com", "consent": "yes"},
                headers={"Accept": "application/json"},
            )
            answered[r.json()["reference"]] = time.perf_counter()
            time.sleep(0.02)
    wait_until(lambda: set(answered) <= set(arrived), 60, "every latency email")
    handler.handle_DATA = original
    return sorted((arrived[ref] - answered[ref]) * 1000 for ref in answered)


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--latency-samples", type=int, default=200)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: `make bench` installs it as root (apt-get install wrk)")
        return 2

    smtp = SmtpServer().start()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    started = time.perf_counter()
    service = Service(
        workdir,
        ROOT / "site",
        smtp.port,
        FORMS_RATE_LIMIT="100000000/second",
        FORMS_LOG_LEVEL="warning",
        FORMS_SMTP_TIMEOUT="5",
    ).start()
    start_seconds = time.perf_counter() - started
    bare = start_bare(free_port())
    try:
        report = measure(service, smtp, bare, args)
    finally:
        bare.terminate()
        bare.wait()
        service.stop()
        smtp.stop()
    report["start_seconds"] = start_seconds
    report.update(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}",
        seconds_per_run=args.seconds,
        targets=TARGETS,
    )
    print_table(report)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "service.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


def print_table(r: dict) -> None:
    print(f"Service benchmark, {r['date']}, {r['machine']}")
    print(
        f"{'connections':>11} {'form req/s':>11} {'bare req/s':>11} {'ratio':>6} "
        f"{'form p50':>9} {'form p99':>9} {'bare p99':>9} {'bad':>5}"
    )
    for c, row in r["load"].items():
        real, bare = row["real"], row["bare"]
        print(
            f"{c:>11} {real['rps']:>11.0f} {bare['rps']:>11.0f} {row['ratio']:>6.2f} "
            f"{real['p50_ms']:>7.2f}ms {real['p99_ms']:>7.2f}ms {bare['p99_ms']:>7.2f}ms "
            f"{real['bad_responses']:>5}"
        )
    print(f"submissions stored during the load: {r['stored_during_load']}")
    t = r["targets"]
    load16, load64 = r["load"][16], r["load"][64]
    rows = [
        ("ratio at 16 connections", load16["ratio"], f">= {t['ratio']}"),
        ("ratio at 64 connections", load64["ratio"], f">= {t['ratio']}"),
        ("p99 at 16 connections (ms)", load16["real"]["p99_ms"], f"<= {t['p99_ms_16']}"),
        ("delivery p50, answer to 250 (ms)", r["delivery_p50_ms"], f"<= {t['delivery_p50_ms']}"),
        ("delivery p99, answer to 250 (ms)", r["delivery_p99_ms"], ""),
        ("resident memory after load (MB)", r["rss_mb_after_load"], f"<= {t['rss_mb']}"),
        ("time to start (s)", r["start_seconds"], ""),
    ]
    print(f"{'measure':<34} {'value':>10} {'target':>10}")
    for name, value, target in rows:
        print(f"{name:<34} {value:>10.2f} {target:>10}")


if __name__ == "__main__":
    sys.exit(main())
