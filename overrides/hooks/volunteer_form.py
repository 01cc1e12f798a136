"""MkDocs hook: put the volunteer form, rendered from its definition, where a page asks for it.

Editors write `<!-- volunteer-form -->` on a line of its own in a Markdown page.
"""

from __future__ import annotations

from forms_service.forms import VOLUNTEER
from forms_service.render import form_html

MARKER = "<!-- volunteer-form -->"


def on_page_content(html: str, **kwargs: object) -> str:
    return html.replace(MARKER, form_html(VOLUNTEER)) if MARKER in html else html
