"""The site's own steps (site_tools) on a small project and small built pages, in this
process: what each step does to a page a person reads, and that finishing twice
changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from forms_service.web.headers import NO_STORE, read_header_rules
from site_tools.__main__ import main
from site_tools.finish import blog_posts, finish_page, finish_site
from site_tools.launch_guard import LaunchBlocked, check, check_titles
from site_tools.project import Project, load, write_configs

ENGLISH = {
    "site_name": "T",
    "site_url": "https://example.test/",
    "theme": {"name": "material", "language": "en", "features": ["search.suggest"]},
    "extra": {
        "words": {"nav_in_menu": "in the menu", "nav_pages": "Pages", "nav_post": "About"},
        "hotline": {"call": "1-888-373-7888", "name": "Hotline"},
        "editions": [
            {"lang": "en", "name": "English", "path": "", "config": "mkdocs.yml"},
            {"lang": "es", "name": "Español", "path": "es/", "config": "mkdocs.es.yml"},
        ],
    },
    "plugins": ["search", {"blog": {"blog_dir": "blog"}}],
    "exclude_docs": "/es/\n",
    "nav": [{"Home": "index.md"}, {"Safety": "safety.md"}, {"Blog": ["blog/index.md"]}],
}
SPANISH = {
    "docs_dir": "docs/es",
    "theme": {"language": "es"},
    "extra": {
        "words": {"nav_in_menu": "en el menú", "nav_pages": "Páginas", "nav_post": "Sobre"},
        "hotline": {"name": "Línea"},
    },
    "plugins": [{"search": {"lang": "es"}}],
    "exclude_docs": "",
    "hooks": [],
    "nav": [{"Inicio": "index.md"}, {"Seguridad": "safety.md"}],
}
POSTS = {
    "old.md": ("2026-01-15", "An old post", ["Reintegration"]),
    "work.md": ("2026-05-20", "Finding good work", ["Reintegration"]),
    "help.md": ("2026-03-02", "How to help", ["Volunteering", "Reintegration"]),
    "alone.md": ("2026-04-01", "Alone", ["News"]),
}
SCRIPT = "<script>var x=1</script>"


def page(title: str, body: str = "", lang: str = "en") -> str:
    """A built page as the theme writes one: help bar with its language marker, the
    menu's table of contents and the one beside the article, the article."""
    return (
        f'<!doctype html><html lang="{lang}"><head><title>{title} - T</title>{SCRIPT}</head>'
        '<body><section class="help-bar" aria-label="Help">'
        '<a href="safety/">Safety</a><!-- language-switch --></section>'
        '<nav class="md-nav md-nav--primary" aria-label="Navigation">'
        '<nav class="md-nav md-nav--secondary" aria-label="Table of contents"></nav></nav>'
        '<nav class="md-nav md-nav--secondary" aria-label="Table of contents"></nav>'
        f'<article class="md-content__inner">{body}</article></body></html>\n'
    )


def sitemap(*addresses: str) -> str:
    urls = "".join(f"<url><loc>{a}</loc><lastmod>2026-12-03</lastmod></url>" for a in addresses)
    return f'<?xml version="1.0"?><urlset xmlns="x">{urls}</urlset>'


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A small project: both editions' files, blog posts, the English assets and the
    web editor as npm leaves it."""
    root = tmp_path / "project"
    write(root / "mkdocs.yml", yaml.safe_dump(ENGLISH, allow_unicode=True))
    write(root / "mkdocs.es.yml", yaml.safe_dump(SPANISH, allow_unicode=True))
    write(root / "netlify.toml", "[build]\n")
    write(root / "overrides" / "main.html", "{% extends 'base.html' %}\n")
    for name, (date, title, categories) in POSTS.items():
        meta = yaml.safe_dump({"date": date, "title": title, "categories": categories})
        write(root / "docs" / "blog" / "posts" / name, f"---\n{meta}---\n\n# {title}\n")
    write(root / "docs" / "assets" / "site.css", "body{}\n")
    write(root / "node_modules" / "@sveltia" / "cms" / "dist" / "sveltia-cms.js", "cms()\n")
    return root


@pytest.fixture
def site(root: Path) -> Path:
    """The project as an engine built it: English pages, Spanish ones under es/, each
    edition's sitemap and search index."""
    site = root / "site"
    pages = {
        "index.html": page("Home", "<p>Welcome.</p>"),
        "safety/index.html": page("Safety", "<p>[to confirm] We delete it.</p>"),
        "volunteer/index.html": page("Volunteer", "<!-- volunteer-form -->"),
        "privacy/index.html": page(
            "Privacy", "<ul><li><!-- email-details --></li></ul><strong><!-- retention-days -->"
        ),
        "blog/index.html": page("Blog"),
        "404.html": page("Not found"),
        "es/index.html": page("Inicio", "<p>Hola.</p>", "es"),
        "es/safety/index.html": page("Seguridad", "<p>[por confirmar] Lo borramos.</p>", "es"),
        "es/volunteer/index.html": page("Voluntariado", "<!-- volunteer-form -->", "es"),
        "es/404.html": page("No encontrada", lang="es"),
    }
    for slug in ("an-old-post", "finding-good-work", "how-to-help", "alone"):
        pages[f"blog/{slug}/index.html"] = page(slug)
    for name, text in pages.items():
        write(site / name, text)
    write(site / "assets" / "site.css", "body{}\n")
    write(site / "search" / "search_index.json", "{}")
    write(site / "es" / "search" / "search_index.json", "{}")
    english = ("", "safety/", "volunteer/", "blog/", "blog/how-to-help/")
    write(site / "sitemap.xml", sitemap(*(f"https://example.test/{p}" for p in english)))
    spanish = ("es/", "es/safety/", "es/volunteer/")
    write(site / "es" / "sitemap.xml", sitemap(*(f"https://example.test/{p}" for p in spanish)))
    return site


