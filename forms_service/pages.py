"""HTML pages the service answers with, dressed in the built site's own chrome.

The built Volunteer page of each language's edition is read once at start-up.
The service swaps the form in it (to show errors) or the whole article (for a
plain message), so every page a person sees looks like the rest of the site,
quick exit and hotline footer included. The page is served from /api/..., so its relative links are
made absolute first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from urllib.parse import urljoin

from . import render
from .forms import Form
from .words import LANGUAGES, Words, in_edition, say

PAGE_PATH = "/volunteer/"
SITE_ROOT = "/"

_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
_CONFIG_PATH = re.compile(r'"(base|search)": "([^"]*)"')
_ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">).*?(</article>)', re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)

BACK_TO_FORM = Words("Back to the volunteer form", es="Volver al formulario de voluntariado")
HOME = Words("Home page", es="Página de inicio")

FALLBACK = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Volunteer</title></head>
<body><main><article class="md-content__inner md-typeset">
{form}
</article></main></body></html>
"""


def _absolute(page_path: str, match: re.Match[str]) -> str:
    name, value = match.groups()
    if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", value, re.I):
        return match[0]
    return f'{name}="{urljoin(page_path, value)}"'


def _absolute_config(page_path: str, match: re.Match[str]) -> str:
    key, value = match.groups()
    return f'"{key}": "{urljoin(page_path, value)}"'


def _shell(site_dir: Path, form: Form, lang: str) -> str:
    """The edition's built Volunteer page with absolute links, or a bare page without a site."""
    page_path = in_edition(PAGE_PATH, lang)
    source = site_dir / page_path.strip("/") / "index.html"
    if source.is_file() and render.START in (text := source.read_text(encoding="utf-8")):
        text = _ATTR.sub(partial(_absolute, page_path), text)
        return _CONFIG_PATH.sub(partial(_absolute_config, page_path), text)
    return FALLBACK.format(form=render.form_html(form, lang=lang), lang=lang)


class Pages:
    """Renders the form with errors, and short message pages, in the site's look and in
    the language of the page the person came from."""

    def __init__(self, site_dir: Path, form: Form) -> None:
        self.form = form
        self.shells = {lang: _shell(site_dir, form, lang) for lang in LANGUAGES}

    def form_with_errors(
        self, values: Mapping[str, object], errors: Mapping[str, str], lang: str
    ) -> str:
        before, _, rest = self.shells[lang].partition(render.START)
        _, _, after = rest.partition(render.END)
        page = before + render.form_html(self.form, values, errors, lang) + after
        return _TITLE.sub(lambda m: f"<title>Error: {m[1]}</title>", page, count=1)

    def message(self, title: str, message: str, lang: str) -> str:
        """A page with a heading, a sentence and a way back to the form."""
        body = (
            f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n"
            f'<p><a href="{in_edition(PAGE_PATH, lang)}">{say(BACK_TO_FORM, lang)}</a> · '
            f'<a href="{in_edition(SITE_ROOT, lang)}">{say(HOME, lang)}</a></p>'
        )
        page = _ARTICLE.sub(lambda m: f"{m[1]}\n{body}\n{m[2]}", self.shells[lang], count=1)
        return _TITLE.sub(lambda m: f"<title>{html.escape(title)}</title>", page, count=1)
