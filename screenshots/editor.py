"""EDITING.md's screenshots of the web editor, in Debian's Chromium: the site built as a
deploy preview builds it, served as `make run` serves it, and the editor's local
mode on a copy of docs/ (no GitHub account is needed, and nothing leaves this machine).

    make build && .venv/bin/python screenshots/editor.py
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.test_editor_browser import PICKER, SEED, sources  # noqa: E402
from tests.chromium import launch, new_guarded  # noqa: E402
from tests.support import Service  # noqa: E402

OUT = ROOT / "screenshots"


def preview_build(site: Path) -> None:
    """The site as Netlify builds a deploy preview: with the editors' checks page."""
    env = {**os.environ, "CONTEXT": "deploy-preview", "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(site)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def shoot(page: Page, name: str) -> None:
    page.wait_for_timeout(500)  # let the editor's transitions end before the picture
    page.screenshot(path=str(OUT / name))
    print(f"Wrote screenshots/{name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        preview_build(site)
        service = Service(Path(tmp), site, None).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                g = new_guarded(browser, service.url, viewport={"width": 1280, "height": 760})
                g.context.add_init_script(PICKER)
                page = g.new_page()
                page.goto(service.url + "/admin/")
                page.get_by_role("button", name=re.compile("Sign In with .*GitHub")).wait_for()
                shoot(page, "editor-sign-in.png")
                page.evaluate(SEED, sources())
                page.get_by_role("button", name="Work with Local Repository").click()
                page.get_by_text("Get help now").first.wait_for()
                shoot(page, "editor-pages.png")
                page.goto(service.url + "/admin/#/collections/pages/entries/get-help")
                page.get_by_role("textbox", name="Title").first.wait_for()
                shoot(page, "editor-page.png")
                page.goto(service.url + "/admin/#/collections/blog/new")
                page.locator("[data-key-path=date]").wait_for()
                shoot(page, "editor-new-post.png")
                page.goto(service.url + "/editor-checks/")
                shoot(page, "editor-checks.png")
                assert g.foreign == [], g.foreign
                browser.close()
        finally:
            service.stop()


if __name__ == "__main__":
    main()
