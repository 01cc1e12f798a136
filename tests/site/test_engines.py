"""The site built by a second engine, Zensical (pinned in pyproject.toml's test extra),
then finished by the same `python -m site_tools finish`, beside the MkDocs build.

Material for MkDocs is in maintenance and MkDocs 2 drops hooks, so this keeps the
distance to a switch known: what a person needs is the same under both (pages, forms,
headers, help bar and exit, both languages), and what still differs is listed in
EXPECTED_DIFFERENCES with its reason. A difference that appears, or goes away, fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from forms_service.forms.definitions import FORMS
from forms_service.settings import Settings
from forms_service.web.headers import NO_STORE, read_header_rules
from site_tools.languages import SWITCH_MARKER
from site_tools.markers import EMAIL_DETAILS_MARKER, words

from ..support import copy_of_the_site, public_html, site_paths

ENGINES = ("mkdocs", "zensical")
EXPECTED_DIFFERENCES = {
    "search index": "Zensical writes its own index, search.json ({'items': ...}), where "
    "Material writes search/search_index.json; each gets its no-store rule",
    "search index words": "Zensical runs no hook, so it indexes each page before the "
    "finishing step fills in the days, the forms and the marks (its snippets read 'deleted "
    "automatically days after'); MkDocs fills them in through its hook first",
    "search box": "each engine's own search (partials/search.html picks by the plugin's "
    "name): Material's form in the header, Zensical's button opening its own dialog; both "
    "dialogs named, and both find pages, store nothing and keep the words out of the address "
    "(Zensical's tried in Chromium, not yet in the browser tests)",
    "interface words": "the theme's own words differ: Zensical names the table of contents "
    "'On this page' (Material 'Table of contents') and the Spanish footer 'Pie' (Material "
    "'Pie de página'); our steps tell both apart in the menu all the same",
    "blog list pagination": "Material writes an empty 'Pages of posts' navigation on a blog "
    "list of one page, Zensical writes none",
}
"""Each difference the comparison finds between the two finished sites, and why."""
MARKERS = [
    *(f"<!-- {slug}-form -->" for slug in FORMS),
    EMAIL_DETAILS_MARKER,
    *words("en"),
    SWITCH_MARKER,
]
"""Every marker the site's steps fill in: none may be left on a page."""


