"""The volunteer and contact forms in headless Chromium, with JavaScript on and off,
against the real service under uvicorn and a real SMTP server."""

from __future__ import annotations

import time

import pytest

from forms_service.forms.definitions import FORMS
from forms_service.forms.words import LANGUAGES, in_edition

from ..chromium import axe_violations, new_guarded
from ..support import SmtpServer, text_part

pytestmark = pytest.mark.browser

MODES = [pytest.param(True, id="js"), pytest.param(False, id="no-js")]
MAX_TABS = 60


@pytest.fixture
def volunteer(start_service, smtp: SmtpServer):
    return start_service(smtp.port)


@pytest.fixture
def open_form(browser, volunteer):
    """Open the Volunteer page (`path`: another edition's) in a fresh, guarded context;
    JavaScript on or off."""
    contexts = []

    def open_(
        js: bool = True, width: int = 1280, block_script: bool = False, path: str = "/volunteer/"
    ):
        g = new_guarded(
            browser, volunteer.url, java_script_enabled=js, viewport={"width": width, "height": 900}
        )
        if block_script:  # JavaScript runs, but not our form script: the plain post path
            g.context.route("**/volunteer-form.js", lambda route: route.fulfill(status=404))
        contexts.append(g)
        page = g.new_page()
        page.goto(volunteer.url + path)
        return page

    yield open_
    for g in contexts:
        assert g.foreign == []
        g.context.close()


def wait_for_thanks(page) -> str:
    """Wait for the thank-you page the service answers (the post's own answer without
    JavaScript, the script's post of its key with it); return its reference."""
    outcome = page.locator("#vf-outcome strong")
    outcome.wait_for()
    reference = outcome.inner_text()
    assert "/api/forms/" in page.url and reference not in page.url
    return reference


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def wait_for_focus(page, element_id: str, timeout: float = 5.0) -> None:
    """Focus may move a moment after the page shows (autofocus runs at the next frame)."""
    deadline = time.monotonic() + timeout
    while focused_id(page) != element_id:
        assert time.monotonic() < deadline, f"focus is on #{focused_id(page)}, not #{element_id}"
        page.wait_for_timeout(50)


def tab_to(page, element_id: str) -> None:
    """Press Tab (only) until the element has focus, as a keyboard user does."""
    for _ in range(MAX_TABS):
        if focused_id(page) == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def send_with_errors(page):
    """Send the form and wait for the error summary to show and take focus."""
    page.click(".vf-submit")
    summary = page.locator("#vf-summary")
    summary.wait_for(state="visible")
    wait_for_focus(page, "vf-summary")
    return summary


def fill_required(page, name: str, email: str) -> None:
    page.fill("#f-name", name)
    page.fill("#f-email", email)
    page.check("#f-consent")


def assert_errors_shown(page, js: bool, title: str) -> None:
    """The title names the error first, from our script or on the service's page; with
    JavaScript, axe (which needs scripts) checks the errors shown."""
    assert page.title() == f"Error: {title} - The Mission"
    if js:
        assert axe_violations(page) == []


@pytest.mark.parametrize("js", MODES)
def test_keyboard_only_volunteer_reaches_the_coordinators(open_form, smtp, js):
    page = open_form(js)
    tab_to(page, "f-name")
    page.keyboard.type("Keyboard Kim")
    tab_to(page, "f-email")
    page.keyboard.type("kim@example.com")
    tab_to(page, "f-phone")
    page.keyboard.type("+1 555 010 2000")
    tab_to(page, "f-help-documents")
    page.keyboard.press("Space")
    tab_to(page, "f-help-translation")
    page.keyboard.press("Space")
    tab_to(page, "f-background-none")
    page.keyboard.press("ArrowDown")  # moves to and selects "Student"
    tab_to(page, "f-hours")
    page.keyboard.type("8")
    tab_to(page, "f-message")
    page.keyboard.type("Weekday evenings.")
    page.keyboard.press("Enter")
    page.keyboard.type("Happy to help with documents.")
    tab_to(page, "f-consent")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    wait_for_thanks(page)
    assert "we received your message" in page.inner_text("h1").lower()

    (message,) = smtp.inbox.wait_for(1)
    body = text_part(message)
    assert "Keyboard Kim" in body and "+1 555 010 2000" in body
    assert "Document preparation and organization; Translation or interpreting" in body
    assert "Student" in body and "    8\n" in body
    assert "Weekday evenings.\n    Happy to help with documents." in body
    assert message["Reply-To"] == "kim@example.com"


