"""Turns a posted form into clean data or per-field errors a person understands.

Clean data holds only known fields, in form order, as text (checkboxes as a
list). Control and line-separator characters are refused rather than
stripped, so that what is stored and emailed is exactly what was accepted.
Bidirectional controls, which can make a line read differently from what was
typed, are refused in one-line fields too (the email shows any in longer text
as visible markers). A value that shows nothing (white space, zero-width, filler
characters or marks with no letter to sit on only) counts as empty.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from email_validator import EmailNotValidError, validate_email

from .addresses import UnsafeAddress, header_address
from .definitions import Field, Form
from .words import LANGUAGES, Words, say

Value = str | list[str]
MULTILINE_ALLOWED = {"\n", "\t"}
REFUSED_CATEGORIES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""Embeddings, overrides, isolates and marks: they reorder how the text around them reads."""
FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\ufffc\U0001d159")
"""Letters and symbols that draw nothing: Hangul fillers and the braille pattern blank
(the classic ways to type a blank name), the object replacement character (it stands
for a picture plain text does not have) and the musical null notehead."""
UNSEEN_CATEGORIES = {"Cf", "Mn", "Mc", "Me"}
"""Format characters (zero-width space, joiners, soft hyphen, tags) draw nothing; marks
(accents, variation selectors, the grapheme joiner, fillers such as Khitan's) draw only
on a letter before them, so marks alone are no text either."""


# The messages, with their translations; {label} is the field's label in the same language.
REQUIRED = Words("Enter {label}", es="Completa “{label}”")
SENT_TWICE = Words(
    "{label} was sent more than once. Send it once.",
    es="“{label}” se envió más de una vez. Envíalo una sola vez.",
)
CONTROL = Words(
    "{label} contains a control character. Remove it and type the text again.",
    es="“{label}” tiene un carácter oculto. Bórralo y vuelve a escribir el texto.",
)
ONE_LINE = Words(
    "{label} must be on one line, without control or text-direction characters. Type it again.",
    es="Escribe “{label}” en una sola línea, sin caracteres ocultos (como los que cambian la"
    " dirección del texto). Vuelve a escribirlo.",
)
TOO_LONG = Words(
    "{label} must be {max:,} characters or fewer; it has {n:,}.",
    es="“{label}” puede tener como máximo {max:,} caracteres; ahora tiene {n:,}.",
)
PLAIN_ADDRESS = Words(
    "We can only write to addresses with plain letters (a to z), digits and signs"
    " such as . _ - + before the @. If you have another address, please use it.",
    es="Solo podemos escribir a direcciones con letras simples (de la a a la z), números y"
    " signos como . _ - + antes de la @. Si tienes otra dirección, úsala.",
)
EMAIL_FORMAT = Words(
    "Enter one email address in the right format, like name@example.com",
    es="Escribe una sola dirección de correo con el formato correcto, como nombre@ejemplo.com",
)
LONG_LOCAL_PART = Words(
    "The part before the @ can have at most 64 characters; mail servers refuse longer ones."
    " Check the address, or use another one.",
    es="La parte antes de la @ puede tener como máximo 64 caracteres; los servidores de correo"
    " rechazan las más largas. Revisa la dirección o usa otra.",
)
ENCODED_ADDRESS = Words(
    "We cannot reply to this address as it is written (it contains =? which email"
    " programs read as a code). Check it, or use another address.",
    es="No podemos responder a esta dirección tal como está escrita (tiene =?, que los"
    " programas de correo leen como un código). Revísala o usa otra dirección.",
)
PHONE = Words(
    "Enter a phone number using digits, spaces, +, - and brackets only",
    es="Escribe el teléfono solo con números, espacios, +, - y paréntesis",
)
PHONE_DIGITS = 7
"""The fewest digits of a number someone can be called or texted at: a local number in
North America without its area code; `+()-` or `12` reaches nobody."""
SHORT_PHONE = Words(
    "Enter the whole phone number, with at least {digits} digits",
    es="Escribe el teléfono completo, con al menos {digits} dígitos",
).format(digits=PHONE_DIGITS)
WHOLE_NUMBER = Words(
    "Enter a whole number from {min} to {max}", es="Escribe un número entero del {min} al {max}"
)
ONE_OPTION = Words(
    "Choose one of the options for {label}", es="Elige una de las opciones de “{label}”"
)
LISTED_OPTIONS = Words(
    "Choose only from the options listed for {label}",
    es="Elige solo entre las opciones de “{label}”",
)


class MultiDict(Protocol):
    def getlist(self, key: str) -> list[object]: ...


@dataclass
class Result:
    data: dict[str, Value] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Value] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(form: Form, posted: MultiDict, lang: str = LANGUAGES[0]) -> Result:
    """Check every field of `form` against what was posted; the errors are in `lang`."""
    result = Result()
    for f in form.fields:
        values = [v if isinstance(v, str) else "" for v in posted.getlist(f.name)]
        check = CHECKS.get(f.kind, _check_text)
        raw: Value = values if f.kind == "checkboxes" else (values[0] if values else "")
        result.raw[f.name] = raw
        try:
            clean = check(f, values)
        except ValueError as exc:
            result.errors[f.name] = say(exc.args[0], lang)
            continue
        if clean in ("", []):
            if f.required:
                message = f.required_message or REQUIRED.format(label=f.label.in_sentence())
                result.errors[f.name] = say(message, lang)
            continue
        result.data[f.name] = clean
    _check_needs(form, result, lang)
    return result


