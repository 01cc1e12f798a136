"""A box (admonition) without a title of its own, in the page's language.

Markdown titles a box written `!!! tip` (or `??? tip`, folded) with its type in English,
"Tip", whatever the page's language, and neither Python-Markdown nor pymdownx.details has
a setting for it. On a page of another edition, such a default title is replaced by the
edition's word for it (`DEFAULT_TITLES`); a title the editor wrote (`!!! tip "Un
consejo"`) is left as it is. A type without a word here keeps its English title, and the
editors' checks name it (site_tools/editor_checks.py).
"""

from __future__ import annotations

import re

# Material for MkDocs' types and their aliases, in Spanish.
DEFAULT_TITLES = {
    "es": {
        "note": "Nota",
        "abstract": "Resumen",
        "summary": "Resumen",
        "tldr": "Resumen",
        "info": "Información",
        "todo": "Pendiente",
        "tip": "Consejo",
        "hint": "Sugerencia",
        "important": "Importante",
        "success": "Listo",
        "check": "Listo",
        "done": "Hecho",
        "question": "Pregunta",
        "help": "Ayuda",
        "faq": "Preguntas frecuentes",
        "warning": "Atención",
        "caution": "Precaución",
        "attention": "Atención",
        "failure": "No funcionó",
        "fail": "No funcionó",
        "missing": "Falta",
        "danger": "Peligro",
        "error": "Error",
        "bug": "Error",
        "example": "Ejemplo",
        "quote": "Cita",
        "cite": "Cita",
    }
}

# A box as Python-Markdown writes it (<div class="admonition tip">, then its title) and a
# folded one as pymdownx.details does (<details class="tip">, then <summary>).
BOX_TITLE = re.compile(
    r'(<div class="admonition ([\w-]+)[^"]*">\s*<p class="admonition-title">)([^<]*)(</p>)'
    r'|(<details class="([\w-]+)[^"]*"(?: open="open")?>\s*<summary>)([^<]*)(</summary>)'
)


def default_title(kind: str) -> str:
    """The title Markdown gives a box of this type when it has none."""
    return kind.capitalize()


def translate_default_titles(html: str, lang: str) -> str:
    """Each box whose title is Markdown's English default, titled in `lang`."""
    words = DEFAULT_TITLES.get(lang)
    if not words or ("admonition-title" not in html and "<summary>" not in html):
        return html

    def title(m: re.Match[str]) -> str:
        start, kind, text, end = m.group(1, 2, 3, 4) if m[1] else m.group(5, 6, 7, 8)
        if text.strip() == default_title(kind) and kind in words:
            text = words[kind]
        return f"{start}{text}{end}"

    return BOX_TITLE.sub(title, html)