@pytest.mark.parametrize("js", MODES)
def test_errors_show_focus_moves_and_values_stay(open_form, smtp, js):
    page = open_form(js)
    page.fill("#f-name", "Stays Here")
    page.fill("#f-email", "not an email")
    page.check("#f-help-admin")
    page.fill("#f-message", "Kept message")
    summary = send_with_errors(page)
    assert "There is a problem" in summary.inner_text()
    links = summary.locator("a")
    assert links.count() == 2  # email and consent
    assert "right format" in page.locator("#f-email-error").inner_text()
    assert page.get_attribute("#f-email", "aria-invalid") == "true"
    assert "f-email-error" in page.get_attribute("#f-email", "aria-describedby")
    assert page.input_value("#f-name") == "Stays Here"
    assert page.input_value("#f-message") == "Kept message"
    assert page.is_checked("#f-help-admin")
    if not js:
        assert page.title().startswith("Error: ")
    # the summary's link takes the keyboard user to the field
    links.first.click()
    assert focused_id(page) == "f-email"
    assert smtp.inbox.messages == []


@pytest.mark.parametrize("js", MODES)
def test_the_spanish_form_answers_in_spanish(open_form, smtp, js):
    """Errors, the page title and the thank-you page in Spanish; the coordinators are told."""
    page = open_form(js, path="/es/volunteer/")
    assert page.get_attribute("html", "lang") == "es"
    page.fill("#f-name", "Ana Pérez")
    page.fill("#f-email", "no es un correo")
    summary = send_with_errors(page)
    assert "Hay un problema" in summary.inner_text()
    assert "formato correcto" in page.locator("#f-email-error").inner_text()
    assert "Marca la casilla" in page.locator("#f-consent-error").inner_text()
    assert page.get_attribute("html", "lang") == "es"
    assert_errors_shown(page, js, "Voluntariado")
    page.fill("#f-email", "ana@example.com")
    page.check("#f-consent")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert "Gracias, recibimos tu mensaje" in page.inner_text("h1")
    (message,) = smtp.inbox.wait_for(1)
    assert "in Spanish" in message["Subject"]
    assert "Ana Pérez" in text_part(message)


def test_errors_fixed_then_sent(open_form, smtp):
    page = open_form(True)
    page.click(".vf-submit")
    page.locator("#vf-summary").wait_for(state="visible")
    fill_required(page, "Fixed Person", "fixed@example.com")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert "Fixed Person" in text_part(smtp.inbox.wait_for(1)[0])


def test_the_title_says_error_once_while_errors_show_and_not_once_sent(open_form, smtp):
    page = open_form(True, path="/es/contact/")
    page.check("#f-ways-text")
    for _ in range(2):  # errors shown again do not stack the prefix
        page.focus("#f-message")
        send_with_errors(page)
        assert page.title() == "Error: Contacto - The Mission"
    page.fill("#f-message", "Hola")
    page.fill("#f-phone", "555 0142")
    # 204: the browser stays on the form, so its title can be read once it is sent
    page.route("**/api/forms/contact/thanks*", lambda route: route.fulfill(status=204))
    page.click(".vf-submit")
    page.locator("#vf-status", has_text="Recibimos tu mensaje").wait_for(state="attached")
    assert page.title() == "Contacto - The Mission"
    assert len(smtp.inbox.wait_for(1)) == 1


@pytest.mark.parametrize("js", MODES)
def test_double_click_sends_one_email(open_form, smtp, js):
    page = open_form(js)
    fill_required(page, "Double Clicker", "double@example.com")
    page.dblclick(".vf-submit")
    wait_for_thanks(page)
    smtp.inbox.wait_for(1)
    time.sleep(1)
    assert len(smtp.inbox.messages) == 1


def test_button_is_busy_while_sending(open_form):
    page = open_form(True)
    fill_required(page, "Busy", "busy@example.com")
    state = page.evaluate(
        """() => {
          const button = document.querySelector('.vf-submit');
          button.click();
          return [button.getAttribute('aria-disabled'), button.textContent];
        }"""
    )
    assert state == ["true", "Sending\u2026"]
    wait_for_thanks(page)


