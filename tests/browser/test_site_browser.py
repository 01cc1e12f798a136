"""Every built page in headless Chromium, on a phone and a desktop, light and dark: help
bar on the first screen, a quick exit that covers nothing, no third party, no trace, no
copy kept by the browser, no CSP violation, no WCAG 2.2 A/AA violation."""

from __future__ import annotations

import time

import pytest

from ..chromium import (
    SETTLE_ANIMATIONS,
    axe_violations,
    csp_violations,
    exit_problems,
    first_screen_problems,
    link_contrast_problems,
    new_guarded,
)
from ..support import Service

pytestmark = pytest.mark.browser

WIDTHS = (320, 360, 768, 1280)
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
ZOOMED = {"width": 640, "height": 400}  # a 1280 x 800 screen at 200% zoom
HOTLINE_HREF = "tel:+18883737888"
SHIFT_BATCH = 4  # tabs pressed in turn: few enough that a round stays well under 1.5 s

# What each edition says around its pages, as a person reads or hears it.
EDITIONS = {
    "en": {
        "prefix": "",
        "bar": "Help and safety",
        "call": "Call 1-888-373-7888",
        "text": "Text 233733",
        "safety": "Browsing safely",
        "exit": "Emergency Exit this page",
        "two_more": "Shift, press 2 more times to exit.",
        "one_more": "Shift, press 1 more time to exit.",
        "expired": "Exit this page expired.",
    },
    "es": {
        "prefix": "/es",
        "bar": "Ayuda y seguridad",
        "call": "Llama al 1-888-373-7888",
        "text": "Mensaje de texto al 233733",
        "safety": "Navegar con seguridad",
        "exit": "Emergencia Salir rápido",
        "two_more": "Shift. Presiona 2 veces más para salir.",
        "one_more": "Shift. Presiona 1 vez más para salir.",
        "expired": "Se canceló la salida rápida.",
    },
}


@pytest.fixture
def guarded(browser, site_service: Service):
    g = new_guarded(browser, site_service.url)
    yield g
    g.context.close()


def test_site_has_every_section(site_pages):
    expected = {
        "/",
        "/get-help/",
        "/how-we-work/",
        "/reintegration/",
        "/reintegration/healing/",
        "/reintegration/education/",
        "/reintegration/work/",
        "/reintegration/community/",
        "/reintegration/self-advocacy/",
        "/volunteer/",
        "/volunteer/thanks/",
        "/blog/",
        "/safety/",
        "/privacy/",
        "/contact/",
    }
    assert expected <= set(site_pages)
    assert any(p.startswith("/blog/") and p.count("/") == 3 for p in site_pages)  # posts


SCHEMES = ("light", "dark")
PARTS = 2  # the pages in two halves, so that two workers of `pytest -n` share them


