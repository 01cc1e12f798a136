"""Desk benchmark: the coordinators' list and one submission, with 100,000 submissions
stored, against the same pages with 1,000 (the baseline, measured in the same run).

Each page is asked for through the real app (routing, session check, queries, template)
in-process, through httpx's ASGI transport with the app's lifespan running, so the figure
is the service's own time, without the network. A ratio near
1 means the page does not slow down as submissions pile up (indexes, paging by id).

    .venv/bin/python bench/desk.py [--large 100000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms_service.app import create_app  # noqa: E402
from forms_service.desk import signin  # noqa: E402
from forms_service.settings import Settings  # noqa: E402
from forms_service.storage import schema, store, submissions  # noqa: E402

AREAS = ["legal-research", "documents", "translation", "admin", "fundraising", "outreach"]
FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jude"]
LAST = ["Okafor", "Silva", "Nguyen", "Keller", "Moreau", "Haddad", "Lindqvist", "Rossi"]


def fill(path: Path, count: int) -> tuple[str, str]:
    """A database of `count` invented submissions, the newest a week old at most; returns
    one reference from the middle and a session id for a coordinator."""
    conn = store.connect(path)
    schema.migrate(conn)
    rng = random.Random(7)
    now = time.time()
    for start in range(0, count, 1000):
        batch = [
            submissions.NewSubmission(
                "volunteer",
                {
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                    "email": f"person{i}@example.com",
                    "help": rng.sample(AREAS, 2),
                    "message": "I can help on weekday evenings. " * 3,
                    "consent": "yes",
                },
            )
            for i in range(start, min(count, start + 1000))
        ]
        with store.transaction(conn):
            submissions.insert_batch(conn, batch, now - (count - start) * 60, 0)
    with store.transaction(conn):
        conn.execute("UPDATE submissions SET status = 'contacted' WHERE id % 3 = 0")
        conn.execute("UPDATE submissions SET status = 'closed' WHERE id % 7 = 0")
    middle = conn.execute(
        "SELECT reference FROM submissions WHERE id = ?", (count // 2,)
    ).fetchone()[0]
    session_id = signin.open_session(conn, "coordinators@example.org", now + 3600)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return middle, session_id


def pages(middle: str, count: int) -> dict[str, str]:
    return {
        "list, first page": "/desk/",
        "list, page 1,000 rows in": f"/desk/?before={count - 1000}",
        "list, status new": "/desk/?status=new",
        "list, area + waiting": "/desk/?area=translation&waiting=1",
        "one submission": f"/desk/submissions/{middle}",
    }


async def median_ms(client: httpx.AsyncClient, path: str, repeat: int) -> float:
    """The median time of `repeat` requests for one page, each checked to be a 200."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


async def measure(count: int, repeat: int, workdir: Path) -> dict[str, float]:
    database = workdir / f"desk-{count}.sqlite3"
    middle, session_id = fill(database, count)
    settings = Settings(
        database=database, site_dir=ROOT / "site", coordinators=("coordinators@example.org",)
    )
    app = create_app(settings, deliver=False)
    transport = httpx.ASGITransport(app=app)
    results = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as client,
    ):
        client.cookies.set(signin.COOKIE, session_id, path="/desk/")
        for name, path in pages(middle, count).items():
            results[name] = await median_ms(client, path, repeat)
        # a search has to look at every name and email: the one page that is not indexed
        conn = store.connect(database)
        signin.remember_search(
            conn, signin.load_session(conn, session_id, settings, time.time()), "keller"
        )
        conn.close()
        results["list, search name or email"] = await median_ms(client, "/desk/", repeat)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = asyncio.run(measure(args.small, args.repeat, Path(tmp)))
        large = asyncio.run(measure(args.large, args.repeat, Path(tmp)))
    head = f"| page (median of {args.repeat}) | {args.small:,} stored | {args.large:,} stored"
    print(head + " | ratio |")
    print("| --- | --- | --- | --- |")
    for name in small:
        ratio = large[name] / small[name]
        print(f"| {name} | {small[name]:.1f} ms | {large[name]:.1f} ms | {ratio:.1f} |")
    out = ROOT / "bench" / "results" / "desk.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": platform.platform(),
                "small": small,
                "large": large,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
