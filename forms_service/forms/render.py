"""Renders a form from its definition, for the site's build and for the service, in the
language of the page it is on."""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Environment, PackageLoader, select_autoescape

from .definitions import HONEYPOT, IDEMPOTENCY_KEY, Form
from .words import LANGUAGES, Words, in_edition, say

_env = Environment(
    loader=PackageLoader("forms_service.forms", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=False,
    keep_trailing_newline=True,
)

START, END = "<!--form:start-->", "<!--form:end-->"

CHROME = {
    "problem": Words("There is a problem", es="Hay un problema"),
    "required": Words("(required)", es="(obligatorio)"),
    "optional": Words("(optional)", es="(opcional)"),
    "error": Words("Error:", es="Error:"),  # also before the title of a page with errors
    "trap": Words("Leave this field empty", es="Deja este campo vacío"),
    "privacy": Words(
        'Read <a href="{href}">what we do with your answers</a> on our privacy page.',
        es='Lee <a href="{href}">qué hacemos con tus respuestas</a> en nuestra página de'
        " privacidad.",
    ),
    # for volunteer-form.js
    "sending": Words("Sending\u2026", es="Enviando\u2026"),
    "received": Words("Thank you. We received your message.", es="Gracias. Recibimos tu mensaje."),
    "failed": Words(
        "Something went wrong and your form was not sent. Please try again.",
        es="Algo salió mal y tu formulario no se envió. Vuelve a intentarlo.",
    ),
    "offline": Words(
        "We could not reach our server, so your form was not sent. "
        "Check your connection and try again: your answers are still here.",
        es="No pudimos comunicarnos con nuestro servidor, así que tu formulario no se envió. "
        "Revisa tu conexión y vuelve a intentarlo: tus respuestas siguen aquí.",
    ),
}
"""The words around every form's fields."""


def form_html(
    form: Form,
    values: Mapping[str, object] | None = None,
    errors: Mapping[str, str] | None = None,
    lang: str = LANGUAGES[0],
) -> str:
    """The form's HTML in `lang`, with the posted values kept and each error beside its
    field. It posts with its language in the address, so the answer comes in it too."""
    words = {key: say(text, lang) for key, text in CHROME.items()}
    words["privacy"] = words["privacy"].format(href=in_edition("/privacy/", lang))
    return _env.get_template("form.html").render(
        form=form,
        action=form.action if lang == LANGUAGES[0] else f"{form.action}?lang={lang}",
        lang=lang,
        say=say,
        w=words,
        values=values or {},
        errors=errors or {},
        honeypot=HONEYPOT,
        idempotency_key=IDEMPOTENCY_KEY,
    )
