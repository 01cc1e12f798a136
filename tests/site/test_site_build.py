"""The built site as files: titles, descriptions, headers for Netlify, 404, sitemap, robots."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import httpx

from forms_service.web.headers import read_header_rules, read_headers_file
from site_tools.launch_guard import TELLING_WORDS

from ..support import ROOT, Service, public_html, site_paths


def pages(site_dir: Path) -> list[Path]:
    return public_html(site_dir)


def test_every_page_has_a_title_and_a_description(site_dir: Path):
    for page in pages(site_dir):
        html = page.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        description = re.search(r'<meta name="description" content="([^"]+)"', html)
        assert title and title[1].strip(), page
        assert description and len(description[1]) > 30, page


def test_no_title_names_trafficking_exploitation_or_abuse_while_headings_may(site_dir: Path):
    """The tab and the history show titles, and a watched device's history is read: every
    built page of both editions has a neutral title; the article's heading keeps its words."""
    titles = {
        page.relative_to(site_dir).as_posix(): re.search(r"<title>(.*?)</title>", html, re.S)[1]
        for page in pages(site_dir)
        for html in [page.read_text(encoding="utf-8")]
    }
    assert "es/index.html" in titles and "index.html" in titles
    telling = {p: t for p, t in titles.items() if TELLING_WORDS.search(t)}
    assert telling == {}
    article = (site_dir / "blog" / "reintegration-into-society" / "index.html").read_text()
    assert "<title>Reintegration into society - The Mission</title>" in article
    assert re.search(r"<h1[^>]*>Reintegration into society after escaping sex trafficking<", article)


def test_no_page_loads_anything_from_another_site(site_dir: Path):
    for page in pages(site_dir):
        html = page.read_text(encoding="utf-8")
        loaded = re.findall(
            r'<(?:script|img|link|iframe|source|video|audio)[^>]+(?:src|href)="([^"]+)"', html
        )
        foreign = [u for u in loaded if re.match(r"^(https?:)?//", u)]
        # a canonical link names the public address but loads nothing
        foreign = [
            u for u in foreign if not re.search(r'rel="canonical"[^>]*' + re.escape(u), html)
        ]
        assert foreign == [], page
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_headers_file_for_netlify(site_dir: Path):
    headers = read_headers_file(site_dir)
    assert headers is not None
    csp = dict(
        (d.split(" ")[0], d.split(" ")[1:]) for d in headers["Content-Security-Policy"].split("; ")
    )
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert any(s.startswith("'sha256-") for s in csp["script-src"])
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]


def test_make_run_serves_the_same_headers(site_dir: Path, site_service: Service):
    expected = read_headers_file(site_dir)
    response = httpx.get(site_service.url + "/reintegration/")
    for name, value in expected.items():
        assert response.headers[name] == value


def test_make_run_does_not_serve_netlifys_control_files(site_dir: Path, site_service: Service):
    """Netlify reads _headers and _redirects as rules and never serves them: nor do we."""
    assert (site_dir / "_headers").is_file()
    for method in ("GET", "HEAD"):
        response = httpx.request(method, site_service.url + "/_headers")
        assert response.status_code == 404
        assert "Content-Security-Policy:" not in response.text
    assert "We cannot find that page" in httpx.get(site_service.url + "/_headers").text


