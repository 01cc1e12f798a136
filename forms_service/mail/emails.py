"""Writes the emails: the coordinators' email and the volunteer's acknowledgement for one
outbox row (mail/sending.py hands them to an SMTP server, or to files).

No submitted text goes into a header except the volunteer's validated address,
built from its parts (`addresses.header_address`), in Reply-To or, for the
acknowledgement, To: everything else they typed is in the body, where any
text-direction control is shown as a visible marker instead of acting.
By default (FORMS_EMAIL_DETAILS=summary) the coordinators' email holds none of it,
only the reference, the time, the areas of help, the language when it is not English
(in the subject) and a link to the desk; a private form's (contact) is always such a
summary, without even the areas.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate

from .. import clock
from ..forms.addresses import header_address
from ..forms.definitions import FORMS, Form
from ..forms.validation import BIDI_CONTROLS
from ..forms.words import LANGUAGE_KEY, LANGUAGES, Words, language, reply_in, say
from ..settings import Settings
from .queue import Message

ORGANISATION = "The Mission"


def build(message: Message, settings: Settings) -> EmailMessage:
    """The coordinators' email or the volunteer's acknowledgement for one outbox row.

    Raises (UnsafeAddress, or anything else) when the row cannot make a safe email:
    the worker then sets that message aside.
    """
    form = FORMS[message.form]
    domain = settings.mail_from.rpartition("@")[2]
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{sender(form, message.kind)} <{settings.mail_from}>"
    msg["Date"] = formatdate(message.created_at, usegmt=True)
    msg["Message-ID"] = f"<{message.reference}.{message.kind}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    email = str(message.data.get("email", ""))
    lang = language(str(message.data.get(LANGUAGE_KEY, "")))
    if message.kind == "acknowledgement":
        msg["To"] = header_address(email)
        msg["Subject"] = say(ACK_SUBJECT, lang).format(reference=message.reference)
        text = say(PRIVATE_ACK_TEXT if form.private else ACK_TEXT, lang)
        text = text.format(reference=message.reference)
        msg.set_content(text)
        body = html.escape(text).replace("\n", "<br>\n")
        msg.add_alternative(_html_document(body, lang), "html")
        return msg
    msg["To"] = ", ".join(settings.coordinators)
    summary = form.private or settings.email_details == "summary"
    if email and not summary:
        msg["Reply-To"] = header_address(email)
    # the language in the subject too, so a coordinator who reads it can take it
    wrote_in = f", in {reply_in(lang)}" if reply_in(lang) else ""
    msg["Subject"] = f"New {form.noun}{wrote_in} ({message.reference})"
    if summary:
        msg.set_content(_summary_text(message, settings))
        return msg
    rows = [(label, inert(value)) for label, value in form.readable(message.data)]
    msg.set_content(_text_body(message.reference, rows))
    msg.add_alternative(_html_body(message.reference, rows), subtype="html")
    return msg


def sender(form: Form, kind: str) -> str:
    """The name in From. Coordinators see which form; a person who wrote through a private
    form, whose inbox someone else may read, sees only our name: as in the subject and the
    body, nothing in their inbox list says what they did."""
    private_ack = form.private and kind == "acknowledgement"
    return ORGANISATION if private_ack else f"{ORGANISATION} {form.slug} form"


def _summary_text(message: Message, settings: Settings) -> str:
    """Reference, time, areas of help and a link: nothing the volunteer typed, so
    nothing personal sits in inboxes (FORMS_EMAIL_DETAILS=summary). A private form's
    summary holds not even a choice they made."""
    received = clock.readable(clock.local(message.created_at, settings.timezone))
    form = FORMS[message.form]
    about = "wrote to us through the contact form" if form.private else "would like to volunteer"
    lines = [f"Someone {about}. Reference: {message.reference}", f"Received: {received}"]
    if not form.private:
        lines.append(f"Areas of help: {'; '.join(form.areas_of(message.data)) or 'none chosen'}")
    return (
        "\n".join(lines) + "\n\n"
        "Read what they sent and reply from the coordinators' desk:\n"
        f"{settings.desk}submissions/{message.reference}\n\n"
        "This email holds none of their details on purpose: they stay in the desk.\n"
    )


def inert(text: str, *, one_line: bool = False) -> str:
    """Text-direction controls as visible markers ([U+202E]), so the line reads as typed.

    `one_line` marks every other unprintable character too ([U+001B] for ESC, line breaks):
    for text no form has checked, such as an operator's argument echoed back, whose escape
    sequences would otherwise recolour or rewrite the operator's terminal.
    """
    if text.isprintable() or not (one_line or BIDI_CONTROLS.intersection(text)):
        return text
    return "".join(f"[U+{ord(ch):04X}]" if _marked(ch, one_line) else ch for ch in text)


def _marked(ch: str, one_line: bool) -> bool:
    """Whether `inert` shows this character as a marker instead of itself."""
    return ch in BIDI_CONTROLS or (one_line and not ch.isprintable())


def _text_body(reference: str, rows: list[tuple[str, str]]) -> str:
    lines = [
        f"Someone would like to volunteer. Reference: {reference}",
        "Reply to this email to answer them directly.",
        "",
    ]
    for label, value in rows:
        lines.append(f"{label}:")
        lines.extend(f"    {line}" for line in value.split("\n"))
    return "\n".join(lines) + "\n"


def _html_body(reference: str, rows: list[tuple[str, str]]) -> str:
    cells = "\n".join(
        f"<tr><th scope=row style='text-align:left;vertical-align:top;padding:4px 12px 4px 0'>"
        f"{html.escape(label)}</th><td style='white-space:pre-wrap'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    return _html_document(
        f"<p>Someone would like to volunteer. Reference: <strong>{reference}</strong></p>\n"
        f"<p>Reply to this email to answer them directly.</p>\n<table>\n{cells}\n</table>"
    )


def _html_document(body: str, lang: str = LANGUAGES[0]) -> str:
    return (
        f"<!doctype html>\n<html lang={lang}><meta charset=utf-8>\n<body>\n{body}\n</body></html>\n"
    )


ACK_SUBJECT = Words(
    "We received your message ({reference})", es="Recibimos tu mensaje ({reference})"
)
ACK_TEXT = Words(
    "Thank you for offering to volunteer with us.\n\n"
    "We received your message (reference {reference}). A coordinator will reply.\n\n"
    "If you did not send this, you can ignore this email: we will not write again"
    " unless you contact us.\n",
    es="Gracias por ofrecerte como voluntario o voluntaria.\n\n"
    "Recibimos tu mensaje (referencia {reference}). Una persona que coordina el"
    " voluntariado te va a responder.\n\n"
    "Si no enviaste este mensaje, puedes ignorarlo: no volveremos a escribirte"
    " a menos que nos contactes.\n",
)
"""The acknowledgement, in the language the person wrote in; `{reference}` is filled in."""
PRIVATE_ACK_TEXT = Words(
    "We received your message (reference {reference}).\n\n"
    "A coordinator will read it on our own server.\n\n"
    "If you did not send this, you can ignore this email: we will not write again"
    " unless you contact us.\n",
    es="Recibimos tu mensaje (referencia {reference}).\n\n"
    "Una persona que coordina lo va a leer en nuestro propio servidor.\n\n"
    "Si no enviaste este mensaje, puedes ignorarlo: no volveremos a escribirte"
    " a menos que nos contactes.\n",
)
"""A contact form's acknowledgement names no subject, as the inbox may be read by someone
else."""
