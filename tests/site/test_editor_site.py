"""The web editor (/admin/) in the built site: pinned, offline, its own headers, hidden."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import httpx

from forms_service.web.headers import read_header_rules
from site_tools.admin import foreign_loads

from ..support import ROOT, Service, public_html


def policy_rules(rules: dict[str, dict[str, str]], path: str) -> list[str]:
    """The rules of `_headers` that give a path a CSP: exact paths, or a trailing splat."""
    return [
        rule
        for rule, headers in rules.items()
        if (rule == path or (rule.endswith("*") and path.startswith(rule.removesuffix("*"))))
        and "Content-Security-Policy" in headers
    ]


def test_the_editor_is_the_pinned_release_and_netlify_installs_it():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert "@sveltia/cms" in package["dependencies"]
    command = tomllib.loads((ROOT / "netlify.toml").read_text())["build"]["command"]
    assert command.startswith("npm ci ") and "mkdocs build --strict" in command


def test_the_built_editor_loads_nothing_from_another_host(site_dir: Path):
    admin = site_dir / "admin"
    scripts = sorted(admin.rglob("*.js"))
    assert admin / "sveltia-cms.js" in scripts
    for script in scripts:
        text = script.read_text(encoding="utf-8")
        assert foreign_loads(text) == [], script
        assert not re.search(r"//(cdn\.jsdelivr\.net|unpkg\.com|www\.githubstatus\.com)", text)
    # its fonts (the buttons' icons among them) are served from the site itself
    fonts = {f.name for f in (admin / "fonts").glob("*.woff2")}
    assert "material-symbols-outlined-latin-wght-normal.woff2" in fonts
    bundle = (admin / "sveltia-cms.js").read_text(encoding="utf-8")
    assert all(f"/admin/fonts/{font}" in bundle for font in fonts)
    assert not (admin / "sveltia-cms.js.map").exists()


def test_netlify_gives_the_editor_its_own_policy_and_no_other(site_dir: Path):
    rules = read_header_rules(site_dir)
    for path in ("/admin/", "/admin/index.html", "/admin/sveltia-cms.js"):
        assert policy_rules(rules, path) == ["/admin/*"], path
    admin = rules["/admin/*"]
    policy = admin["Content-Security-Policy"]
    assert "'unsafe-eval'" not in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert admin["Cache-Control"] == "no-store"
    assert admin["X-Robots-Tag"].startswith("noindex")
    # every public page still gets the site's policy, with its hashes, from one rule
    for page in public_html(site_dir):
        path = "/" + page.relative_to(site_dir).as_posix()
        policies = policy_rules(rules, path)
        assert len(policies) == 1, (path, policies)
        assert "'sha256-" in rules[policies[0]]["Content-Security-Policy"]


def test_make_run_serves_the_editor_under_its_policy_alone(site_dir: Path, site_service: Service):
    admin = read_header_rules(site_dir)["/admin/*"]
    response = httpx.get(site_service.url + "/admin/")
    assert response.status_code == 200 and "sveltia-cms.js" in response.text
    assert response.headers.get_list("content-security-policy") == [
        admin["Content-Security-Policy"]
    ]
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert response.headers["cross-origin-opener-policy"] == "same-origin-allow-popups"
    page = httpx.get(site_service.url + "/get-help/")
    assert len(page.headers.get_list("content-security-policy")) == 1
    assert "'sha256-" in page.headers["content-security-policy"]
    assert page.headers["cross-origin-opener-policy"] == "same-origin"


def test_no_visitor_finds_the_editor(site_dir: Path):
    """Not in the sitemap, the search indexes or any public page's links."""
    assert "/admin" not in (site_dir / "sitemap.xml").read_text(encoding="utf-8")
    for index in site_dir.rglob("search_index.json"):
        assert "admin/" not in index.read_text(encoding="utf-8"), index
    for page in public_html(site_dir):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'href="[^"]*admin/?(index\.html)?"', html), page
    robots = (site_dir / "robots.txt").read_text(encoding="utf-8")
    assert "Disallow: /admin/" not in robots  # naming it there would point it out
