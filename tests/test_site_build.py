"""The built site as files: titles, descriptions, headers for Netlify, 404, sitemap, robots."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import httpx

from forms_service.headers import read_header_rules, read_headers_file

from .support import ROOT, Service, site_paths


def pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("*.html"))


def test_every_page_has_a_title_and_a_description(site_dir: Path):
    for page in pages(site_dir):
        html = page.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html, re.S)
        description = re.search(r'<meta name="description" content="([^"]+)"', html)
        assert title and title[1].strip(), page
        assert description and len(description[1]) > 30, page


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


def test_netlify_keeps_no_page_and_no_search_index_in_the_browser(site_dir: Path):
    """Every page the build wrote, at both its addresses, and the search index: no-store.
    Material's assets are left to Netlify's default caching."""
    rules = read_header_rules(site_dir)
    no_store = {path for path, rule in rules.items() if rule.get("Cache-Control") == "no-store"}
    built = set(site_paths(site_dir)) | {
        "/" + p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")
    }
    assert "/404.html" in built and "/safety/index.html" in built
    indexes = {"/search/search_index.json", "/es/search/search_index.json"}  # one per edition
    assert built | indexes == no_store
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
    post = site_dir / "blog" / "reintegration-into-society-after-escaping-sex-trafficking"
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
