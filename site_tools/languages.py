"""The editions linked to each other: the language link on every page, one sitemap with
each page's `hreflang` alternates, and the English site's own assets in every edition.

A page's counterpart is the page at the same address in the other edition's folder
(`/get-help/` <-> `/es/get-help/`), found among the built pages; where there is none
(the blog, the 404 page) the link leads to that edition's home. Material's own
selector (`extra.alternate`) only ever links each language's home, so it is not used.
The alternates are in the sitemap rather than in each page's `<head>`: Material's
script fetches a sitemap.xml beside every `<link rel="alternate">` it finds, which
would send requests to the public address from every page.
"""

from __future__ import annotations

import gzip
import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .project import Edition, Project

SWITCH_MARKER = "<!-- language-switch -->"
SITEMAP = "sitemap.xml"
_URL = re.compile(r"<url>.*?</url>", re.S)
_LOC = re.compile(r"<loc>([^<]*)</loc>")
_LASTMOD = re.compile(r"<lastmod>[^<]*</lastmod>")


@dataclass(frozen=True)
class Counterpart:
    edition: Edition
    where: str  # under the site's root: "es/safety/", or the edition's home "es/"
    same: bool  # the same page, not the edition's home


def counterparts(site: Path, project: Project, relative: str) -> list[Counterpart]:
    """One per edition for the built page at `relative` (its path under the site's root,
    "es/safety/index.html"): the same page where that edition has it, else its home."""
    own = project.edition_of(relative)
    rest = relative.removeprefix(own.path)
    address = rest.removesuffix("index.html") if rest.endswith("index.html") else None
    found = []
    for e in project.editions:
        same = address is not None and (site / e.path / rest).is_file()
        found.append(Counterpart(e, e.path + (address if same else ""), same))
    return found


def add_language_switch(page: str, site: Path, project: Project, relative: str) -> str:
    """The help bar's link to this page in each other language, written in that language."""
    if SWITCH_MARKER not in page:
        return page
    own = project.edition_of(relative)
    links = "".join(
        f' ·\n  <a class="language-switch" href="{html.escape(project.root_path + c.where)}"'
        f' hreflang="{c.edition.lang}" lang="{c.edition.lang}">{html.escape(c.edition.name)}</a>'
        for c in counterparts(site, project, relative)
        if c.edition != own
    )
    return page.replace(SWITCH_MARKER, links)


def merge_sitemaps(site: Path, project: Project) -> None:
    """One sitemap.xml for the whole site: every edition's pages, each with its
    alternates where another edition has it; the others' own sitemaps removed."""
    entries = []
    for e in project.editions:
        path = site / e.path / SITEMAP
        if path.is_file():
            entries += [_entry(u, site, project) for u in _URL.findall(path.read_text("utf-8"))]
            if e.path:
                path.unlink()
                path.with_name(SITEMAP + ".gz").unlink(missing_ok=True)
    if not entries:
        return
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(entries) + "\n</urlset>\n"
    )
    (site / SITEMAP).write_text(text, encoding="utf-8")
    (site / (SITEMAP + ".gz")).write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


def _entry(url: str, site: Path, project: Project) -> str:
    """One <url> with its address on the configured site and its alternates."""
    found = _LOC.search(url)
    if not found:
        return url
    path = urlsplit(html.unescape(found[1])).path
    relative = path.removeprefix(project.root_path)
    relative += "index.html" if relative.endswith("/") or not relative else ""
    same = [c for c in counterparts(site, project, relative) if c.same]
    lines = [
        f"    <loc>{html.escape(project.site_url + relative.removesuffix('index.html'))}</loc>"
    ]
    if lastmod := _LASTMOD.search(url):
        lines.append(f"    {lastmod[0]}")
    if len(same) > 1:
        pairs = [(c.edition.lang, c.where) for c in same] + [("x-default", same[0].where)]
        lines += [
            f'    <xhtml:link rel="alternate" hreflang="{lang}"'
            f' href="{html.escape(project.site_url + where)}"/>'
            for lang, where in pairs
        ]
    return "  <url>\n" + "\n".join(lines) + "\n  </url>"


def share_assets(site: Path, project: Project) -> None:
    """Every other edition serves the English site's own assets (styles, scripts, logo)
    from its folder, as its pages link them there: copied where missing."""
    english = project.editions[0]
    assets = english.docs_dir / "assets"
    for source in sorted(p for p in assets.rglob("*") if p.is_file()):
        built = site / source.relative_to(english.docs_dir)
        for e in project.editions[1:]:
            target = site / e.path / source.relative_to(english.docs_dir)
            if built.is_file() and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(built, target)