@pytest.mark.parametrize("part", range(PARTS), ids=[f"part{i + 1}" for i in range(PARTS)])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360x740", "1280x800"])
def test_every_page_on_a_phone_and_a_desktop(browser, site_service, site_pages, viewport, part):
    """Every page the build wrote, light and dark: no-store, the hotline and the title on
    the first screen, the quick exit in view and covering no text at the top, middle and
    end, axe-clean. Each page is loaded once per size and its colour scheme switched in
    place (the dark scheme is a CSS media query, nothing a script reads on load)."""
    g = new_guarded(browser, site_service.url, viewport=viewport)
    page = g.new_page()
    problems = []
    for path in site_pages[part::PARTS]:
        page.emulate_media(color_scheme=SCHEMES[0])
        response = page.goto(site_service.url + path)
        assert response.status == 200, path
        page.evaluate("document.fonts.ready.then(() => null)")
        if response.headers.get("cache-control") != "no-store":
            problems.append(f"{path}: the browser may keep this page")
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            page.evaluate("scrollTo(0, 0)")
            page.evaluate(SETTLE_ANIMATIONS)
            problems += [
                f"{path} ({scheme}): {p}" for p in first_screen_problems(page, HOTLINE_HREF)
            ]
            for where in ("top", "middle", "end"):
                page.evaluate(
                    """where => {
                      const end = document.documentElement.scrollHeight - innerHeight;
                      scrollTo(0, {top: 0, middle: end / 2, end: end}[where]);
                    }""",
                    where,
                )
                page.evaluate(SETTLE_ANIMATIONS)
                problems += [f"{path} ({scheme}, {where}): {p}" for p in exit_problems(page)]
            footer = page.locator(".hotline-footer").inner_text()
            for number in ("1-888-373-7888", "233733", "711", "911"):
                if number not in footer:
                    problems.append(f"{path} ({scheme}): footer lacks {number}")
            page.evaluate("scrollTo(0, 0)")
            problems += [f"{path}: axe ({scheme}) {v}" for v in axe_violations(page)]
            problems += [f"{path}: CSP ({scheme}) {v}" for v in csp_violations(page)]
    # what the last page asks for after its load (the search worker and its index) is
    # asked for before the guard is read
    page.wait_for_load_state("networkidle")
    assert g.foreign == [], "requests left the site"
    g.context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_links_are_readable_at_rest_under_the_pointer_and_with_focus(browser, site_service, scheme):
    """4.5:1 in every state, including the error summary's links under the pointer."""
    g = new_guarded(browser, site_service.url, viewport=DESKTOP, color_scheme=scheme)
    page = g.new_page()
    problems = []
    for path in ("/", "/get-help/", "/blog/", "/volunteer/"):
        page.goto(site_service.url + path)
        if path == "/volunteer/":
            page.click(".vf-submit")
            page.locator("#vf-summary").wait_for(state="visible")
        problems += [f"{path}: {p}" for p in link_contrast_problems(page)]
    g.context.close()
    assert problems == [], "\n".join(problems)


def test_the_theme_follows_the_device_without_a_toggle_or_storage(browser, site_service):
    backgrounds = {}
    for scheme in ("light", "dark"):
        g = new_guarded(browser, site_service.url, color_scheme=scheme)
        page = g.new_page()
        page.goto(site_service.url + "/")
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert page.locator("[data-md-component=palette], label[for^=__palette]").count() == 0
        storage = page.evaluate("localStorage.length + sessionStorage.length")
        assert storage == 0 and g.context.cookies() == []
        g.context.close()
    assert backgrounds["light"] == "rgb(255, 255, 255)"
    assert backgrounds["dark"] != backgrounds["light"]


@pytest.mark.parametrize(
    "viewport",
    [{"width": 320, "height": 568}, PHONE, {"width": 768, "height": 1024}, ZOOMED],
    ids=["320", "360", "768", "200%"],
)
def test_exit_stays_on_top_of_the_phone_search_and_clear_of_what_is_typed(
    guarded, site_service, viewport
):
    page = guarded.new_page()
    page.set_viewport_size(viewport)
    page.goto(site_service.url + "/safety/")
    page.locator(".md-header label.md-header__button[for=__search]").click()
    search = page.locator("input.md-search__input")
    search.press_sequentially("safety")
    page.locator(".md-search-result__item").first.wait_for()
    page.evaluate(SETTLE_ANIMATIONS)
    assert exit_problems(page) == []
    exit_box = page.locator("[data-quick-exit]").bounding_box()
    typed_right = page.evaluate(
        """() => {
          const input = document.querySelector('input.md-search__input');
          const r = input.getBoundingClientRect();
          return r.right - parseFloat(getComputedStyle(input).paddingRight);
        }"""
    )
    assert typed_right <= exit_box["x"]
    assert axe_violations(page) == []
    page.locator("[data-quick-exit]").click()
    page.wait_for_url("https://www.weather.gov/**")


@pytest.mark.parametrize("viewport", [PHONE, {"width": 740, "height": 360}], ids=["360", "740"])
def test_one_tap_on_exit_leaves_with_the_menu_open(browser, site_service, viewport):
    g = new_guarded(browser, site_service.url, viewport=viewport, has_touch=True, is_mobile=True)
    page = g.new_page()
    page.goto(site_service.url + "/reintegration/healing/")
    page.locator(".md-header label.md-header__button[for=__drawer]").click()
    page.evaluate(SETTLE_ANIMATIONS)
    assert page.locator(".md-sidebar--primary .md-nav__link").first.is_visible()
    assert exit_problems(page) == []
    box = page.locator("[data-quick-exit]").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2)
    page.wait_for_url("https://www.weather.gov/**")
    g.context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360x740", "1280x800"])
