"""MkDocs hook: the privacy and contact pages say what the forms service keeps, as it is set.

How long the service keeps a form is one of its settings (FORMS_RETENTION_DAYS,
FORMS_CONTACT_RETENTION_DAYS): the build reads the same variables, read and checked as
the service reads them, so set them to the service's values in both places (as
FORMS_EMAIL_DETAILS, see email_details.py). Editors write a marker where a number goes,
`**<!-- retention-days --> days**`, and `<!-- address-kept -->` where the words on the
internet addresses the rate limit keeps go (forms_service/web/guard.py), in the page's
language.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from forms_service.forms.words import Words, say
from forms_service.settings import Settings
from forms_service.web import guard

READ = ("FORMS_RETENTION_DAYS", "FORMS_CONTACT_RETENTION_DAYS")
"""The variables the pages' words depend on; the service's others are not the build's."""
ADDRESS_KEPT = Words(
    "When you send a form, our form system keeps your internet address (for a newer,"
    " IPv6 address, the part that names your network) in its memory, with the times of"
    " the forms from it that it saved, to limit how many forms one internet connection"
    " can send. It is not forgotten after an hour: it stays in memory until the form"
    " system restarts, or until {clients:,} other addresses have sent forms since yours"
    " last did. A form that was not saved (one with a mistake to correct, for example)"
    " does not count and leaves no time behind. The last {parsed:,} different addresses"
    " that sent forms also stay in its memory, until it restarts or newer ones take"
    " their place.",
    es="Cuando envías un formulario, nuestro sistema de formularios guarda tu dirección de"
    " internet (si es una dirección IPv6, la parte que identifica tu red) en su memoria,"
    " con la hora de los formularios que guardó desde ella, para limitar cuántos"
    " formularios se pueden enviar desde una misma conexión. No se olvida después de una"
    " hora: queda en la memoria hasta que el sistema se reinicia, o hasta que otras"
    " {clients:,} direcciones envían formularios después de la última vez que lo hizo la"
    " tuya. Un formulario que no se guardó (por ejemplo, porque tenía un error que"
    " corregir) no cuenta y no deja ninguna hora. Las últimas {parsed:,} direcciones"
    " distintas que enviaron formularios también quedan en su memoria, hasta que se"
    " reinicia o las reemplazan otras más nuevas.",
)


def service_settings() -> Settings:
    """The settings the pages' words depend on, from this build's environment."""
    return Settings.from_env({name: os.environ[name] for name in READ if name in os.environ})


def words(lang: str) -> dict[str, Callable[[Settings], str]]:
    """Each marker and what it becomes, in `lang`."""
    parsed = guard._parse_address.cache_info().maxsize  # its cache of addresses read
    kept = ADDRESS_KEPT.format(clients=guard.MAX_TRACKED_CLIENTS, parsed=parsed)
    return {
        "<!-- retention-days -->": lambda s: str(s.retention_days),
        "<!-- contact-retention-days -->": lambda s: str(s.contact_retention_days),
        "<!-- address-kept -->": lambda s: say(kept, lang),
    }


def on_page_content(html: str, config: Any, **kwargs: object) -> str:
    found = {m: w for m, w in words(config.theme["language"]).items() if m in html}
    if not found:
        return html
    settings = service_settings()
    for marker, word in found.items():
        html = html.replace(marker, word(settings))
    return html
