"""MkDocs hook: the privacy page says what the coordinators' emails hold, as configured.

The site is built where the service does not run (Netlify), so the build reads the same
variable, FORMS_EMAIL_DETAILS (`summary`, the default, or `full`): set it to the
service's value in both places. Editors write `<!-- email-details -->` where it goes;
each edition gets the words in its language (`theme.language`).
"""

from __future__ import annotations

import os
from typing import Any

from forms_service.forms.words import Words, say
from forms_service.settings import EMAIL_DETAILS

MARKER = "<!-- email-details -->"
WORDS = {
    "summary": Words(
        "Our volunteer coordinators, who read it on our own server after signing in."
        " The email that tells them a form arrived holds only its reference, the time it"
        " arrived, whether you wrote in English or Spanish and the ways you would like to"
        " help: not your name, your contact details or your message.",
        es="Las personas que coordinan el voluntariado, que lo leen en nuestro propio"
        " servidor después de iniciar sesión. El correo que les avisa que llegó un"
        " formulario solo dice su referencia, la hora en que llegó, si escribiste en inglés"
        " o en español y las formas en que te gustaría ayudar: no tu nombre, tus datos de"
        " contacto ni tu mensaje.",
    ),
    "full": Words(
        "Our volunteer coordinators, who receive each form, as you typed it, by email.",
        es="Las personas que coordinan el voluntariado, que reciben cada formulario por"
        " correo electrónico, tal como lo escribiste.",
    ),
}


def email_details() -> str:
    value = os.environ.get("FORMS_EMAIL_DETAILS", "").strip().lower() or "summary"
    if value not in EMAIL_DETAILS:
        raise ValueError(f"FORMS_EMAIL_DETAILS: expected summary or full, got {value!r}")
    return value


def on_page_content(html: str, config: Any, **kwargs: object) -> str:
    if MARKER not in html:
        return html
    return html.replace(MARKER, say(WORDS[email_details()], config.theme["language"]))
