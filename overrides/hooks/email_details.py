"""MkDocs hook: the privacy page says what the coordinators' emails hold, as configured.

The site is built where the service does not run (Netlify), so the build reads the same
variable, FORMS_EMAIL_DETAILS (`summary`, the default, or `full`): set it to the
service's value in both places. Editors write `<!-- email-details -->` where it goes.
"""

from __future__ import annotations

import os

from forms_service.settings import EMAIL_DETAILS

MARKER = "<!-- email-details -->"
WORDS = {
    "summary": (
        "Our volunteer coordinators, who read it on our own server after signing in."
        " The email that tells them a form arrived holds only its reference, the time it"
        " arrived and the ways you would like to help: not your name, your contact details"
        " or your message."
    ),
    "full": "Our volunteer coordinators, who receive each form, as you typed it, by email.",
}


def email_details() -> str:
    value = os.environ.get("FORMS_EMAIL_DETAILS", "").strip().lower() or "summary"
    if value not in EMAIL_DETAILS:
        raise ValueError(f"FORMS_EMAIL_DETAILS: expected summary or full, got {value!r}")
    return value


def on_page_content(html: str, **kwargs: object) -> str:
    if MARKER not in html:
        return html
    return html.replace(MARKER, WORDS[email_details()])
