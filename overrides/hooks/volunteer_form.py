"""MkDocs hook: put the volunteer form, rendered from its definition, where a page asks for it.

Editors write `<!-- volunteer-form -->` on a line of its own in a Markdown page.
"""

from __future__ import annotations

from typing import Any

from forms_service.forms import VOLUNTEER
from forms_service.render import form_html

MARKER = "<!-- volunteer-form -->"


def on_page_content(html: str, config: Any, **kwargs: Any) -> str:
    """The form in the language of the edition being built (`theme.language`)."""
    if MARKER not in html:
        return html
    return html.replace(MARKER, form_html(VOLUNTEER, lang=config.theme["language"]))