def test_lost_connection_is_explained_and_answers_kept(open_form, smtp):
    page = open_form(True)
    page.route("**/api/forms/volunteer", lambda route: route.abort())
    fill_required(page, "Offline Olu", "olu@example.com")
    page.click(".vf-submit")
    summary = page.locator("#vf-summary")
    summary.wait_for(state="visible")
    assert "could not reach our server" in summary.inner_text()
    assert page.input_value("#f-name") == "Offline Olu"
    assert page.get_attribute(".vf-submit", "aria-disabled") == "false"
    assert smtp.inbox.messages == []


def test_no_accessibility_violations_on_empty_error_and_thank_you_pages(open_form):
    page = open_form(True)
    assert axe_violations(page) == []
    page.click(".vf-submit")
    page.locator("#vf-summary").wait_for(state="visible")
    assert axe_violations(page) == []  # errors shown by our script

    plain = open_form(True, block_script=True)
    plain.fill("#f-email", "bad")
    with plain.expect_navigation():
        plain.click(".vf-submit")
    assert plain.title().startswith("Error: ")
    assert axe_violations(plain) == []  # errors re-rendered by the service

    fill_required(page, "A", "a@example.com")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert axe_violations(page) == []


PAGES = [
    pytest.param(in_edition(form.page, lang), id=f"{slug}-{lang}")
    for slug, form in FORMS.items()
    for lang in LANGUAGES
]
"""Each form's page in each edition: the Spanish words run longer."""


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("js", MODES)
def test_nothing_scrolls_sideways_at_360_px(open_form, js, path):
    page = open_form(js, width=360, path=path)
    page.click(".vf-submit")
    page.locator("#vf-summary").wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("path", PAGES)
