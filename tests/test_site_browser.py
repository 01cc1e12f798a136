"""Every built page in headless Chromium: quick exit, hotline, no third party, no trace,
no CSP violation, no WCAG 2.2 A/AA violation."""

from __future__ import annotations

import pytest

from .browser import axe_violations, csp_violations, new_guarded
from .support import Service

pytestmark = pytest.mark.browser

WIDTHS = (320, 360, 768, 1280)


@pytest.fixture
def guarded(browser, site_service: Service):
    g = new_guarded(browser, site_service.url)
    yield g
    g.context.close()


def quick_exit_is_visible_and_on_top(page) -> bool:
    """In the viewport, and the element at its centre is the link itself (nothing covers it)."""
    return page.evaluate(
        """() => {
          const link = document.querySelector('[data-quick-exit]');
          const r = link.getBoundingClientRect();
          const inView = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
            r.bottom <= window.innerHeight && r.right <= window.innerWidth;
          const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return inView && !!top && link.contains(top);
        }"""
    )


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


def test_every_page_is_safe_accessible_and_self_contained(guarded, site_service, site_pages):
    page = guarded.new_page()
    problems = []
    for path in site_pages:
        response = page.goto(site_service.url + path)
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        problems += [f"{path}: axe {v}" for v in axe_violations(page)]
        footer = page.locator(".hotline-footer").inner_text()
        for number in ("1-888-373-7888", "233733", "711", "911"):
            if number not in footer:
                problems.append(f"{path}: footer lacks {number}")
        if not quick_exit_is_visible_and_on_top(page):
            problems.append(f"{path}: quick exit hidden or covered")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        if not quick_exit_is_visible_and_on_top(page):
            problems.append(f"{path}: quick exit hidden or covered after scrolling")
        problems += [f"{path}: CSP {v}" for v in csp_violations(page)]
    assert guarded.foreign == [], "requests left the site"
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_quick_exit_visible_at_every_width(guarded, site_service, width):
    page = guarded.new_page()
    page.set_viewport_size({"width": width, "height": 640})
    for path in ("/", "/volunteer/", "/blog/"):
        page.goto(site_service.url + path)
        assert quick_exit_is_visible_and_on_top(page), (path, width)
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(100)
        assert quick_exit_is_visible_and_on_top(page), (path, width)
        no_sideways = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_sideways, (path, width)


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


def test_pressing_shift_three_times_leaves(guarded, site_service):
    page = guarded.new_page()
    page.goto(site_service.url + "/")
    page.goto(site_service.url + "/reintegration/")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url("https://www.weather.gov/**")
    page.go_back()
    assert page.url != site_service.url + "/reintegration/"


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
