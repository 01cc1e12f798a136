"""What editors place with a comment on a line of its own, filled in on the built pages.

`<!-- volunteer-form -->` or `<!-- contact-form -->` (a form's slug, then -form) becomes
that form, rendered from its definition in `forms_service.forms`, so the site and the
service never disagree on a field; `<!-- contact-outcome -->` (slug, then -outcome), on
a thank-you page, what the service says there of each submission (its reference and
what became of the email saying we received it), here in the words that hold for anyone
(forms_service/forms/thanks.py). The others say what the service does, as it is
set: the site is built where the service does not run (Netlify), so the build reads
the same variables, read and checked as the service reads them; set them to the
service's values in both places. `<!-- email-details -->` becomes what the
coordinators' emails hold (FORMS_EMAIL_DETAILS: `summary`, the default, or `full`);
`**<!-- retention-days --> days**` (and `contact-retention-days`) how long a form is
kept (FORMS_RETENTION_DAYS, FORMS_CONTACT_RETENTION_DAYS); `<!-- address-kept -->`
the words on the internet addresses the rate limit keeps and for how long
(forms_service/web/guard.py, FORMS_RATE_LIMIT).
Each in the language of the page's edition.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from forms_service.forms import thanks
from forms_service.forms.definitions import FORMS
from forms_service.forms.render import form_html
from forms_service.forms.words import Words, say, wait_of
from forms_service.settings import EMAIL_DETAILS, Settings
from forms_service.web import guard

EMAIL_DETAILS_MARKER = "<!-- email-details -->"
EMAIL_DETAILS_WORDS = {
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

READ = ("FORMS_RETENTION_DAYS", "FORMS_CONTACT_RETENTION_DAYS", "FORMS_RATE_LIMIT")
"""The variables the pages' words depend on; the service's others are not the build's."""
ADDRESS_KEPT = Words(
    "When you send a form, our form system keeps your internet address (for a newer,"
    " IPv6 address, the part that names your network) in its memory, with the times of"
    " the forms from it that it saved, to limit how many forms one internet connection"
    " can send. It forgets them {window} after the last form it saved from that address"
    " (a minute later at most), or sooner: when it restarts, or when {clients:,} other"
    " addresses have sent forms since. A form that was not saved (one with a mistake to"
    " correct, for example) does not count and leaves no time behind.",
    es="Cuando envías un formulario, nuestro sistema de formularios guarda tu dirección de"
    " internet (si es una dirección IPv6, la parte que identifica tu red) en su memoria,"
    " con la hora de los formularios que guardó desde ella, para limitar cuántos"
    " formularios se pueden enviar desde una misma conexión. Las olvida {window} después"
    " del último formulario que guardó desde esa dirección (como mucho un minuto más"
    " tarde), o antes: cuando el sistema se reinicia, o cuando otras {clients:,}"
    " direcciones envían formularios después. Un formulario que no se guardó (por"
    " ejemplo, porque tenía un error que corregir) no cuenta y no deja ninguna hora.",
)


def service_settings() -> Settings:
    """The settings the pages' words depend on, from this build's environment."""
    return Settings.from_env({name: os.environ[name] for name in READ if name in os.environ})


def words(lang: str) -> dict[str, Callable[[Settings], str]]:
    """Each marker and what it becomes, in `lang`."""
    return {
        "<!-- retention-days -->": lambda s: str(s.retention_days),
        "<!-- contact-retention-days -->": lambda s: str(s.contact_retention_days),
        "<!-- address-kept -->": lambda s: say(address_kept(s), lang),
    }


def address_kept(settings: Settings) -> Words:
    """What the rate limit keeps and for how long, with its window as the service has it."""
    window = wait_of(settings.rate_limit.seconds)
    return ADDRESS_KEPT.format(window=window, clients=guard.MAX_TRACKED_CLIENTS)


def email_details() -> str:
    """The service's FORMS_EMAIL_DETAILS, refused when it is neither value (the page
    would otherwise promise what the service does not do)."""
    value = os.environ.get("FORMS_EMAIL_DETAILS", "").strip().lower() or "summary"
    if value not in EMAIL_DETAILS:
        raise ValueError(f"FORMS_EMAIL_DETAILS: expected summary or full, got {value!r}")
    return value


def place_forms(page: str, lang: str) -> str:
    """Each form, and each form's outcome, whose marker the page holds, in its language."""
    for slug, form in FORMS.items():
        marker = f"<!-- {slug}-form -->"
        if marker in page:
            page = page.replace(marker, form_html(form, lang=lang))
        if thanks.marker(form) in page:
            page = page.replace(thanks.marker(form), thanks.outcome_html(form, lang))
    return page


def fill_email_details(page: str, lang: str) -> str:
    if EMAIL_DETAILS_MARKER not in page:
        return page
    return page.replace(EMAIL_DETAILS_MARKER, say(EMAIL_DETAILS_WORDS[email_details()], lang))


def fill_service_settings(page: str, lang: str) -> str:
    found = {m: w for m, w in words(lang).items() if m in page}
    if not found:
        return page
    settings = service_settings()
    for marker, word in found.items():
        page = page.replace(marker, word(settings))
    return page
