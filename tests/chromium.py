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
# Not in WCAG, but what screen-reader users meet: landmarks they cannot tell apart.
BEST_PRACTICES = ["landmark-unique"]

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


# Transitions and animations brought to their end state at once rather than waited for
# (the header's 400 ms fade after every scroll cost more than the checks themselves):
# what is checked next is what a reader is left looking at either way. One that ends
# another's start is finished in the next round; an endless one is left running.
SETTLE_ANIMATIONS = """async () => {
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    await frame(); await frame();  // let scroll handlers start their transitions
    for (let round = 0; round < 10; round++) {
        const running = document.getAnimations().filter(a => a.playState === 'running' ||
            a.playState === 'pending');
        let finished = 0;
        for (const a of running) {
            try { a.finish(); finished++; } catch (endless) { /* infinite: never ends */ }
        }
        if (!finished) return;
        await frame();  // what the end of one starts (transitionend handlers) shows here
    }
}"""


def axe_violations(page: Page) -> list[str]:
    """Run axe-core for WCAG 2.2 A and AA, and its best-practice rules in BEST_PRACTICES;
    evaluate() is not subject to the page's CSP.

    Transitions are let finish first: the header's title fades in when the page
    scrolls, and half-faded text is not what a reader is left looking at.
    """
    page.evaluate(SETTLE_ANIMATIONS)
    if not page.evaluate("typeof axe === 'object' && typeof axe.run === 'function'"):
        page.evaluate(AXE_SOURCE)  # once per load: a second scheme's run reuses it
    result = page.evaluate(
        """([tags, rules]) => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            rules: Object.fromEntries(rules.map(rule => [rule, {enabled: true}])),
        })""",
        [WCAG_TAGS, BEST_PRACTICES],
    )
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


# Where the quick exit is, and every piece of text it lies over. Text hidden behind the
# sticky header as a whole (content scrolled under it) is the header's doing, not the
# exit's, so a piece counts only if it is in the header or outside the header's box.
EXIT_PROBLEMS = """() => {
  const exit = document.querySelector('[data-quick-exit]');
  if (!exit) return ['no quick exit'];
  const r = exit.getBoundingClientRect();
  const problems = [];
  if (!(r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight &&
        r.right <= innerWidth)) problems.push('quick exit out of view');
  const atCentre = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!atCentre || !exit.contains(atCentre)) problems.push('quick exit is covered');
  // what of a piece of text can be seen: clipped by every ancestor that hides overflow
  const clip = (el, t) => {
    let {left, right, top, bottom} = t;
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      left = Math.max(left, b.left); right = Math.min(right, b.right);
      top = Math.max(top, b.top); bottom = Math.min(bottom, b.bottom);
    }
    return {left, right, top, bottom};
  };
  const header = exit.closest('header');
  const h = header ? header.getBoundingClientRect() : {top: 0, bottom: 0, left: 0, right: 0};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const owner = node.parentElement;
    if (!node.textContent.trim() || !owner || exit.contains(owner)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const full of range.getClientRects()) {
      if (full.width <= 1) continue;
      const t = clip(owner, full);
      const left = Math.max(t.left, r.left), right = Math.min(t.right, r.right);
      const top = Math.max(t.top, r.top), bottom = Math.min(t.bottom, r.bottom);
      if (right - left < 1 || bottom - top < 1) continue;
      const underHeader = header && !header.contains(owner) && left >= h.left &&
        right <= h.right && top >= h.top && bottom <= h.bottom;
      if (!underHeader) problems.push('covers "' + node.textContent.trim().slice(0, 40) + '"');
    }
  }
  return problems;
}"""


def exit_problems(page: Page) -> list[str]:
    """Empty when the quick exit is in view, on top, and lies over no text."""
    return page.evaluate(EXIT_PROBLEMS)


FIRST_SCREEN = """href => {
  const inScreen = el => {
    const r = el && el.getBoundingClientRect();
    return !!r && r.width > 0 && r.top >= 0 && r.bottom <= innerHeight;
  };
  const problems = [];
  const call = document.querySelector('.help-bar a[href="' + href + '"]');
  if (!inScreen(call)) problems.push('hotline link not on the first screen');
  const title = document.querySelector('.md-content h1');
  if (!inScreen(title)) problems.push('page title not on the first screen');
  return problems;
}"""


def first_screen_problems(page: Page, hotline_href: str) -> list[str]:
    """Empty when the help bar's call link and the page's title are on the first screen."""
    return page.evaluate(FIRST_SCREEN, hotline_href)


