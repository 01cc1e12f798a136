"""The README's screenshot of the desk: its list at 360 px in Debian's Chromium, from a
demo database of invented volunteers (no real person's data).

    make build && .venv/bin/python screenshots/desk.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms_service.desk import signin  # noqa: E402
from forms_service.storage import schema, store, submissions  # noqa: E402
from tests.chromium import launch  # noqa: E402
from tests.support import Service  # noqa: E402

COORDINATOR = "coordinators@example.org"
# name, areas of help, days ago, status
INVENTED = [
    ("Rosa Delgado", ["translation", "outreach"], 0.1, "new"),
    ("Kwame Mensah", ["legal-research"], 1.2, "new"),
    ("Lena Novak", ["documents", "admin"], 2.3, "contacted"),
    ("Priya Raman", ["legal-research", "documents"], 4.5, "new"),
    ("Tomás Ferreira", ["technology"], 5.6, "new"),
    ("Aiko Tanaka", ["fundraising"], 8.0, "active"),
    ("Samuel Osei", ["admin"], 12.0, "not-now"),
    ("Hannah Brandt", ["outreach"], 20.0, "closed"),
]


def demo_database(path: Path) -> str:
    """Invented volunteers, oldest first; returns a session id for the coordinator."""
    conn = store.connect(path)
    schema.migrate(conn)
    now = time.time()
    for name, areas, days, status in reversed(INVENTED):
        first = name.split()[0].lower()
        sub = submissions.NewSubmission(
            "volunteer",
            {"name": name, "email": f"{first}@example.com", "help": areas, "consent": "yes"},
        )
        with store.transaction(conn):
            [done] = submissions.insert_batch(conn, [sub], now - days * 86400, 0)
            conn.execute(
                "UPDATE submissions SET status = ? WHERE reference = ?", (status, done.reference)
            )
            conn.execute("UPDATE outbox SET status = 'sent'")
    session_id = signin.open_session(conn, COORDINATOR, now)
    conn.close()
    return session_id


def main() -> None:
    out = ROOT / "screenshots" / "desk-list.png"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        session_id = demo_database(workdir / "forms.sqlite3")
        service = Service(workdir, ROOT / "site", None, FORMS_COORDINATORS=COORDINATOR).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                context = browser.new_context(viewport={"width": 360, "height": 740})
                context.add_cookies(
                    [{"name": signin.COOKIE, "value": session_id, "url": service.url + "/desk/"}]
                )
                page = context.new_page()
                page.goto(service.url + "/desk/")
                page.screenshot(path=str(out))
                browser.close()
        finally:
            service.stop()
    print(f"Wrote {out} ({out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
