"""The editors' checks in real builds: listed by every build, a page of their own on a
deploy preview only, and a production build stopped by a page an editor broke."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
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


def test_what_breaks_a_page_comes_before_the_reminders_in_the_log_and_on_the_page(
    tmp_path: Path,
):
    """Today's site holds dozens of sentences to confirm: an editor's broken box, added
    at the end of a page, is listed before them, and they are folded page by page."""
    root = copy_of_the_site(tmp_path / "repo")
    safety = root / "docs" / "safety.md"
    safety.write_text(safety.read_text(encoding="utf-8") + "\n" + BROKEN_BOX, encoding="utf-8")
    result = build(root, "deploy-preview", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    start, guard = result.stderr.index("Editors' checks:"), result.stderr.index("Launch guard:")
    assert start < guard  # before the stand-ins' list
    log = result.stderr[start:guard]
    box, first_reminder = log.index("docs/safety.md, line"), log.index("Reminders (")
    assert log.index("Would break a page (1).") < box < first_reminder
    reminder_lines = [x[2:] for x in log[first_reminder:].splitlines() if x.startswith("  ")]
    with_markers = {
        p.relative_to(root).as_posix()
        for p in (root / "docs").rglob("*.md")
        if re.search(r"\[(?:to confirm|por confirmar)\]", p.read_text(encoding="utf-8"))
    }
    assert len(with_markers) > 5
    assert sorted(line.partition(", line")[0] for line in reminder_lines) == sorted(with_markers)
    page = (tmp_path / "site" / "editor-checks" / "index.html").read_text(encoding="utf-8")
    assert page.index("would publish empty") < page.index("<details>")
    assert page.count("<details>") == len(with_markers)


def test_other_builds_write_no_checks_page(site_dir: Path):
    assert not (site_dir / "editor-checks").exists()


def test_a_preview_with_a_broken_link_is_built_and_lists_it(tmp_path: Path):
    """Netlify's deploy-preview command is not strict: MkDocs' own warning for a missing
    page would otherwise stop the build, and the editor would have no preview to read."""
    root = broken_copy(tmp_path)
    safety = root / "docs" / "safety.md"
    safety.write_text(safety.read_text(encoding="utf-8") + "\n[Our team](team.md)\n")
    config = tomllib.loads((root / "netlify.toml").read_text(encoding="utf-8"))
    command = config["context"]["deploy-preview"]["command"].rpartition("&& ")[2]
    bin_dir = str(Path(sys.executable).parent)  # mkdocs, as Netlify's pip install puts it
    env = {**os.environ, "CONTEXT": "deploy-preview", "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    out = tmp_path / "site"
    result = subprocess.run(
        f"{command} --site-dir {shlex.quote(str(out))}",
        shell=True,  # noqa: S602 - the command as netlify.toml writes it
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    checks = (out / "editor-checks" / "index.html").read_text(encoding="utf-8")
    assert "docs/safety.md, line" in checks and "team.md" in checks
