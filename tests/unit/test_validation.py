"""Validation in process: what counts as an empty answer."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from forms_service.forms.definitions import VOLUNTEER
from forms_service.forms.validation import validate

from ..support import valid_form

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u2060\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u00ad",  # soft hyphen
    " \u200b\u3000\u2003",  # with white space: ideographic and em spaces
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u3164",  # Hangul filler
    "\uffa0",  # halfwidth Hangul filler
    "\u180e\ufff9",  # Mongolian vowel separator, interlinear annotation anchor
    "\u034f\ufe0f\U000e0100",  # combining grapheme joiner, variation selectors
    "\u2800\u2800",  # braille pattern blank, the other classic blank name
    "\ufffc",  # object replacement: stands for a picture the text does not have
    "\U0001d159",  # musical null notehead
    "\U00016fe4",  # Khitan small script filler (a mark)
    "\u0300",  # a lone accent, with no letter to sit on
    "\u20dd \u0301\u200d",  # enclosing circle, accent and joiner around nothing
]


def posted(**fields: object) -> FormData:
    items = [(k, v) for k, values in valid_form(**fields).items() for v in _listed(values)]
    return FormData(items)


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("blank", INVISIBLE)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_name_of_invisible_characters_is_asked_for_again(blank, lang):
    errors = validate(VOLUNTEER, posted(name=blank), lang).errors
    assert errors == {"name": {"en": "Enter your name", "es": "Escribe tu nombre"}[lang]}


@pytest.mark.parametrize("blank", INVISIBLE)
def test_an_optional_field_of_invisible_characters_is_kept_empty(blank):
    result = validate(VOLUNTEER, posted(location=blank, phone=blank, message=blank))
    assert result.ok
    assert "location" not in result.data and "phone" not in result.data
    assert "message" not in result.data


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f469\u200d\U0001f4bb Ada",  # an emoji sequence joined by ZWJ
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ inside a word
        "Ada\u00adLovelace",
        "\u200bAda",
        "\u0915\u093f\u0930\u0923",  # Hindi: a vowel sign (a mark) after its letter
        "\u2800Ada",
    ],
)
def test_format_characters_inside_visible_text_are_kept(text):
    result = validate(VOLUNTEER, posted(name=text))
    assert result.ok
    assert result.data["name"] == text


def test_text_direction_controls_alone_are_still_refused_in_a_name():
    errors = validate(VOLUNTEER, posted(name="\u202e")).errors
    assert "one line" in errors["name"]
