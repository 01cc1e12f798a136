"""Soak: many concurrent volunteers for a bounded time while the mail server goes down and
comes back at random. Prints accepted, rejected, delivered, duplicates, lost and 5xx; lost and
5xx must be 0. Loopback only; every loop is bounded.

    .venv/bin/python bench/soak.py [--seconds 30] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import Service, SmtpServer  # noqa: E402

API = "/api/forms/volunteer"
REFERENCE = re.compile(r"V-[A-Z0-9]{8}")


def chaos(smtp: SmtpServer, stop: threading.Event, log: list[str]) -> None:
    """Take the SMTP server down and up at random until told to stop."""
    up = True
    while not stop.wait(random.uniform(0.5, 3.0)):
        if up:
            smtp.stop()
        else:
            smtp.start()
        up = not up
        log.append("up" if up else "down")
    if not up:
        smtp.start()


async def client(url: str, deadline: float, counts: Counter, accepted: set[str], n: int) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"Origin": url}, timeout=30) as http:
        i = 0
        while time.monotonic() < deadline:
            i += 1
            bad = random.random() < 0.1
            form = {
                "name": f"Soak {n}-{i}",
                "email": "not-an-address" if bad else f"soak{n}.{i}@example.com",
                "message": f"Marker {n}-{i} " + "ü" * random.randint(0, 200),
                "help": random.sample(["admin", "technology", "outreach"], k=random.randint(0, 3)),
                "consent": "yes",
            }
            try:
                r = await http.post(API, data=form, headers={"Accept": "application/json"})
            except httpx.HTTPError:
                counts["connection errors"] += 1
                continue
            if r.status_code == 201:
                counts["accepted"] += 1
                accepted.add(r.json()["reference"])
            elif r.status_code >= 500:
                counts["5xx"] += 1
            else:
                counts["rejected"] += 1


async def load(url: str, seconds: float, clients: int) -> tuple[Counter, set[str]]:
    counts: Counter = Counter()
    accepted: set[str] = set()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(url, deadline, counts, accepted, n) for n in range(clients)))
    return counts, accepted


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--drain-seconds", type=float, default=600)
    args = parser.parse_args()

    smtp = SmtpServer().start()
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    service = Service(
        workdir,
        ROOT / "site",
        smtp.port,
        FORMS_RATE_LIMIT="1000000/minute",
        FORMS_RETRY_BASE_SECONDS="0.5",
        FORMS_SMTP_TIMEOUT="2",
        FORMS_LOG_LEVEL="warning",
    ).start()
    stop = threading.Event()
    flips: list[str] = []
    flipper = threading.Thread(target=chaos, args=(smtp, stop, flips))
    flipper.start()
    started = time.monotonic()
    counts, accepted = asyncio.run(load(service.url, args.seconds, args.clients))
    stop.set()
    flipper.join()

    def delivered() -> Counter:
        return Counter(REFERENCE.search(m["Subject"])[0] for m in list(smtp.inbox.messages))

    drain_deadline = time.monotonic() + args.drain_seconds
    while time.monotonic() < drain_deadline and not accepted <= set(delivered()):
        time.sleep(0.5)
    drained = time.monotonic() - started
    got = delivered()
    service.stop()
    smtp.stop()

    figures = {
        "seconds of load": args.seconds,
        "clients": args.clients,
        "mail server flips": len(flips),
        "accepted": counts["accepted"],
        "rejected (4xx)": counts["rejected"],
        "5xx": counts["5xx"],
        "connection errors": counts["connection errors"],
        "delivered": len(accepted & set(got)),
        "duplicates": sum(n - 1 for n in got.values() if n > 1),
        "lost": len(accepted - set(got)),
        "seconds until all delivered": round(drained, 1),
    }
    width = max(map(len, figures))
    print(f"{'soak':<{width}}  value")
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["lost"] == 0 and figures["5xx"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