def test_targets_are_at_least_44_px(open_form, path):
    page = open_form(True, width=360, path=path)
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              'form[data-form] .vf-input, form[data-form] button, .vf-choice label')]
            .filter(el => el.offsetParent !== null)
            .map(el => [el.id || el.className, el.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    assert small == []


# ---------- the contact form ----------


@pytest.mark.parametrize("js", MODES)
def test_a_survivor_writes_chooses_a_safe_way_back_and_no_email_holds_it(open_form, smtp, js):
    page = open_form(js, path="/contact/")
    assert "not for emergencies" in page.inner_text("article")
    page.check("#f-who-myself")
    page.fill("#f-message", "Quietly-asking-for-help")
    page.check("#f-ways-text")
    page.fill("#f-phone", "555 0142")
    page.check("#f-leave_message-no")
    page.fill("#f-good_times", "weekdays after 6 pm")
    page.click(".vf-submit")
    wait_for_thanks(page)
    thanks = page.inner_text("article")
    assert "we received your message" in page.inner_text("h1").lower()
    assert "1-888-373-7888" in thanks and "233733" in thanks and "711" in thanks
    assert "Exit this page" in thanks and "history" in thanks
    (message,) = smtp.inbox.wait_for(1)
    page.wait_for_timeout(500)
    assert len(smtp.inbox.messages) == 1  # nothing to the person: they did not ask
    raw = smtp.inbox.raw[0]
    for value in (b"Quietly-asking", b"0142", b"after 6 pm", b"myself", b"for myself"):
        assert value not in raw
    assert message["Subject"].startswith("New contact message (C-")


@pytest.mark.parametrize("js", MODES)
def test_the_thank_you_page_says_whether_an_email_is_coming_and_gives_the_reference(
    open_form, volunteer, smtp, js
):
    """The box ticked twice in a day from one inbox (spelled two ways): the first page says
    the email is on its way, the second that none is coming; each gives its own reference,
    which neither the address bar nor the browser's storage ever holds."""
    said = []
    for address, path in (("sam@example.com", "/contact/"), ("Sam+2@Example.com", "/es/contact/")):
        page = open_form(js, path=path)
        page.fill("#f-message", "Please write back")
        page.check("#f-ways-email")
        page.fill("#f-email", address)
        page.check("#f-acknowledge")
        page.click(".vf-submit")
        reference = wait_for_thanks(page)
        said.append((reference, page.inner_text("#vf-outcome")))
        assert "1-888-373-7888" in page.inner_text("article")  # the page's help is all there
        assert page.context.cookies() == []
        if js:  # scripts (ours, axe's) run only where JavaScript is on
            storage = "() => [localStorage.length, sessionStorage.length]"
            assert page.evaluate(storage) == [0, 0]
            assert axe_violations(page) == []
    stored = [ref for (ref,) in volunteer.rows("SELECT reference FROM submissions ORDER BY id")]
    assert [reference for reference, _ in said] == stored
    assert "is on its way to the address you gave" in said[0][1]
    assert "ya recibió uno hoy, así que no enviaremos otro" in said[1][1]
    acknowledgements = [m for m in smtp.inbox.wait_for(3) if m["To"] == "sam@example.com"]
    assert len(acknowledgements) == 1 and stored[0] in acknowledgements[0]["Subject"]


@pytest.mark.parametrize("js", MODES)
def test_contact_errors_name_the_missing_way_back_and_keep_the_words(open_form, smtp, js):
    page = open_form(js, path="/contact/")
    page.fill("#f-message", "Words to keep")
    page.check("#f-ways-call")
    page.check("#f-acknowledge")
    page.click(".vf-submit")
    page.locator("#vf-summary").wait_for(state="visible")
    wait_for_focus(page, "vf-summary")
    assert page.locator("#vf-summary a").count() == 2  # the email and the phone number
    assert "phone number we may call" in page.locator("#f-phone-error").inner_text()
    assert page.get_attribute("#f-email", "aria-invalid") == "true"
    assert page.input_value("#f-message") == "Words to keep"
    assert page.is_checked("#f-ways-call") and page.is_checked("#f-acknowledge")
    if not js:
        assert page.title().startswith("Error: ")
    assert smtp.inbox.messages == []


def test_no_accessibility_violations_on_the_contact_page_its_errors_and_thanks(open_form):
    page = open_form(True, path="/contact/")
    assert axe_violations(page) == []
    page.click(".vf-submit")
    page.locator("#vf-summary").wait_for(state="visible")
    assert axe_violations(page) == []  # errors shown by our script

    plain = open_form(True, block_script=True, path="/contact/")
    plain.fill("#f-message", "Hello")
    with plain.expect_navigation():
        plain.click(".vf-submit")
    assert plain.title().startswith("Error: ")
    assert axe_violations(plain) == []  # errors re-rendered by the service

    page.fill("#f-message", "Hello")
    page.check("#f-ways-email")
    page.fill("#f-email", "a@example.com")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("js", MODES)
def test_the_spanish_contact_form_answers_in_spanish(open_form, smtp, js):
    """Errors, the page title and the thank-you page in Spanish, with no WCAG failure."""
    page = open_form(js, path="/es/contact/")
    assert page.get_attribute("html", "lang") == "es"
    assert "no es para emergencias" in page.inner_text("article")
    if js:
        assert axe_violations(page) == []
    page.fill("#f-message", "Palabras que se quedan")
    page.check("#f-ways-text")
    summary = send_with_errors(page)
    assert "Hay un problema" in summary.inner_text()
    error = page.locator("#f-phone-error").inner_text()
    assert "teléfono al que podemos mandar mensajes de texto" in error
    assert page.input_value("#f-message") == "Palabras que se quedan"
    assert_errors_shown(page, js, "Contacto")
    page.fill("#f-phone", "555 0142")
    page.check("#f-leave_message-no")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert "Gracias, recibimos tu mensaje" in page.inner_text("h1")
    thanks = page.inner_text("article")
    assert "1-888-373-7888" in thanks and "Salir rápido" in thanks
    if js:
        assert axe_violations(page) == []
    (message,) = smtp.inbox.wait_for(1)
    assert "in Spanish" in message["Subject"]
    assert b"Palabras" not in smtp.inbox.raw[0] and b"0142" not in smtp.inbox.raw[0]


@pytest.mark.parametrize("js", MODES)
def test_back_after_a_mistake_shows_what_the_pages_say_it_may(open_form, smtp, js):
    """Without JavaScript the mistake was a page answering a post: the tab keeps that post,
    and Back sends it again, so the pages tell people to close the tab. With JavaScript
    nothing of it stays in the tab."""
    page = open_form(js, path="/contact/")
    assert "going Back later can show it again" in page.inner_text("article")
    page.fill("#f-message", "Typed-before-a-mistake")
    page.check("#f-ways-text")
    send_with_errors(page)  # no phone number yet
    page.fill("#f-phone", "555 0100")
    page.click(".vf-submit")
    wait_for_thanks(page)
    assert "going Back can show it again" in page.inner_text("article")
    page.go_back()
    page.locator("#f-message").wait_for()
    assert page.input_value("#f-message") == ("" if js else "Typed-before-a-mistake")
