"""The words people read, in each language the site speaks.

A `Words` is the English text, usable wherever a str is, that also carries its
translations: `Words("Your name", es="Tu nombre")`. The form definitions, the
validation messages and the refusals are written this way, so each thing is said
once with all its languages beside it. A plain str is English and is shown as is.
"""

from __future__ import annotations

LANGUAGES = ("en", "es")
"""The site's editions; the first is the default, and the fallback for missing words."""

NAMES = {"en": "English", "es": "Spanish"}
"""Each language's name, as coordinators read it in the email and the desk."""

LANGUAGE_KEY = "language"
"""Where a submission records the language the person wrote in."""


class Words(str):
    """English text that carries its translations."""

    translations: dict[str, str]

    def __new__(cls, english: str, **translations: str) -> Words:
        words = super().__new__(cls, english)
        words.translations = translations
        return words

    def format(self, **values: object) -> Words:
        """Fill the placeholders of every language, each with the values in that language."""

        def filled(text: str, lang: str) -> str:
            return text.format(
                **{k: say(v, lang) if isinstance(v, str) else v for k, v in values.items()}
            )

        return Words(
            filled(str(self), LANGUAGES[0]),
            **{lang: filled(text, lang) for lang, text in self.translations.items()},
        )

    def in_sentence(self) -> Words:
        """A label as a message names it: in lower case inside an English sentence ("Enter
        your name"); as written in the other languages, which quote it (Completa “Tu
        nombre”), so its first letter stays a capital."""
        return Words(str(self).lower(), **self.translations)


HOTLINE = Words(
    "If you need help now, call the National Human Trafficking Hotline at 1-888-373-7888,"
    " text 233733, or use TTY 711.",
    es="Si necesitas ayuda ahora, llama a la Línea Directa Nacional contra la Trata de"
    " Personas al 1-888-373-7888, manda un mensaje de texto al 233733 o usa TTY 711.",
)
"""Where to turn while the service cannot take a form: a refusal that makes a person
wait must not leave them without help (the numbers are the site's, mkdocs.yml)."""

_MINUTE = Words("1 minute", es="1 minuto")
_MINUTES = Words("{n} minutes", es="{n} minutos")
_HOUR = Words("1 hour", es="1 hora")
_HOURS = Words("{n} hours", es="{n} horas")


def wait_of(seconds: int) -> Words:
    """A wait as a person reads it: whole minutes under an hour, else whole hours, rounded
    up, so that trying again after it works (a shorter word would be an untrue promise)."""
    minutes = -(-seconds // 60)
    if minutes < 60:
        return _MINUTE if minutes <= 1 else _MINUTES.format(n=minutes)
    hours = -(-seconds // 3600)
    return _HOUR if hours == 1 else _HOURS.format(n=hours)


def say(text: str, lang: str) -> str:
    """`text` in `lang`, or as written (English) where it has no such translation."""
    return getattr(text, "translations", {}).get(lang, str(text))


def language(value: str | None) -> str:
    """One of LANGUAGES, from an untrusted value: anything unknown is the default."""
    return value if value in LANGUAGES else LANGUAGES[0]


def reply_in(lang: str) -> str:
    """The language's name when coordinators must reply in it (any but the site's first,
    which they use anyway); "" for that one."""
    return "" if lang == LANGUAGES[0] else NAMES[lang]


def in_edition(path: str, lang: str) -> str:
    """A site page's address in `lang`'s edition: /volunteer/ -> /es/volunteer/."""
    return path if lang == LANGUAGES[0] else f"/{lang}{path}"
