"""Debian's Chromium driven by Playwright: launch, guard the network, run axe-core."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import axe_playwright_python
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

CHROMIUM = "/usr/bin/chromium"
QUICK_EXIT_HOST = "www.weather.gov"
AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# Records CSP violations the page reports, before any of its own scripts run.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def require_chromium() -> None:
    """Skip where there is no browser, except in CI, where a missing browser is a failure."""
    if shutil.which(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs it as root")
    pytest.skip(f"{CHROMIUM} is not installed (run `make test` as root to install it)")


def launch(playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


@dataclass
class Guarded:
    """A browser context whose requests may only go to our own origin.

    The quick exit's destination is answered locally, so no real traffic
    leaves the machine; any other outside request is blocked and recorded.
    """

    context: BrowserContext
    origin: str
    foreign: list[str] = field(default_factory=list)
    exits: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.context.route("**/*", self._route)
        self.context.add_init_script(CSP_WATCH)

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if url.startswith(self.origin) or parts.scheme in ("data", "blob"):
            route.continue_()
        elif parts.hostname == QUICK_EXIT_HOST:
            self.exits.append(url)
            route.fulfill(
                status=200,
                content_type="text/html",
                body="<!doctype html><title>Weather</title><h1>Weather forecast</h1>",
            )
        else:
            self.foreign.append(url)
            route.abort()

    def new_page(self) -> Page:
        return self.context.new_page()


def new_guarded(browser: Browser, origin: str, **options) -> Guarded:
    return Guarded(browser.new_context(**options), origin)


SETTLE_ANIMATIONS = """async () => {
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    await frame(); await frame();  // let scroll handlers start their transitions
    await Promise.race([
        Promise.all(document.getAnimations().map(a => a.finished.catch(() => null))),
        new Promise(resolve => setTimeout(resolve, 2000)),
    ]);
}"""


def axe_violations(page: Page) -> list[str]:
    """Run axe-core for WCAG 2.2 A and AA; evaluate() is not subject to the page's CSP.

    Transitions are let finish first: the header's title fades in when the page
    scrolls, and half-faded text is not what a reader is left looking at.
    """
    page.evaluate(SETTLE_ANIMATIONS)
    page.evaluate(AXE_SOURCE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")
