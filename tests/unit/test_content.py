"""The words on the site: true to the organization's article and to what the site does."""

from __future__ import annotations

import re
from pathlib import Path

from forms_service.forms.words import LANGUAGES, say
from forms_service.mail import emails

from ..support import ROOT

DOCS = ROOT / "docs"
SITE_TEXT = [
    *DOCS.rglob("*.md"),
    *(ROOT / "overrides").rglob("*.html"),
    ROOT / "forms_service" / "forms" / "definitions.py",
]
BRITISH = re.compile(
    r"\b\w*(?:organis|recognis|realis|apologis|prioritis|summaris|specialis|minimis)\w*"
    r"|\b(?:colours?|neighbours?|favour\w*|behaviour\w*|honour\w*|labour|centre|programme"
    r"|counsell\w*|travell\w*|judgement|licence|catalogue|enrolment)\b",
    re.I,
)
# A promise about what the organization does, which only its own article can make.
POLICY = re.compile(
    r"within (?:a|one|\d+) (?:day|week|month|year)s?|we (?:never|always|will)\b|"
    r"\bagree to\b|\bwe reply\b|usually within",
    re.I,
)
MARKER = "[to confirm]"
REPLY_TIME = re.compile(
    r"within (?:a|one|\d+) (?:day|week|month)|usually|"
    r"en (?:un plazo de|menos de) \w+ (?:día|semana|mes)|normalmente|por lo general",
    re.I,
)


def body(path: Path) -> str:
    """A page's text after its front matter."""
    return path.read_text(encoding="utf-8").split("---", 2)[-1]


def paragraphs(path: Path) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", body(path)) if p.strip()]


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_us_spelling_throughout():
    found = []
    for path in SITE_TEXT:
        text = re.sub(r"https?://\S+", "", path.read_text(encoding="utf-8"))  # addresses
        text = text.replace("International Labour Organization", "")  # a proper name
        found += [f"{path.relative_to(ROOT)}: {word}" for word in BRITISH.findall(text)]
    assert found == []


def test_survivors_are_safe_not_rescued():
    for path in DOCS.rglob("*.md"):
        assert "rescued" not in path.read_text(encoding="utf-8").lower(), path
    assert "once they are safe" in page("index.md")
    assert "once they are safe" in page("get-help.md")


def test_policies_not_in_the_article_are_marked_to_confirm():
    unmarked = [
        f"{path.relative_to(ROOT)}: {p.strip()[:70]}"
        for path in DOCS.rglob("*.md")
        for p in paragraphs(path)
        if POLICY.search(p) and MARKER not in p
    ]
    assert unmarked == []


def test_the_acknowledgements_promise_no_reply_time():
    """An email cannot carry a [to confirm] marker, so it names no time the organization
    has not stated (the coordinators have not agreed to one)."""
    for text in (emails.ACK_TEXT, emails.PRIVATE_ACK_TEXT):
        for lang in LANGUAGES:
            assert not REPLY_TIME.search(say(text, lang)), (lang, say(text, lang))


def test_every_figure_cites_its_source():
    uncited = [
        f"{path.relative_to(ROOT)}: {p.strip()[:70]}"
        for path in DOCS.rglob("*.md")
        for p in paragraphs(path)
        if re.search(r"\d[\d.,]*\s+(?:million|billion|percent|%)", p)
        and not re.search(r"\]\(https://|\]\[\w+\]", p)
    ]
    assert uncited == []


def test_safety_and_privacy_say_what_the_browser_still_keeps():
    for name in ("safety.md", "privacy.md"):
        text = " ".join(page(name).split())
        assert "nothing is saved on your device" not in text.lower(), name
        assert "nothing is stored on your device" not in text.lower(), name
        assert "every page of this site you" in text, name
        assert "no cookies" in text.lower() or "sets no cookies" in text, name
        assert "not to keep" in text, name  # pages sent with no-store
    safety = " ".join(page("safety.md").split())
    assert "The surest step: close the tab or window" in safety
    for keys in ("<kbd>Ctrl</kbd> + <kbd>W</kbd>", "<kbd>Command</kbd> + <kbd>W</kbd>"):
        assert keys in safety
    assert "On a phone" in safety
    assert "https://www.techsafety.org/" in safety and "NNEDV" in safety
    assert "which may be another page of this site" in safety


def test_contact_page_warns_about_email_and_asks_for_a_safe_way_to_reach_back():
    text = " ".join(page("contact.md").split())
    assert "Email and Facebook messages leave a record" in text
    assert "Sent** folder" in text
    assert "Tell us how and when it is safe to reach you" in text


def test_the_shift_shortcut_is_described_as_it_works_in_both_languages():
    """Shift three times counts in the forms' fields too (test_site_browser): the pages
    that describe it say so, and none says it pauses in a form."""
    says = {
        "en": "even while you type in a form",
        "es": "también mientras escribes en un formulario",
    }
    for name in ("index.md", "safety.md", "es/index.md", "es/safety.md"):
        text = " ".join(page(name).split())
        assert says["es" if name.startswith("es/") else "en"] in text, name
        assert "does not count while you type" not in text, name
        assert "no cuenta mientras escribes" not in text, name


UNSTATED_OFFERS = re.compile(
    r"need help for yourself|a phone call or a text|necesites ayuda para ti"
    r"|con una llamada o con un mensaje de texto",
    re.I,
)
"""What the contact page offers beyond the article, which speaks of email and Facebook."""


def statements(path: Path) -> list[str]:
    """A page's paragraphs and list items, each on one line."""
    return [" ".join(s.split()) for s in re.split(r"\n\s*\n|\n(?=\s*- )", body(path)) if s.strip()]


def test_the_contact_pages_offers_not_in_the_article_are_marked_to_confirm():
    """Writing for oneself and replies by call or text: the organization has not said so."""
    for name, marker in (("contact.md", MARKER), ("es/contact.md", "[por confirmar]")):
        offers = [s for s in statements(DOCS / name) if UNSTATED_OFFERS.search(s)]
        assert len(offers) == 2, name
        assert all(marker in offer for offer in offers), offers
