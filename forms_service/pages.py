"""HTML pages the service answers with, dressed in the built site's own chrome.

Each form's built page (Volunteer, Contact) is read once at start-up. The service
swaps the form in it (to show errors) or the whole article (for a plain message),
so every page a person sees looks like the rest of the site, quick exit and
hotline footer included. The page is served from /api/..., so its relative links
are made absolute first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urljoin

from . import render
from .forms import Form

SITE_ROOT = "/"

_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
_CONFIG_PATH = re.compile(r'"(base|search)": "([^"]*)"')
_ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">).*?(</article>)', re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)

FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title></head>
<body><main><article class="md-content__inner md-typeset">
{form}
</article></main></body></html>
"""


def _absolute(page_path: str, text: str) -> str:
    """Relative links and the theme's config paths, made absolute from the page's path."""

    def attr(match: re.Match[str]) -> str:
        name, value = match.groups()
        if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", value, re.I):
            return match[0]
        return f'{name}="{urljoin(page_path, value)}"'

    def config(match: re.Match[str]) -> str:
        key, value = match.groups()
        return f'"{key}": "{urljoin(page_path, value)}"'

    return _CONFIG_PATH.sub(config, _ATTR.sub(attr, text))


def _shell(site_dir: Path, form: Form) -> str:
    source = site_dir / form.page.strip("/") / "index.html"
    if source.is_file() and render.START in (text := source.read_text(encoding="utf-8")):
        return _absolute(form.page, text)
    return FALLBACK.format(title=html.escape(form.title), form=render.form_html(form))


class Pages:
    """Renders a form with errors, and short message pages, in the site's look."""

    def __init__(self, site_dir: Path, forms: Mapping[str, Form]) -> None:
        self.shells = {slug: _shell(site_dir, form) for slug, form in forms.items()}

    def form_with_errors(
        self, form: Form, values: Mapping[str, object], errors: Mapping[str, str]
    ) -> str:
        before, _, rest = self.shells[form.slug].partition(render.START)
        _, _, after = rest.partition(render.END)
        page = before + render.form_html(form, values, errors) + after
        return _TITLE.sub(lambda m: f"<title>Error: {m[1]}</title>", page, count=1)

    def message(self, form: Form, title: str, message: str) -> str:
        """A page with a heading, a sentence and a way back to the form it is about."""
        body = (
            f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n"
            f'<p><a href="{form.page}">Back to the form</a> · '
            f'<a href="{SITE_ROOT}">Home page</a></p>'
        )
        shell = self.shells[form.slug]
        page = _ARTICLE.sub(lambda m: f"{m[1]}\n{body}\n{m[2]}", shell, count=1)
        return _TITLE.sub(lambda m: f"<title>{html.escape(title)}</title>", page, count=1)