@pytest.fixture
def project(root: Path) -> Project:
    return load(root)


def finished(site: Path, project: Project, relative: str) -> str:
    page = (site / relative).read_text(encoding="utf-8")
    return finish_page(page, relative, site, project, blog_posts(project))


def test_the_spanish_edition_is_the_english_configuration_with_its_own_differences(
    project: Project,
):
    """Its menu replaces the English one (no engine's INHERIT doubling it), its words
    replace the English ones key by key, and what it does not name is the English."""
    english, spanish = project.editions
    assert spanish.config["nav"] == SPANISH["nav"]
    assert spanish.config["extra"]["hotline"] == {"call": "1-888-373-7888", "name": "Línea"}
    assert spanish.words["nav_pages"] == "Páginas" and english.words["nav_pages"] == "Pages"
    assert spanish.config["theme"]["features"] == ["search.suggest"]
    assert spanish.config["site_url"] == "https://example.test/es/"
    assert spanish.config["site_dir"] == "site/es/"
    assert spanish.docs_dir == project.root / "docs" / "es"


def test_the_complete_configuration_is_written_once_and_says_where_to_edit(project: Project):
    assert write_configs(project) == [project.root / "mkdocs.es.full.yml"]
    text = (project.root / "mkdocs.es.full.yml").read_text(encoding="utf-8")
    assert "edit those, never this file" in text and "Seguridad" in text
    assert yaml.safe_load(text)["nav"] == SPANISH["nav"]
    assert write_configs(project) == []  # in step: nothing rewritten


def test_each_form_is_placed_in_the_language_of_its_page(site: Path, project: Project):
    english = finished(site, project, "volunteer/index.html")
    spanish = finished(site, project, "es/volunteer/index.html")
    assert 'action="/api/forms/volunteer"' in english and "Your name" in english
    assert 'action="/api/forms/volunteer?lang=es"' in spanish and "Tu nombre" in spanish
    assert "<!-- volunteer-form -->" not in english + spanish