def test_focus_is_never_hidden_under_the_sticky_header(guarded, site_service, viewport):
    """Shift+Tab back up the volunteer form: each control stays clear of the header."""
    page = guarded.new_page()
    page.set_viewport_size(viewport)
    page.goto(site_service.url + "/volunteer/")
    page.locator(".vf-submit").focus()
    hidden = []
    for _ in range(14):
        page.keyboard.press("Shift+Tab")
        state = page.evaluate(
            """() => {
              const r = document.activeElement.getBoundingClientRect();
              const h = document.querySelector('.md-header').getBoundingClientRect();
              return [document.activeElement.name || document.activeElement.id, r.top, h.bottom];
            }"""
        )
        if state[1] < state[2] - 1:
            hidden.append(state)
    assert hidden == []


def tab_stops(page, count: int, probe: str) -> list:
    """Press Tab `count` times from the top of the page; `probe` reads each stop."""
    stops = []
    for _ in range(count):
        page.keyboard.press("Tab")
        page.evaluate(SETTLE_ANIMATIONS)
        stops.append(page.evaluate(probe))
    return stops


def test_exit_is_the_first_stop_after_the_help_bar(guarded, site_service):
    page = guarded.new_page()
    page.set_viewport_size(PHONE)
    page.goto(site_service.url + "/safety/")
    stops = tab_stops(page, 6, "document.activeElement.textContent.trim()")
    # the help bar's links, the last being the same page in Spanish
    assert stops[1:5] == ["Call 1-888-373-7888", "Text 233733", "Browsing safely", "Español"]
    assert "Exit this page" in stops[5]


@pytest.mark.parametrize("viewport", [PHONE, ZOOMED], ids=["360x740", "200%"])
def test_the_closed_menu_takes_no_tab_stops_and_opens_by_keyboard(guarded, site_service, viewport):
    page = guarded.new_page()
    page.set_viewport_size(viewport)
    page.goto(site_service.url + "/safety/")
    probe = """() => {
      const el = document.activeElement;
      const r = el.getBoundingClientRect();
      const seen = r.width > 0 && r.bottom > 0 && r.right > 0 &&
        r.top < innerHeight && r.left < innerWidth;
      const hidden = !!el.closest('.md-sidebar--primary, .md-search__output');
      return [el.textContent.trim().slice(0, 30) || el.className, seen || !hidden];
    }"""
    off_screen = [name for name, seen in tab_stops(page, 50, f"({probe})()") if not seen]
    assert off_screen == [], off_screen
    page.evaluate("scrollTo(0, 0)")
    page.get_by_role("button", name="Menu").focus()
    menu = page.locator("[data-menu-button]")  # hidden while the drawer is open
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    assert page.evaluate("document.activeElement.closest('.md-sidebar--primary') !== null")
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.hasAttribute('data-menu-button')")


@pytest.mark.parametrize("width", [320, 360, 412])
def test_exit_stays_whole_and_on_screen_with_large_text(guarded, site_service, width):
    """Text enlarged by the browser or the phone (here 1.5 times), not page zoom."""
    page = guarded.new_page()
    page.set_viewport_size({"width": width, "height": 740})
    page.goto(site_service.url + "/get-help/")
    page.evaluate("document.documentElement.style.fontSize = '187.5%'")  # CSSOM: CSP allows it
    page.evaluate(SETTLE_ANIMATIONS)
    assert exit_problems(page) == []
    whole = page.evaluate(
        """() => {
          const a = document.querySelector('[data-quick-exit]');
          return a.scrollWidth <= a.clientWidth + 1 &&
            document.documentElement.scrollWidth <= innerWidth;
        }"""
    )
    assert whole


