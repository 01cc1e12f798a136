"""The coordinators' desk in headless Chromium at 360 px, by keyboard: signed in with the
link the real SMTP server received, then status, note, export, erase and sign-out, and
another session seen and ended by signing out everywhere, with axe-core on every page.

The desk has no script, and its CSP (default-src 'none', no script-src) would block any:
every page works as it does without JavaScript. The browser keeps JavaScript on only so
that axe-core can run."""

from __future__ import annotations

import pytest

from ..chromium import axe_violations, csp_violations, new_guarded
from ..desk import COORDINATOR, ask_for_link, link_from, submit
from ..support import Service, SmtpServer

pytestmark = pytest.mark.browser

MAX_TABS = 40


@pytest.fixture
def desk(start_service, smtp: SmtpServer) -> Service:
    return start_service(smtp.port, FORMS_EMAIL_DETAILS="summary")


def check(page, what: str) -> None:
    """Every desk page: axe-clean, no CSP complaint, nothing wider than the screen."""
    assert axe_violations(page) == [], what
    assert csp_violations(page) == [], what
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{what} scrolls sideways at 360 px"


def press_on(page, selector: str) -> None:
    """Tab (only) to the element, then press Enter, as a keyboard user does."""
    target = page.locator(selector)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            page.keyboard.press("Enter")
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def open_link(page, desk: Service, smtp: SmtpServer, count: int) -> None:
    """Follow the count-th sign-in link the SMTP server received and press Sign in."""
    page.goto(link_from(smtp, count))
    check(page, "sign-in button")
    press_on(page, "button:has-text('Sign in')")
    page.wait_for_url(f"{desk.url}/desk/")


def test_a_coordinator_follows_up_exports_erases_and_signs_out(
    browser, desk: Service, smtp: SmtpServer
) -> None:
    reference = submit(desk, name="Marisol Okonkwo", message="Evenings <i>only</i>")
    other = submit(desk, name="Tobias Lindqvist", email="tobias@example.com")
    smtp.inbox.wait_for(2)
    g = new_guarded(
        browser,
        desk.url,
        viewport={"width": 360, "height": 780},
        accept_downloads=True,
    )
    page = g.new_page()
    page.goto(f"{desk.url}/desk/")
    assert page.url == f"{desk.url}/desk/sign-in"
    check(page, "sign-in")
    page.locator("#email").focus()
    page.keyboard.type(COORDINATOR)
    with page.expect_navigation(timeout=10000):
        page.keyboard.press("Enter")
    assert "a link is on its way" in page.inner_text("main")
    check(page, "link sent")

    open_link(page, desk, smtp, 1)
    check(page, "list")
    rows = page.locator("table.desk-list tbody tr")
    assert rows.count() == 2
    assert "Tobias" in rows.nth(0).inner_text() and "Marisol" in rows.nth(1).inner_text()

    press_on(page, f"a:has-text('{reference}')")
    page.wait_for_url(f"**/desk/submissions/{reference}")
    assert "Evenings <i>only</i>" in page.inner_text("main")  # shown as typed, inert
    check(page, "one submission")
    page.select_option("#status", "contacted")
    press_on(page, "button:has-text('Change status')")
    page.wait_for_url("**?done=status")
    assert "Status changed." in page.inner_text("main")
    page.locator("#note").fill("Spoke on the phone; calls back Friday.")
    press_on(page, "button:has-text('Add note')")
    page.wait_for_url("**?done=note#notes")
    main = page.inner_text("main")
    assert "Spoke on the phone; calls back Friday." in main
    assert "Status changed from New to Contacted (coordinators@example.org)" in main
    check(page, "one submission after changes")

    page.goto(f"{desk.url}/desk/?status=contacted")
    with page.expect_download() as download:
        press_on(page, "button:has-text('Export')")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert reference in text and other not in text

    page.goto(f"{desk.url}/desk/submissions/{reference}")
    press_on(page, f"a:has-text('Erase {reference}')")
    page.wait_for_url("**/erase")
    check(page, "erase confirmation")
    press_on(page, "button:has-text('Erase for good')")
    page.wait_for_url(f"**/desk/?erased={reference}")
    assert f"{reference} was erased." in page.inner_text("main")
    assert page.locator("table.desk-list tbody tr").count() == 1
    check(page, "list after erasing")
    page.goto(f"{desk.url}/desk/submissions/{reference}")
    assert "was erased on" in page.inner_text("main")
    check(page, "erased")

    press_on(page, "button:text-is('Sign out')")
    page.locator("main", has_text="You are signed out").wait_for(timeout=10000)  # after the post
    check(page, "signed out")
    page.goto(f"{desk.url}/desk/")
    assert page.url == f"{desk.url}/desk/sign-in"
    assert g.foreign == []
    g.context.close()


def test_a_broken_link_and_a_bad_address_are_explained(browser, desk: Service) -> None:
    g = new_guarded(browser, desk.url, viewport={"width": 360, "height": 780})
    page = g.new_page()
    page.goto(f"{desk.url}/desk/link/not-a-real-token")
    assert "This link does not work" in page.inner_text("main")
    check(page, "broken link")
    page.goto(f"{desk.url}/desk/sign-in")
    page.locator("#email").fill("not an address")
    page.locator("button[type=submit]").click()
    assert "Enter your email address" in page.inner_text("main")
    assert page.title().startswith("Error:")
    check(page, "sign-in with an error")
    g.context.close()


def test_a_coordinator_sees_a_forgotten_session_and_signs_out_everywhere(
    browser, desk: Service, smtp: SmtpServer
) -> None:
    """Signed in on a shared computer, then on a phone: the phone's desk says so, shows
    when the other session was last used, and one button ends both."""
    contexts = [
        new_guarded(browser, desk.url, viewport={"width": 360, "height": 780}) for _ in range(2)
    ]
    shared, phone = (g.new_page() for g in contexts)
    with desk.client() as client:
        for count, page in enumerate((shared, phone), start=1):
            assert ask_for_link(client, COORDINATOR).status_code == 200
            open_link(page, desk, smtp, count)
    assert "signed in somewhere else" not in shared.inner_text("main")
    assert "You are also signed in somewhere else (1 other session)" in phone.inner_text("main")
    check(phone, "list with another session open")
    press_on(phone, "main a:has-text('See when each was last used')")
    phone.wait_for_url("**/desk/sessions")
    items = phone.locator("ul.desk-sessions li")
    assert items.count() == 2
    assert items.nth(0).inner_text().startswith("This browser: signed in")
    assert "last used" in items.nth(1).inner_text()
    check(phone, "your sessions")
    press_on(phone, "header button:has-text('Sign out everywhere')")
    phone.locator("main", has_text="You are signed out everywhere").wait_for(timeout=10000)
    assert "1 other session of yours" in phone.inner_text("main")
    check(phone, "signed out everywhere")
    shared.reload()
    assert shared.url == f"{desk.url}/desk/sign-in"
    for g in contexts:
        assert g.foreign == []
        g.context.close()
