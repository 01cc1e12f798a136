"""MkDocs hook: put each form, rendered from its definition, where a page asks for it.

Editors write `<!-- volunteer-form -->` or `<!-- contact-form -->` (the form's slug, then
-form) on a line of its own in a Markdown page.
"""

from __future__ import annotations

from forms_service.forms import FORMS
from forms_service.render import form_html


def on_page_content(html: str, **kwargs: object) -> str:
    for slug, form in FORMS.items():
        marker = f"<!-- {slug}-form -->"
        if marker in html:
            html = html.replace(marker, form_html(form))
    return html