def test_make_run_does_not_serve_a_redirects_file_either(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>Home</h1>", encoding="utf-8")
    (site / "_redirects").write_text("/old /new 301\n", encoding="utf-8")
    service = Service(tmp_path, site, None).start()
    try:
        assert httpx.get(service.url + "/").status_code == 200
        response = httpx.get(service.url + "/_redirects")
        assert response.status_code == 404 and "/old /new" not in response.text
    finally:
        service.stop()


class NavNames(HTMLParser):
    """Each navigation landmark's accessible name as a browser computes it: the text (or
    aria-label) of what aria-labelledby points to, else its aria-label."""

    VOID = frozenset({"br", "img", "input", "link", "meta", "hr", "source", "path"})

    def __init__(self, page: str) -> None:
        super().__init__()
        self.navs: list[dict[str, str]] = []
        self.labels: dict[str, str] = {}  # id -> aria-label or text
        self.open: list[tuple[str, str, list[str]]] = []  # tag, id, text so far
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "nav" or a.get("role") == "navigation":
            self.navs.append(a)
        if tag in self.VOID:
            return
        if a.get("aria-label"):
            self.labels[a.get("id", "")] = a["aria-label"]
        self.open.append((tag, a.get("id", "") if "aria-label" not in a else "", []))

    def handle_endtag(self, tag: str) -> None:
        if all(open_tag != tag for open_tag, _, _ in self.open):
            return  # a void element's, or a stray one
        while self.open:
            open_tag, element_id, text = self.open.pop()
            if element_id:
                self.labels[element_id] = " ".join("".join(text).split())
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        for _, _, text in self.open:
            text.append(data)

    def names(self) -> list[str]:
        def name(a: dict[str, str]) -> str:
            by = " ".join(self.labels.get(i, "") for i in a.get("aria-labelledby", "").split())
            return by.strip() or a.get("aria-label", "").strip()

        return [name(a) for a in self.navs]


def test_every_navigation_landmark_has_a_name_of_its_own_in_both_languages(site_dir: Path):
    """Screen readers list landmarks by name (axe's landmark-unique): Material's menu,
    tables of contents, sections and blog lists, on every page of both editions."""
    problems = {}
    for page in pages(site_dir):
        names = NavNames(page.read_text(encoding="utf-8")).names()
        twice = sorted(name for name, n in Counter(names).items() if n > 1)
        if twice or "" in names:
            problems[page.relative_to(site_dir).as_posix()] = twice or names
    assert problems == {}
    spanish = NavNames((site_dir / "es" / "privacy" / "index.html").read_text("utf-8")).names()
    english = NavNames((site_dir / "privacy" / "index.html").read_text("utf-8")).names()
    assert "Tabla de contenidos, en el menú" in spanish and "Reintegración" in spanish
    assert "Table of contents, in the menu" in english and "Reintegration" in english
    # Material's script finds a section's list by its aria-labelledby: the label is named
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    label = re.search(r'<label aria-label="Reintegration"[^>]* id="(__nav_\d+_label)"', home)
    assert label and re.search(f'<nav [^>]*aria-labelledby="{label[1]}"', home)


def test_netlify_keeps_no_page_and_no_search_index_in_the_browser(site_dir: Path):
    """Every public page the build wrote, at both its addresses, and the search index:
    no-store (the editor's rule says it for /admin/). Material's assets are left to
    Netlify's default caching."""
    rules = read_header_rules(site_dir)
    no_store = {path for path, rule in rules.items() if rule.get("Cache-Control") == "no-store"}
    built = set(site_paths(site_dir)) | {
        "/" + p.relative_to(site_dir).as_posix() for p in public_html(site_dir)
    }
    assert "/404.html" in built and "/safety/index.html" in built
    indexes = {"/search/search_index.json", "/es/search/search_index.json"}  # one per edition
    assert built | indexes | {"/admin/*"} == no_store
    assert "Cache-Control" not in rules["/*"]


def test_make_run_keeps_no_page_in_the_browser_but_lets_assets_be_cached(
    site_dir: Path, site_service: Service
):
    stored = []
    for path in [*site_paths(site_dir), "/search/search_index.json", "/no-such-page/"]:
        if httpx.get(site_service.url + path).headers.get("cache-control") != "no-store":
            stored.append(path)
    assert stored == []
    bundle = next((site_dir / "assets" / "javascripts").glob("bundle.*.min.js"))
    asset = httpx.get(f"{site_service.url}/assets/javascripts/{bundle.name}")
    assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")


def test_custom_404_sitemap_and_robots(site_dir: Path, site_service: Service):
    missing = httpx.get(site_service.url + "/no-such-page/")
    assert missing.status_code == 404
    assert "We cannot find that page" in missing.text and "Exit this page" in missing.text
    sitemap = (site_dir / "sitemap.xml").read_text()
    assert "/reintegration/healing/" in sitemap and "/volunteer/" in sitemap
    robots = (site_dir / "robots.txt").read_text()
    assert "Sitemap:" in robots and "Disallow: /api/" in robots


def test_the_organisations_article_is_the_first_blog_post_with_related_posts(site_dir: Path):
    post = site_dir / "blog" / "reintegration-into-society"
    html = (post / "index.html").read_text()
    assert "Related posts" in html
    assert html.count('<li><a href="../') >= 1


def test_netlify_builds_strictly_and_publishes_the_site():
    config = tomllib.loads((ROOT / "netlify.toml").read_text())
    assert "mkdocs build --strict" in config["build"]["command"]
    assert config["build"]["publish"] == "site"
    assert config["build"]["environment"]["PYTHON_VERSION"].startswith("3.1")
    proxy = next(r for r in config["redirects"] if r["from"] == "/api/*")
    assert proxy["status"] == 200 and proxy["signed"] == "FORMS_PROXY_SECRET"


def test_hotline_numbers_are_right_wherever_they_appear():
    for source in [*(ROOT / "docs").rglob("*.md"), ROOT / "mkdocs.yml"]:
        text = source.read_text(encoding="utf-8")
        for number in re.findall(r"1-8\d\d-\d{3}-\d{4}", text):
            assert number == "1-888-373-7888", source
        for href in re.findall(r"tel:\+?1?8\d{9}", text):
            assert href.endswith("8883737888"), source