def test_shift_progress_shows_in_forced_colors(browser, site_service):
    g = new_guarded(browser, site_service.url, forced_colors="active")
    page = g.new_page()
    page.goto(site_service.url + "/safety/")
    page.keyboard.press("Shift")
    dot = page.locator("[data-quick-exit-progress] > span.is-on")
    assert dot.count() == 1
    background = dot.evaluate("d => getComputedStyle(d).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    g.context.close()


def test_shift_hint_shows_only_where_shift_works(browser, site_service):
    for javascript in (True, False):
        g = new_guarded(browser, site_service.url, viewport=DESKTOP, java_script_enabled=javascript)
        page = g.new_page()
        page.goto(site_service.url + "/")
        assert page.locator(".help-bar__shortcut").is_visible() == javascript
        g.context.close()


def test_shift_click_and_long_presses(guarded, site_service):
    """Shift+click never counts; a long, firm press counts once."""
    page = guarded.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(site_service.url + "/volunteer/")
    page.locator("h1").click()
    for _ in range(3):
        page.keyboard.down("Shift")
        page.mouse.click(600, 400)
        page.keyboard.up("Shift")
    assert shift_status(page)[1] == 0
    page.keyboard.down("Shift")
    page.keyboard.down("Shift")  # auto-repeat while held
    page.keyboard.up("Shift")
    assert shift_status(page)[1] == 1
    assert page.url == site_service.url + "/volunteer/" and guarded.exits == []


def type_with_capitals(page, text: str) -> None:
    """Type as a person does: Shift held down for each capital letter."""
    for letter in text:
        page.keyboard.press(f"Shift+{letter}" if letter.isupper() else letter)


@pytest.mark.parametrize("lang", EDITIONS)
def test_shift_three_times_leaves_from_the_contact_forms_message_box(guarded, site_service, lang):
    """Where survivors type: capitals typed in the message box do not count, nor Shift
    while an input method composes a word (Chromium's own composition, over CDP); Shift
    alone three times leaves."""
    words = EDITIONS[lang]
    page = guarded.new_page()
    page.set_viewport_size(DESKTOP)
    page.goto(site_service.url + words["prefix"] + "/contact/")
    box = page.locator("#f-message")
    box.click()
    type_with_capitals(page, "Hello World")
    assert box.input_value() == "Hello World" and shift_status(page)[1] == 0
    ime = page.context.new_cdp_session(page)
    ime.send("Input.imeSetComposition", {"text": "に", "selectionStart": 1, "selectionEnd": 1})
    for _ in range(3):
        page.keyboard.press("Shift")
    assert shift_status(page)[1] == 0 and guarded.exits == []
    ime.send("Input.insertText", {"text": "に"})  # the word is chosen: composing ends
    assert box.input_value() == "Hello Worldに"
    page.keyboard.press("Shift")
    assert shift_status(page) == (words["two_more"], 1)
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_url("https://www.weather.gov/**")
    assert guarded.exits and guarded.foreign == []


def test_the_911_line_is_at_least_body_size(guarded, site_service):
    page = guarded.new_page()
    page.set_viewport_size(PHONE)
    page.goto(site_service.url + "/get-help/")
    sizes = page.evaluate(
        """() => {
          const size = el => parseFloat(getComputedStyle(el).fontSize);
          const line = document.querySelector('.admonition a[href="tel:911"]').closest('p');
          const body = document.querySelector('.md-content article > p');
          return [size(line), size(body)];
        }"""
    )
    assert sizes[0] >= sizes[1] > 0


# Each number in a phone or text link that a line break splits, as "path: link text":
# the number's characters, found in the link's text nodes, lie on more than one line.
WRAPPED_NUMBERS = """() => {
  const split = a => {
    const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      for (const m of node.data.matchAll(/\\+?\\d[\\d\\s().-]*\\d/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.bottom)));
        if (lines.size > 1) return true;
      }
    }
    return false;
  };
  return [...document.querySelectorAll('a[href^="tel:"], a[href^="sms:"]')]
    .filter(split).map(a => location.pathname + ': ' + a.textContent.trim());
}"""


def test_no_phone_or_text_link_breaks_across_lines_on_a_phone(guarded, site_service, site_pages):
    """A number split at a hyphen ("1-888-" then "373-7888") is misread and misdialed: on
    every page of both editions at 360 px, each tel: and sms: link is on one line (an
    inline link that wraps has one box per line)."""
    assert any(p.startswith("/es/") for p in site_pages) and "/" in site_pages
    page = guarded.new_page()
    page.set_viewport_size(PHONE)
    wrapped, links = [], 0
    for path in site_pages:
        page.goto(site_service.url + path)
        links += page.locator('a[href^="tel:"], a[href^="sms:"]').count()
        wrapped += page.evaluate(WRAPPED_NUMBERS)
    assert links >= 2 * len(site_pages)  # the help bar's and the footer's, at least
    assert wrapped == [], "\n".join(wrapped)


@pytest.mark.parametrize("lang", EDITIONS)
def test_help_bar_is_a_named_landmark_and_the_exit_says_emergency_first(
    guarded, site_service, lang
):
    words = EDITIONS[lang]
    page = guarded.new_page()
    page.goto(site_service.url + words["prefix"] + "/how-we-work/")
    bar = page.get_by_role("region", name=words["bar"])
    assert bar.get_by_role("link", name=words["call"]).get_attribute("href") == (HOTLINE_HREF)
    assert bar.get_by_role("link", name=words["text"]).is_visible()
    assert "TTY 711" in bar.inner_text()
    bar.get_by_role("link", name=words["safety"]).click()
    page.wait_for_url(site_service.url + words["prefix"] + "/safety/")
    exit_link = page.get_by_role("link", name=words["exit"], exact=True)
    assert exit_link.get_attribute("href") == "https://www.weather.gov/"


@pytest.mark.parametrize("viewport", [ZOOMED, {"width": 320, "height": 568}], ids=["200%", "320"])
@pytest.mark.parametrize("lang", EDITIONS)
def test_help_bar_and_exit_stay_usable_when_zoomed(guarded, site_service, viewport, lang):
    """200% zoom on a 1280 x 800 screen is a 640 x 400 viewport; 320 px is WCAG's reflow width."""
    words = EDITIONS[lang]
    page = guarded.new_page()
    page.set_viewport_size(viewport)
    for path in ("/", "/volunteer/", "/safety/"):
        page.goto(site_service.url + words["prefix"] + path)
        bar = page.get_by_role("region", name=words["bar"])
        for name in (words["call"], words["text"], words["safety"]):
            link = bar.get_by_role("link", name=name)
            box = link.bounding_box()
            assert box and box["y"] + box["height"] <= viewport["height"], (path, name)
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (path, name)
        page.evaluate(SETTLE_ANIMATIONS)
        assert exit_problems(page) == [], path
        no_sideways = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert no_sideways, path


def test_quick_exit_leaves_and_back_does_not_return(guarded, site_service):
    page = guarded.new_page()
    page.goto(site_service.url + "/")
    page.goto(site_service.url + "/get-help/")
    page.click("[data-quick-exit]")
    page.wait_for_url("https://www.weather.gov/**")
    assert page.title() == "Weather"
    page.go_back()
    assert page.url != site_service.url + "/get-help/"  # the page left is not in history


def test_quick_exit_hides_the_page_before_the_destination_loads(browser, site_service):
    g = new_guarded(browser, site_service.url)
    page = g.new_page()
    page.goto(site_service.url + "/safety/")
    # click and read the page's state in the same task, before any navigation
    hidden = page.evaluate(
        """() => {
          document.querySelector('[data-quick-exit]').click();
          return [getComputedStyle(document.body).visibility, document.title];
        }"""
    )
    assert hidden == ["hidden", ""]
    page.wait_for_url("https://www.weather.gov/**")
    g.context.close()


def shift_status(page) -> tuple[str, int]:
    """What a screen reader was last told, and how many progress dots are filled."""
    return (
        page.locator("[data-quick-exit-status]").inner_text(),
        page.locator("[data-quick-exit-progress] > span.is-on").count(),
    )


@pytest.mark.parametrize("lang", EDITIONS)
def test_pressing_shift_three_times_in_five_seconds_leaves(guarded, site_service, lang):
    """Presses 1.5 s apart: each one is shown and announced in the page's language, the
    third leaves, and Back does not return to the page left."""
    words = EDITIONS[lang]
    home = site_service.url + words["prefix"] + "/"
    page = guarded.new_page()
    page.goto(home)
    page.goto(home + "reintegration/")
    page.keyboard.press("Shift")
    assert shift_status(page) == (words["two_more"], 1)
    assert page.locator("[data-quick-exit-progress]").is_visible()
    page.wait_for_timeout(1500)
    page.keyboard.press("Shift")
    assert shift_status(page) == (words["one_more"], 2)
    page.wait_for_timeout(1500)
    page.keyboard.press("Shift")
    page.wait_for_url("https://www.weather.gov/**")
    assert guarded.exits and guarded.foreign == []
    page.go_back()
    assert page.url == home  # the page before, not the page left


@pytest.mark.parametrize("part", range(PARTS), ids=[f"part{i + 1}" for i in range(PARTS)])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360x740", "1280x800"])
def test_shift_three_times_leaves_every_page_and_back_does_not_return(
    browser, site_service, site_pages, viewport, part
):
    """Every built page, each in a tab of its own after another page of the site: three
    presses 1.5 s apart reach the (intercepted) destination, and Back shows the page
    before, never the page left. The pages in two halves, for two workers."""
    g = new_guarded(browser, site_service.url, viewport=viewport)
    problems = []
    pages = site_pages[part::PARTS]
    for batch in range(0, len(pages), SHIFT_BATCH):
        tabs = []
        for path in pages[batch : batch + SHIFT_BATCH]:
            before = "/get-help/" if path == "/" else "/"
            tab = g.new_page()
            tab.goto(site_service.url + before)
            tab.goto(site_service.url + path)
            tabs.append((path, before, tab))
        start = time.monotonic()
        for press in range(3):  # each round starts 1.5 s after the last, so each tab's do too
            wait_ms = (start + 1.5 * press - time.monotonic()) * 1000
            if wait_ms > 0:
                tabs[0][2].wait_for_timeout(wait_ms)
            for _, _, tab in tabs:
                tab.keyboard.press("Shift")
        for path, before, tab in tabs:
            tab.wait_for_url("https://www.weather.gov/**")
            tab.go_back()
            if tab.url != site_service.url + before:
                problems.append(f"{path}: Back showed {tab.url}")
            tab.close()
    assert g.foreign == [] and len(g.exits) >= len(pages)
    g.context.close()
    assert problems == []


@pytest.mark.parametrize("lang", EDITIONS)
def test_shift_presses_expire_after_five_seconds_and_capitals_do_not_count(
    guarded, site_service, lang
):
    words = EDITIONS[lang]
    safety = site_service.url + words["prefix"] + "/safety/"
    page = guarded.new_page()
    page.goto(safety)
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(5200)
    assert shift_status(page) == (words["expired"], 0)
    page.keyboard.press("Shift")
    assert shift_status(page)[1] == 1  # counting starts again
    search = page.locator("input.md-search__input")
    search.click()
    for letter in ("A", "B", "C", "D"):
        search.press(f"Shift+{letter}")
    assert shift_status(page)[1] == 0
    assert page.url == safety and guarded.exits == []


def test_a_page_restored_after_an_exit_shows_nothing(browser, site_service):
    """Chromium keeps no-store pages out of its back-forward cache, so a restore is
    dispatched by hand, in the same task as the exit: the page stays hidden and leaves."""
    g = new_guarded(browser, site_service.url)
    page = g.new_page()
    page.goto(site_service.url + "/get-help/")
    state = page.evaluate(
        """() => {
          document.querySelector('[data-quick-exit]').click();
          dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
          return [getComputedStyle(document.body).visibility, document.title];
        }"""
    )
    assert state == ["hidden", ""]
    for _ in range(100):  # the second leave cancels the first navigation: wait for either
        if page.url.startswith("https://www.weather.gov/"):
            break
        page.wait_for_timeout(100)
    assert page.url.startswith("https://www.weather.gov/") and len(g.exits) >= 1
    g.context.close()


def test_a_page_restored_without_an_exit_is_shown(guarded, site_service):
    page = guarded.new_page()
    page.goto(site_service.url + "/get-help/")
    page.evaluate("dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
    assert page.evaluate("getComputedStyle(document.body).visibility") == "visible"
    assert page.url == site_service.url + "/get-help/"


def test_quick_exit_works_without_javascript(browser, site_service):
    g = new_guarded(browser, site_service.url, java_script_enabled=False)
    page = g.new_page()
    page.goto(site_service.url + "/get-help/")
    assert page.locator("[data-quick-exit]").is_visible()
    page.click("[data-quick-exit]")
    page.wait_for_url("https://www.weather.gov/**")
    assert g.exits and g.foreign == []
    g.context.close()


def test_nothing_is_stored_and_search_terms_stay_out_of_urls(guarded, site_service, site_pages):
    page = guarded.new_page()
    for path in site_pages:
        page.goto(site_service.url + path)
    page.goto(site_service.url + "/")
    page.wait_for_load_state("networkidle")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("patience", delay=30)  # in the text, in no heading or address
    page.locator(".md-search-result__item").first.wait_for()
    with page.expect_navigation():
        search.press("Enter")  # opens the best result
    assert page.url.rstrip("/") != site_service.url  # the best result opened
    assert "patience" not in page.url and "?" not in page.url
    storage = page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            cookies: document.cookie,
            idb: (await indexedDB.databases()).length,
        })"""
    )
    assert storage == {"local": 0, "session": 0, "cookies": "", "idb": 0}
    assert guarded.context.cookies() == []
    assert guarded.foreign == []


@pytest.mark.parametrize(
    ("lang", "word", "pages"),
    [("en", "lawyer", {"Get help now", "How we work"}), ("es", "abogada", {"Ayuda ahora"})],
)
def test_search_finds_the_legal_help_by_the_everyday_word(guarded, site_service, lang, word, pages):
    """People search for a lawyer (or an abogada) more than for an attorney."""
    page = guarded.new_page()
    page.goto(site_service.url + EDITIONS[lang]["prefix"] + "/")
    page.wait_for_load_state("networkidle")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially(word, delay=30)
    page.locator(".md-search-result__item").first.wait_for()
    found = set(page.locator(".md-search-result__item h1").all_inner_texts())
    assert pages <= found, found


LABEL_FLOW = """() => [...document.querySelectorAll('.vf-choice label')]
  .filter(label => label.children.length)
  .map(label => {
    const range = document.createRange();
    range.selectNodeContents(label.firstChild);  // the words before '(optional)'
    const lines = [...range.getClientRects()];
    const tag = label.lastElementChild.getBoundingClientRect();
    const box = label.getBoundingClientRect();
    return {
      label: label.textContent.trim().slice(0, 40),
      lineStart: Math.max(...lines.map(r => r.left)) - box.left,
      wordsWidth: Math.max(...lines.map(r => r.right)) - box.left,
      labelWidth: box.width,
      tagLeft: tag.left - box.left,
    };
  })"""


@pytest.mark.parametrize("lang", EDITIONS)
def test_a_choice_label_at_360_px_reads_as_a_paragraph(guarded, site_service, lang):
    """A label's words and its '(optional)' or '(required)' wrap together, as a paragraph,
    not side by side in narrow columns."""
    page = guarded.new_page()
    page.set_viewport_size(PHONE)
    labels = []
    for path in ("/contact/", "/volunteer/"):
        page.goto(site_service.url + EDITIONS[lang]["prefix"] + path)
        labels += page.evaluate(LABEL_FLOW)
    assert len(labels) == 2, labels  # the contact form's acknowledgement, the consent
    for label in labels:
        assert label["lineStart"] < 1, label  # every line starts at the label's edge
        assert label["wordsWidth"] > 0.8 * label["labelWidth"], label  # across its width
        assert label["tagLeft"] < label["wordsWidth"], label  # not in a column of its own
