"""What a form's thank-you page says about this very submission: its reference and what
became of the email saying we received it.

The page itself is the site's (docs/<form>/thanks.md, edited by editors). Its marker
`<!-- contact-outcome -->` (the form's slug, then -outcome) is filled twice: by the
site's build with what holds for anyone (site_tools/markers.py), and by the service,
which answers each post with that page and the outcome in place of the build's words
(web/pages.py). Both use `outcome_html`, so the two never disagree on a sentence.
"""

from __future__ import annotations

import html

from .definitions import Form
from .words import Words, say

START, END = "<!--outcome:start-->", "<!--outcome:end-->"
"""Around the outcome on the built page, where the service puts this submission's."""

REFERENCE = Words(
    "Your reference is {reference}. If you get in touch about this message, you can give"
    " it, so we know which one you mean. You do not need to keep it.",
    es="Tu referencia es {reference}. Si te comunicas con nosotros sobre este mensaje,"
    " puedes darla para que sepamos de cuál hablas. No necesitas guardarla.",
)

ACKNOWLEDGEMENT = {
    "sending": Words(
        "An email saying we received your message is on its way to the address you gave."
        " It holds this reference and nothing you wrote.",
        es="Un correo que dice que recibimos tu mensaje va en camino a la dirección que"
        " nos diste. Tiene esta referencia y nada de lo que escribiste.",
    ),
    "sent_today": Words(
        "We send at most one email a day to the same inbox to say we received a message,"
        " and your inbox already had one from us today, so we are not sending another.",
        es="Enviamos como mucho un correo al día al mismo buzón para decir que recibimos un"
        " mensaje, y tu buzón ya recibió uno hoy, así que no enviaremos otro.",
    ),
    "failed": Words(
        "We tried to send an email saying we received your message, but the address you"
        " gave did not take it. Your message is still with us.",
        es="Intentamos enviarte un correo que dice que recibimos tu mensaje, pero la"
        " dirección que nos diste no lo aceptó. Tu mensaje sigue con nosotros.",
    ),
    "not_asked": Words(
        "We have not sent anything to your email inbox.",
        es="No enviamos nada a tu correo.",
    ),
}
"""By `storage.submissions.Acknowledgement`: what the person is told of the email."""

ANYONE = Words(
    "If you ticked the box asking for an email saying we received your message, one is on"
    " its way to the address you gave, unless that inbox already had one from us that day:"
    " we send at most one a day to the same inbox. If you did not tick it, nothing has been"
    " sent to your inbox.",
    es="Si marcaste la casilla para recibir un correo que diga que recibimos tu mensaje, va"
    " uno en camino a la dirección que nos diste, a menos que ese buzón ya haya recibido uno"
    " nuestro ese día: enviamos como mucho uno al día al mismo buzón. Si no la marcaste, no"
    " se envió nada a tu correo.",
)
"""What the built page says before anyone posts, for a form with its own tick box."""


def marker(form: Form) -> str:
    """The comment an editor writes where the outcome goes."""
    return f"<!-- {form.slug}-outcome -->"


def outcome_html(
    form: Form, lang: str, reference: str | None = None, acknowledgement: str | None = None
) -> str:
    """The outcome's paragraphs between START and END: this submission's when given,
    else what holds for anyone (empty for a form without its own tick box)."""
    if reference is None or acknowledgement is None:
        said = [html.escape(say(ANYONE, lang))] if form.acknowledge else []
    else:
        strong = f"<strong>{html.escape(reference)}</strong>"
        said = [
            html.escape(say(REFERENCE, lang)).replace("{reference}", strong),
            html.escape(say(ACKNOWLEDGEMENT[acknowledgement], lang)),
        ]
    paragraphs = "".join(f"<p>{text}</p>\n" for text in said)
    return f'{START}\n<div class="vf-outcome" id="vf-outcome">\n{paragraphs}</div>\n{END}'