# The contrast of an element's text against what is behind it (WCAG's formula; colours
# with alpha are blended over the first opaque background found up the tree).
CONTRAST = """el => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const blend = (fg, bg) => {
    const a = fg.length > 3 ? fg[3] : 1;
    return [0, 1, 2].map(i => fg[i] * a + bg[i] * (1 - a));
  };
  let bg = [255, 255, 255];
  const layers = [];
  for (let a = el; a; a = a.parentElement) {
    const c = parse(getComputedStyle(a).backgroundColor);
    if (c.length > 3 && c[3] === 0) continue;
    layers.push(c);
    if (c.length === 3 || c[3] === 1) break;
  }
  if (layers.length && (layers.at(-1).length === 3 || layers.at(-1)[3] === 1)) {
    bg = layers.pop().slice(0, 3);
  } else if (matchMedia('(prefers-color-scheme: dark)').matches) {
    bg = parse(getComputedStyle(document.body).backgroundColor).slice(0, 3);
  }
  for (const layer of layers.reverse()) bg = blend(layer, bg);
  const fg = blend(parse(getComputedStyle(el).color), bg);
  const lum = rgb => {
    const [r, g, b] = rgb.map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""


# For each of the links given: its text, whether it is skipped (icon links; the header's
# white-on-indigo, tested by axe; the skip link, off screen until focused and checked by
# axe then), and its contrast at rest and with focus, the pointer away (CONTRAST above).
LINKS_AT_REST_AND_FOCUSED = """links => links.map(a => {
  const text = a.innerText.trim();
  const skip = !text || !!a.closest('.md-header') || a.classList.contains('md-skip');
  if (skip) return {text, skip};
  const contrast = CONTRAST;
  const rest = contrast(a);
  a.focus();
  const focus = contrast(a);
  a.blur();
  return {text, skip, rest, focus};
})""".replace("CONTRAST", CONTRAST)

# Brings a link into view as Playwright's hover does (no scroll if it is in view, else the
# nearest edge, then other places while something lies over it); its contrast there, the
# pointer still away, and where the pointer goes (the middle of its first line).
HOVER_POINT = """a => {
  const contrast = CONTRAST;
  for (const block of ['nearest', 'center', 'end', 'start']) {
    a.scrollIntoView({block, inline: 'nearest'});
    const r = a.getClientRects()[0];
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    const there = document.elementFromPoint(x, y);
    if (there && a.contains(there)) return {x, y, reached: true, rest: contrast(a)};
  }
  return {reached: false};
}""".replace("CONTRAST", CONTRAST)


def link_contrast_problems(page: Page, minimum: float = 4.5) -> list[str]:
    """Every visible link's text contrast as it is, under the pointer and with focus.
    The states at rest and with focus are read for all links in one call, the pointer
    at the corner; then each link in turn is brought into view, read at rest again there,
    and under the pointer."""
    problems = []
    # no fading between states (through the CSSOM, which the page's CSP allows)
    page.evaluate("document.querySelectorAll('a').forEach(a => a.style.transition = 'none')")
    page.mouse.move(0, 0)
    links = page.locator("a:visible")
    states = links.evaluate_all(LINKS_AT_REST_AND_FOCUSED)
    for i, state in enumerate(states):
        if state["skip"]:
            continue
        name = repr(state["text"][:30])
        link = links.nth(i)
        point = link.evaluate(HOVER_POINT)
        if not point["reached"]:
            problems.append(f"{name} hover: another element lies over it")
            continue
        page.mouse.move(point["x"], point["y"])
        hover = link.evaluate(CONTRAST)
        page.mouse.move(0, 0)
        for kind, ratio in (
            ("rest", state["rest"]),
            ("rest", point["rest"]),  # in view, as the page has scrolled to it
            ("hover", hover),
            ("focus", state["focus"]),
        ):
            if ratio < minimum:
                problems.append(f"{name} {kind}: {ratio:.2f}:1")
    # at rest once more with the page read to its end: the contents' links are then
    # marked as passed, a colour of their own
    page.evaluate("scrollTo(0, document.documentElement.scrollHeight)")
    page.evaluate(SETTLE_ANIMATIONS)
    for state in links.evaluate_all(LINKS_AT_REST_AND_FOCUSED):
        if not state["skip"] and state["rest"] < minimum:
            problems.append(f"{state['text'][:30]!r} rest: {state['rest']:.2f}:1")
    return problems