def run(root: Path, *command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONTEXT"}
    subprocess.run([sys.executable, "-m", *command], cwd=root, env=env, check=True)


@pytest.fixture(scope="module")
def zensical_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project built by Zensical, each edition from its own complete
    configuration, then finished (Zensical keeps the site inside the project)."""
    root = copy_of_the_site(tmp_path_factory.mktemp("zensical") / "repo")
    run(root, "site_tools", "editions")
    run(root, "zensical", "build", "--config-file", "mkdocs.yml")
    run(root, "zensical", "build", "--config-file", "mkdocs.es.full.yml")
    run(root, "site_tools", "finish", "site")
    return root / "site"


@pytest.fixture(params=ENGINES)
def built(request: pytest.FixtureRequest, site_dir: Path) -> Path:
    """The finished site of each engine in turn."""
    return site_dir if request.param == "mkdocs" else request.getfixturevalue("zensical_site")


def read(site: Path, path: str) -> str:
    return (site / path.strip("/") / "index.html").read_text(encoding="utf-8")


def test_both_engines_give_the_same_pages_in_both_languages(site_dir: Path, zensical_site: Path):
    pages = site_paths(site_dir)
    assert site_paths(zensical_site) == pages
    assert "/es/volunteer/" in pages and "/blog/" in pages


@pytest.mark.parametrize("path", ["/volunteer/", "/contact/", "/es/volunteer/", "/es/contact/"])
def test_each_form_is_on_its_page_in_its_language(built: Path, path: str):
    slug = path.strip("/").split("/")[-1]
    page = read(built, path)
    action = f"/api/forms/{slug}" + ("?lang=es" if path.startswith("/es/") else "")
    assert re.search(rf'<form class="vf" id="{slug}-form"[^>]* action="{re.escape(action)}"', page)


def test_every_page_has_the_csp_and_a_no_store_rule(built: Path):
    rules = read_header_rules(built)
    csp = rules["/"]["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "'unsafe-inline'" not in csp
    for path in site_paths(built):
        if not path.startswith("/admin/"):
            assert NO_STORE.items() <= rules.get(path, {}).items(), path


def test_every_page_has_the_help_bar_the_exit_and_the_other_language(built: Path):
    for page in public_html(built):
        text = page.read_text(encoding="utf-8")
        assert '<section class="help-bar" aria-label=' in text, page
        assert 'id="quick-exit"' in text and "data-quick-exit" in text, page
        assert text.count('class="language-switch"') == 1, page


def test_no_marker_is_left_on_any_page(built: Path):
    for page in public_html(built):
        text = page.read_text(encoding="utf-8")
        assert [m for m in MARKERS if m in text] == [], page
        article = text.partition("<article")[2].partition("</article>")[0]
        assert not re.search(r"\[(?:to confirm|por confirmar)\]", article, re.I), page


def each_page(pattern: str) -> Callable[[Path], dict[str, list[str]]]:
    """What `pattern` finds on each public page of a site, by the page's path."""

    def found(site: Path) -> dict[str, list[str]]:
        return {
            p.relative_to(site).as_posix(): re.findall(pattern, p.read_text(encoding="utf-8"))
            for p in public_html(site)
        }

    return found


landmarks = each_page(r'<nav[^>]*aria-label="([^"]*)"')


def names_without(site: Path, *dropped: str) -> dict[str, list[str]]:
    """Each page's landmark names, those named `dropped` left out."""
    return {page: [n for n in names if n not in dropped] for page, names in landmarks(site).items()}


def named_apart(site: Path) -> dict[str, bool]:
    """Whether every navigation landmark of each page has a name, and one of its own."""
    return {
        page: "" not in names and len(set(names)) == len(names)
        for page, names in landmarks(site).items()
    }


def search_indexes(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*search*.json"))


def indexed_words(site: Path) -> dict[str, bool]:
    """Whether the search indexes hold what the site's steps fill in, as the pages show
    it: the days a form is kept, the forms' words, the statements to confirm marked."""
    text = " ".join(" ".join(p.read_text("utf-8").split()) for p in site.rglob("*search*.json"))
    days = f"automatically {Settings().retention_days} days"
    return {"days": days in text, "form": "Tu nombre" in text, "marks": "To confirm:" in text}


def sitemap(site: Path) -> dict[str, list[tuple[str, str]]]:
    """Each address in the sitemap with its hreflang pairs (the order of the addresses
    is each engine's own)."""
    text = (site / "sitemap.xml").read_text(encoding="utf-8")
    pair = re.compile(r'<xhtml:link rel="alternate" hreflang="([\w-]+)" href="([^"]+)"/>')
    return {
        re.search(r"<loc>([^<]+)</loc>", url)[1]: pair.findall(url)
        for url in re.findall(r"<url>.*?</url>", text, re.S)
    }


COMPARISONS: dict[str, Callable[[Path], object]] = {
    "search index": search_indexes,
    "search index words": indexed_words,
    # the search box's options ("Search", "Buscar") are Material's form: see "search box"
    "interface words": lambda site: names_without(site, "Pages of posts", "Search", "Buscar"),
    "landmarks named apart": named_apart,
    "blog list pagination": lambda site: {
        page: "Pages of posts" in names for page, names in landmarks(site).items()
    },
    "page titles": each_page(r"<title>(.*?)</title>"),
    "languages": each_page(r'<html lang="(\w+)"'),
    "language links": each_page(r'class="language-switch" href="([^"]*)"'),
    "help bar and exit": each_page(r'class="help-bar" aria-label="([^"]*)"|id="(quick-exit)"'),
    "search box": each_page(r'role="dialog" aria-label="([^"]+)"|class="(md-search__\w+)"'),
    "forms": each_page(r'<form class="vf" id="([\w-]+)"[^>]* action="([^"]*)"'),
    "sitemap with hreflang pairs": sitemap,
    "files": lambda site: sorted(
        p.relative_to(site).as_posix()
        for p in site.rglob("*")
        if p.is_file()
        and "assets" not in p.parts
        and p.name not in ("search_index.json", "search.json")
    ),
}
"""What a person would notice differing between the two finished sites."""


def test_what_differs_between_the_engines_is_known(site_dir: Path, zensical_site: Path):
    differ = {name for name, seen in COMPARISONS.items() if seen(site_dir) != seen(zensical_site)}
    assert differ == set(EXPECTED_DIFFERENCES), {
        "new": differ - set(EXPECTED_DIFFERENCES),
        "gone": set(EXPECTED_DIFFERENCES) - differ,
    }
