"""The site's own steps, in order, on a site any engine has built (`site/`, the other
editions in their folders under it)."""

from __future__ import annotations

from pathlib import Path

from . import (
    admin,
    admonitions,
    editor_checks,
    headers,
    landmarks,
    languages,
    markers,
    related,
    translations,
)
from .launch_guard import mark_to_confirm_in_article
from .project import Project


def fill_in(html: str, lang: str) -> str:
    """What editors' markers ask for, in `lang`: the forms and the service's settings in
    words, untitled boxes titled in `lang`, and no line saying which English version a
    Spanish page matches. On a page's content before an engine indexes it for search
    (MkDocs' hook), or on the built page after (any engine)."""
    html = translations.drop_match_line(admonitions.translate_default_titles(html, lang))
    html = markers.place_forms(html, lang)
    html = markers.fill_email_details(html, lang)
    return markers.fill_service_settings(html, lang)


def finish_page(
    page: str, relative: str, site: Path, project: Project, posts: dict[str, related.Post]
) -> str:
    """One built page (at `relative` under the site's root) with every step applied;
    each step does nothing a second time, so finishing twice changes nothing."""
    edition = project.edition_of(relative)
    page = mark_to_confirm_in_article(fill_in(page, edition.lang))
    if post := posts.get(relative):
        page = related.add_related(page, post, list(posts.values()))
    page = languages.add_language_switch(page, site, project, relative)
    return landmarks.name_landmarks(page, edition.words)


def blog_posts(project: Project) -> dict[str, related.Post]:
    """The English blog's posts by the built file each is at ("blog/a-title/index.html")."""
    english = project.editions[0]
    blog = related.blog_dir(english.config)
    every = related.posts(english.docs_dir, blog) if blog else []
    return {p.url + "index.html": p for p in every}


def finish_site(site: Path, project: Project) -> None:
    """Every page finished, then what is made from all of them: the one sitemap, the
    editors' checks on a page of their own (deploy previews only), the web editor's
    files (raises admin.EditorMissing without them) and `_headers` (last: its hashes and
    rules are of the files as they are served)."""
    posts = blog_posts(project)
    languages.share_assets(site, project)
    for file in sorted(site.rglob("*.html")):
        relative = file.relative_to(site).as_posix()
        page = file.read_text(encoding="utf-8")
        finished = finish_page(page, relative, site, project, posts)
        if finished != page:
            file.write_text(finished, encoding="utf-8")
    languages.merge_sitemaps(site, project)
    if editor_checks.is_deploy_preview():
        editor_checks.write_page(site, editor_checks.check_project(project))
    admin.install(project.root, site)
    headers.write_headers(site)
