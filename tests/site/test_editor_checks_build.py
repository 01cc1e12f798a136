"""The editors' checks in real builds: listed by every build, a page of their own on a
deploy preview only, and a production build stopped by a page an editor broke."""

from __future__ import annotations

from pathlib import Path

from ..support import copy_of_the_site, replace_stand_ins
from .test_launch_guard import build

BROKEN_BOX = '!!! warning "Before you go"\n\nThis line was meant to be inside the box.\n'


def broken_copy(tmp_path: Path) -> Path:
    """A launch-ready copy of the site whose Browsing safely page has an empty box."""
    root = copy_of_the_site(tmp_path / "repo")
    replace_stand_ins(root)
    safety = root / "docs" / "safety.md"
    safety.write_text(safety.read_text(encoding="utf-8") + "\n" + BROKEN_BOX, encoding="utf-8")
    return root


def test_production_stops_on_a_page_an_editor_broke_naming_file_and_line(tmp_path: Path):
    root = broken_copy(tmp_path)
    line = (root / "docs" / "safety.md").read_text(encoding="utf-8").splitlines().index(
        BROKEN_BOX.splitlines()[0]
    ) + 1
    result = build(root, "production", tmp_path / "site")
    assert result.returncode != 0
    assert f"docs/safety.md, line {line}: the box starting here has no indented text" in (
        result.stdout + result.stderr
    )
    assert not (tmp_path / "site" / "index.html").exists()


def test_a_deploy_preview_shows_the_checks_on_a_page_of_their_own(tmp_path: Path):
    root = broken_copy(tmp_path)
    result = build(root, "deploy-preview", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert "Editors' checks" in result.stderr
    checks = (tmp_path / "site" / "editor-checks" / "index.html").read_text(encoding="utf-8")
    assert "docs/safety.md, line" in checks and "would publish empty" in checks
    assert "Indent the lines that belong in the box by four spaces." in checks
    assert 'content="noindex' in checks
    assert "editor-checks" not in (tmp_path / "site" / "sitemap.xml").read_text(encoding="utf-8")


def test_other_builds_write_no_checks_page(site_dir: Path):
    assert not (site_dir / "editor-checks").exists()
