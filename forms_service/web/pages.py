"""HTML pages the service answers with, dressed in the built site's own chrome.

Each form's built page (Volunteer, Contact) and its thank-you page, in each language's
edition, is read once at start-up. The service swaps the form in it (to show errors),
the whole article (for a plain message), or the thank-you page's outcome (for this
submission's reference and email), so every page a person sees looks like the rest of
the site, quick exit and hotline footer included. The page is served from /api/..., so
its relative links are made absolute first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urljoin

from ..forms import render, thanks
from ..forms.definitions import Form
from ..forms.words import LANGUAGES, Words, in_edition, say

SITE_ROOT = "/"

_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
_CONFIG_PATH = re.compile(r'"(base|search)": "([^"]*)"')
_ARTICLE = re.compile(r'(<article class="md-content__inner md-typeset">).*?(</article>)', re.S)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_SKIP = re.compile(r'(<a href=")#[^"]*(" class="md-skip">)')
_TOC = re.compile(r"<nav\b[^>]*\bmd-nav--secondary\b[^>]*>.*?</nav>", re.S)

HEADING_ID = "what-happened"
"""The message page's heading, where its "skip to content" link leads: the form page's
own target (its first heading) is gone with the article the message replaces."""

BACK_TO_FORM = Words("Back to the form", es="Volver al formulario")
HOME = Words("Home page", es="Página de inicio")

FALLBACK = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
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


def _shell(site_dir: Path, form: Form, lang: str) -> str:
    """The edition's built page of the form with absolute links, or a bare page without a site."""
    page_path = in_edition(form.page, lang)
    source = site_dir / page_path.strip("/") / "index.html"
    if source.is_file() and render.START in (text := source.read_text(encoding="utf-8")):
        return _absolute(page_path, text)
    title = html.escape(say(form.title, lang))
    return FALLBACK.format(title=title, form=render.form_html(form, lang=lang), lang=lang)


THANK_YOU = Words("Thank you, we received your message", es="Gracias, recibimos tu mensaje")
"""The thank-you page's heading where no site was built (a bare service in a test)."""


def _thanks_shell(site_dir: Path, form: Form, lang: str) -> str:
    """The edition's built thank-you page of the form, its outcome ready to be replaced:
    where an editor lost the outcome's line, it goes after the heading."""
    page_path = in_edition(form.thanks, lang)
    source = site_dir / page_path.strip("/") / "index.html"
    if source.is_file():
        text = _absolute(page_path, source.read_text(encoding="utf-8"))
    else:
        heading = f"<h1>{html.escape(say(THANK_YOU, lang))}</h1>"
        text = FALLBACK.format(title=html.escape(say(THANK_YOU, lang)), form=heading, lang=lang)
    if thanks.START not in text:
        text = text.replace("</h1>", f"</h1>\n{thanks.outcome_html(form, lang)}", 1)
    return text


class Pages:
    """Renders a form with errors, and short message pages, in the site's look and in
    the language of the page the person came from."""

    def __init__(self, site_dir: Path, forms: Mapping[str, Form]) -> None:
        self.shells = {
            (slug, lang): _shell(site_dir, form, lang)
            for slug, form in forms.items()
            for lang in LANGUAGES
        }
        self.thanks_shells = {
            (slug, lang): _thanks_shell(site_dir, form, lang)
            for slug, form in forms.items()
            for lang in LANGUAGES
        }

    def thank_you(self, form: Form, reference: str, acknowledgement: str, lang: str) -> str:
        """The form's thank-you page, saying this submission's reference and what became
        of the email saying we received it."""
        before, _, rest = self.thanks_shells[form.slug, lang].partition(thanks.START)
        _, _, after = rest.partition(thanks.END)
        return before + thanks.outcome_html(form, lang, reference, acknowledgement) + after

    def form_with_errors(
        self, form: Form, values: Mapping[str, object], errors: Mapping[str, str], lang: str
    ) -> str:
        return self._form_page(form, render.form_html(form, values, errors, lang), lang)

    def form_refused(
        self, form: Form, values: Mapping[str, object], title: str, message: str, lang: str
    ) -> str:
        """The form with the person's words kept and why it was not taken at its top,
        announced and focused as the summary of mistakes is."""
        notice = (
            f'<div class="vf-summary" id="vf-refused" tabindex="-1" role="alert"'
            f' aria-labelledby="vf-refused-title" autofocus>\n'
            f'<h2 id="vf-refused-title">{html.escape(title)}</h2>\n'
            f"<p>{html.escape(message)}</p>\n</div>\n"
        )
        return self._form_page(form, notice + render.form_html(form, values, None, lang), lang)

    def _form_page(self, form: Form, form_html: str, lang: str) -> str:
        """The form's page with this form in place of the built one, titled as an error."""
        before, _, rest = self.shells[form.slug, lang].partition(render.START)
        _, _, after = rest.partition(render.END)
        error = say(render.CHROME["error"], lang)
        page = before + form_html + after
        return _TITLE.sub(lambda m: f"<title>{error} {m[1]}</title>", page, count=1)

    def message(self, form: Form, title: str, message: str, lang: str) -> str:
        """A page with a heading, a sentence and a way back to the form it is about."""
        body = (
            f'<h1 id="{HEADING_ID}">{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n'
            f'<p><a href="{in_edition(form.page, lang)}">{say(BACK_TO_FORM, lang)}</a> · '
            f'<a href="{in_edition(SITE_ROOT, lang)}">{say(HOME, lang)}</a></p>'
        )
        page = _ARTICLE.sub(
            lambda m: f"{m[1]}\n{body}\n{m[2]}", self.shells[form.slug, lang], count=1
        )
        page = _SKIP.sub(rf"\g<1>#{HEADING_ID}\g<2>", page, count=1)
        page = _TOC.sub("", page)  # its links led to the form page's headings, gone here
        return _TITLE.sub(lambda m: f"<title>{html.escape(title)}</title>", page, count=1)