def test_the_privacy_page_says_what_the_service_is_set_to(
    site: Path, project: Project, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("FORMS_EMAIL_DETAILS", "full")
    monkeypatch.setenv("FORMS_RETENTION_DAYS", "45")
    privacy = finished(site, project, "privacy/index.html")
    assert "as you typed it, by email" in privacy and "<strong>45" in privacy
    assert "<!--" not in privacy.partition("<article")[2]


def test_statements_to_confirm_are_highlighted_in_the_article_only(site: Path, project: Project):
    english = finished(site, project, "safety/index.html")
    spanish = finished(site, project, "es/safety/index.html")
    assert '<mark class="to-confirm">To confirm:</mark> We delete it.' in english
    assert '<mark class="to-confirm">Por confirmar:</mark> Lo borramos.' in spanish
    title = "<title>[to confirm] x - T</title>"
    assert title in finished_text(site, project, page("[to confirm] x", "<p>[to confirm]</p>"))


def finished_text(site: Path, project: Project, text: str) -> str:
    write(site / "other" / "index.html", text)
    return finished(site, project, "other/index.html")


def test_the_language_link_leads_to_the_same_page_or_the_other_home(site: Path, project: Project):
    def link(relative: str) -> str:
        text = finished(site, project, relative)
        return text.partition('class="language-switch" href="')[2].partition('"')[0]

    assert link("safety/index.html") == "/es/safety/"
    assert link("es/safety/index.html") == "/safety/"
    assert link("blog/index.html") == "/es/"  # no Spanish blog
    assert link("404.html") == "/es/" and link("es/404.html") == "/"
    assert 'hreflang="es" lang="es">Español</a>' in finished(site, project, "index.html")


def test_a_post_lists_those_sharing_a_category_newest_first(site: Path, project: Project):
    post = finished(site, project, "blog/how-to-help/index.html")
    related = post.partition('<aside class="related-posts"')[2].partition("</aside>")[0]
    assert related.index("Finding good work") < related.index("An old post")
    assert 'href="../finding-good-work/"' in related
    assert "How to help" not in related and "Alone" not in related
    assert related.endswith("</ul>\n") and post.index("</aside>") < post.index("</article>")
    assert 'class="related-posts"' not in finished(site, project, "blog/alone/index.html")


def test_every_navigation_landmark_is_named_apart_in_its_language(site: Path, project: Project):
    english = finished(site, project, "index.html")
    spanish = finished(site, project, "es/index.html")
    assert 'aria-label="Table of contents, in the menu"' in english
    assert 'aria-label="Table of contents, en el menú"' in spanish


def test_the_finished_site_has_one_sitemap_with_hreflang_pairs(site: Path, project: Project):
    finish_site(site, project)
    text = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert not (site / "es" / "sitemap.xml").exists() and (site / "sitemap.xml.gz").is_file()
    safety = text.partition("<loc>https://example.test/safety/</loc>")[2].partition("</url>")[0]
    assert 'hreflang="es" href="https://example.test/es/safety/"' in safety
    assert 'hreflang="x-default" href="https://example.test/safety/"' in safety
    assert "<lastmod>2026-12-03</lastmod>" in safety
    blog = text.partition("<loc>https://example.test/blog/</loc>")[2].partition("</url>")[0]
    assert "hreflang" not in blog  # English only
    assert "<loc>https://example.test/es/safety/</loc>" in text


def test_the_headers_allow_the_inline_scripts_and_keep_no_page(site: Path, project: Project):
    finish_site(site, project)
    rules = read_header_rules(site)
    assert "'sha256-" in rules["/"]["Content-Security-Policy"]
    for path in (
        "/",
        "/es/safety/",
        "/es/404.html",
        "/blog/how-to-help/",
        "/search/search_index.json",
    ):
        assert NO_STORE.items() <= rules[path].items(), path
    assert (site / "es" / "assets" / "site.css").is_file()  # the English assets, shared
    assert (site / "admin" / "sveltia-cms.js").read_text() == "cms()\n"


def test_finishing_twice_changes_nothing(site: Path, project: Project):
    finish_site(site, project)
    first = {p: p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}
    finish_site(site, project)
    assert {p: p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()} == first


def test_a_production_build_with_stand_ins_stops_and_finishes_nothing(
    site: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    write(root / "docs" / "safety.md", "# Safety\n\n[to confirm] We delete it.\n")
    before = (site / "volunteer" / "index.html").read_text(encoding="utf-8")
    monkeypatch.setenv("CONTEXT", "production")
    assert main(["--root", str(root), "finish", str(site)]) == 1
    error = capsys.readouterr().err
    assert "must be replaced" in error and "docs/safety.md:3: a statement to confirm" in error
    assert "mkdocs.yml" not in error  # example.test is no stand-in
    assert (site / "volunteer" / "index.html").read_text(encoding="utf-8") == before
    assert not (site / "_headers").exists()


def test_the_launch_guard_lists_stand_ins_and_blocks_them_in_production(
    root: Path, monkeypatch: pytest.MonkeyPatch
):
    write(root / "docs" / "es" / "contact.md", "[por confirmar] Escríbenos a a@example.org\n")
    project = load(root)
    monkeypatch.delenv("CONTEXT", raising=False)
    listed = check(project)
    assert "docs/es/contact.md:1: an example.org address" in listed
    assert listed.count("docs/es/contact.md:1") == 1  # listed once per kind, not per folder
    assert "docs/es/contact.md: 1 statement(s) to confirm (line 1)" in listed
    monkeypatch.setenv("CONTEXT", "production")
    with pytest.raises(LaunchBlocked, match="must be replaced"):
        check(project)


def test_a_telling_title_stops_any_build_at_the_line_that_gives_it(site: Path, root: Path):
    write(root / "docs" / "es" / "story.md", "# Salir de la trata\n")
    write(site / "es" / "story" / "index.html", page("Salir de la trata", lang="es"))
    with pytest.raises(LaunchBlocked, match=r"docs/es/story.md:1: a page title with the word"):
        check_titles(site, load(root))