def _check_needs(form: Form, result: Result, lang: str) -> None:
    """A choice that needs another field (email chosen as a way back, say) gets that
    field's error when it was left empty."""
    for f in form.fields:
        chosen = result.data.get(f.name, [])
        chosen = chosen if isinstance(chosen, list) else [chosen]
        for choice, needed, message in f.needs:
            if choice in chosen and needed not in result.data and needed not in result.errors:
                result.errors[needed] = say(message, lang)


def _single(f: Field, values: list[str]) -> str:
    if len(values) > 1:
        raise ValueError(SENT_TWICE.format(label=f.label))
    return values[0] if values else ""


def _clean_text(f: Field, value: str, multiline: bool = False) -> str:
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    allowed = MULTILINE_ALLOWED if multiline else set()
    for ch in value if _may_hold_refused(value, allowed) else "":
        refused = unicodedata.category(ch) in REFUSED_CATEGORIES or (
            not multiline and ch in BIDI_CONTROLS
        )
        if ch not in allowed and refused:
            raise ValueError((CONTROL if multiline else ONE_LINE).format(label=f.label))
    value = "" if _invisible(value) else value.strip()
    if len(value) > f.max_length:
        raise ValueError(TOO_LONG.format(label=f.label, max=f.max_length, n=len(value)))
    return value


def _invisible(value: str) -> bool:
    """Whether the text shows nothing at all: white space, FILLERS, and characters of
    UNSEEN_CATEGORIES only, so no letter, digit, sign or symbol. Such a value counts as
    empty, so a required field asks for it again; inside visible text the same characters
    stay, as emoji and some scripts need the zero-width joiners and marks."""
    return all(_unseen(ch) for ch in value)


def _unseen(ch: str) -> bool:
    """Whether one character draws nothing of its own (see _invisible)."""
    return ch.isspace() or ch in FILLERS or unicodedata.category(ch) in UNSEEN_CATEGORIES


def _may_hold_refused(value: str, allowed: set[str]) -> bool:
    """False when a quick check in C proves there is nothing to refuse: printable text has
    no control, private-use, unassigned or line-separator character."""
    for ch in allowed:
        value = value.replace(ch, "")
    return not value.isprintable()


def _check_text(f: Field, values: list[str]) -> str:
    return _clean_text(f, _single(f, values))


def _check_textarea(f: Field, values: list[str]) -> str:
    return _clean_text(f, _single(f, values), multiline=True)


def _check_email(f: Field, values: list[str]) -> str:
    value = _clean_text(f, _single(f, values))
    if not value:
        return ""
    local_part = value.rpartition("@")[0]
    if not local_part.isascii():
        raise ValueError(PLAIN_ADDRESS)
    if len(local_part) > 64:  # RFC 5321's limit, which email-validator checks only if strict
        raise ValueError(LONG_LOCAL_PART)
    try:
        info = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        raise ValueError(EMAIL_FORMAT) from None
    try:
        header_address(info.normalized)
    except UnsafeAddress:
        raise ValueError(ENCODED_ADDRESS) from None
    return info.normalized


def _check_tel(f: Field, values: list[str]) -> str:
    """A number someone could call: the signs people write in one, and enough digits
    (a call or a text promised to a number that reaches nobody would never come)."""
    value = _clean_text(f, _single(f, values))
    if value and not all(ch.isdigit() or ch in " +-().x" for ch in value):
        raise ValueError(PHONE)
    if value and sum(ch.isdecimal() for ch in value) < PHONE_DIGITS:
        raise ValueError(SHORT_PHONE)
    return value


def _check_number(f: Field, values: list[str]) -> str:
    value = _clean_text(f, _single(f, values))
    if not value:
        return ""
    if not value.isascii() or not value.isdigit() or not f.minimum <= int(value) <= f.maximum:
        raise ValueError(WHOLE_NUMBER.format(min=f.minimum, max=f.maximum))
    return str(int(value))


def _check_radio(f: Field, values: list[str]) -> str:
    value = _single(f, values)
    if value and value not in f.labels:
        raise ValueError(ONE_OPTION.format(label=f.label.in_sentence()))
    return value


def _check_checkboxes(f: Field, values: list[str]) -> list[str]:
    unknown = [v for v in values if v not in f.labels]
    if unknown:
        raise ValueError(LISTED_OPTIONS.format(label=f.label.in_sentence()))
    return [value for value, _ in f.choices if value in values]


def _check_consent(f: Field, values: list[str]) -> str:
    value = _single(f, values)
    if value and value != "yes":
        raise ValueError(f.required_message or "Tick the box, or leave it empty")
    return value


CHECKS: dict[str, Callable[[Field, list[str]], Value]] = {
    "text": _check_text,
    "textarea": _check_textarea,
    "email": _check_email,
    "tel": _check_tel,
    "number": _check_number,
    "radio": _check_radio,
    "checkboxes": _check_checkboxes,
    "consent": _check_consent,
    "tick": _check_consent,
}
