"""MkDocs hook: put each form, rendered from its definition, where a page asks for it.

Editors write `<!-- volunteer-form -->` or `<!-- contact-form -->` (the form's slug, then
-form) on a line of its own in a Markdown page.
"""

from __future__ import annotations

from typing import Any

from forms_service.forms.definitions import FORMS
from forms_service.forms.render import form_html


def on_page_content(html: str, config: Any, **kwargs: Any) -> str:
    """Each form in the language of the edition being built (`theme.language`)."""
    for slug, form in FORMS.items():
        marker = f"<!-- {slug}-form -->"
        if marker in html:
            html = html.replace(marker, form_html(form, lang=config.theme["language"]))
    return html
