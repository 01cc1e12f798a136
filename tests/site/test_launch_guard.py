"""The launch guard: stand-ins fail a production build on Netlify and only warn elsewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from site_tools.launch_guard import find_stand_ins, telling_titles

from ..support import ROOT, copy_of_the_site, replace_stand_ins



def build(root: Path, context: str | None, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CONTEXT"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    if context:
        env["CONTEXT"] = context
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_each_kind_of_stand_in_is_found_with_its_place(tmp_path: Path):
    (tmp_path / "page.md").write_text(
        "Write to [us](mailto:volunteer@example.org).\n"
        "Our [page](https://www.facebook.com/).\n"
        "Our real [page](https://www.facebook.com/TheMissionPage).\n"
        "[to confirm] We reply within a week.\n"
        "Nothing to see here.\n"
    )
    (tmp_path / "netlify.toml").write_text('to = "https://forms.example.org/api/:splat"\n')
    found = find_stand_ins(tmp_path, [tmp_path])
    assert [(s.path, s.line) for s in found] == [
        ("netlify.toml", 1),
        ("page.md", 1),
        ("page.md", 2),
        ("page.md", 4),
    ]
    assert "Facebook placeholder" in found[2].what and "to confirm" in found[3].what


def test_production_build_fails_with_the_list(tmp_path: Path):
    result = build(ROOT, "production", tmp_path / "site")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Launch guard:" in output and "must be replaced" in output
    for place in ("docs/contact.md:", "mkdocs.yml:5", "netlify.toml:", "docs/privacy.md:"):
        assert place in output, place
    assert "Facebook placeholder" in output and "a statement to confirm" in output
    assert not (tmp_path / "site" / "index.html").exists()


def test_preview_and_local_builds_list_stand_ins_and_go_on(tmp_path: Path):
    for context in ("deploy-preview", None):
        out = tmp_path / str(context)
        result = build(ROOT, context, out)
        assert result.returncode == 0, result.stderr
        assert "Launch guard: " in result.stderr and "stand-in(s) left" in result.stderr
        assert (out / "index.html").is_file()
        shown = (out / "privacy" / "index.html").read_text()
        assert '<mark class="to-confirm">To confirm:</mark>' in shown
        assert "[to confirm]" not in shown
        spanish = (out / "es" / "privacy" / "index.html").read_text()
        assert '<mark class="to-confirm">Por confirmar:</mark>' in spanish
        assert "[por confirmar]" not in spanish


def test_production_build_passes_once_every_stand_in_is_replaced(tmp_path: Path):
    root = copy_of_the_site(tmp_path / "repo")
    replace_stand_ins(root)
    result = build(root, "production", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Launch guard" not in result.stderr


def test_a_title_naming_trafficking_or_abuse_is_found_at_the_line_that_gives_it(tmp_path: Path):
    site, docs = tmp_path / "site", tmp_path / "docs"
    pages = {
        "healing": "Healing and self-worth - The Mission",
        "story": "Leaving sex trafficking behind - The Mission",
        "es/salir": "Salir de la trata - The Mission",
        "es/abuso": "Después del abuso - The Mission",
        "lost": "After exploitation - The Mission",
    }
    for path, title in pages.items():
        (site / path).mkdir(parents=True)
        (site / path / "index.html").write_text(f"<html><title>{title}</title></html>")
    docs.mkdir()
    (docs / "story.md").write_text(
        "---\ntitle: Leaving sex trafficking behind\n---\n\n# Leaving sex trafficking behind\n"
    )
    (docs / "abuso.md").write_text("# Después del abuso\n")
    (tmp_path / "mkdocs.es.yml").write_text("nav:\n  - Salir de la trata: salir.md\n")
    found = telling_titles(site, tmp_path, [docs, tmp_path / "mkdocs.es.yml"])
    assert [(s.path, s.line) for s in found] == [
        ("docs/abuso.md", 1),
        ("mkdocs.es.yml", 2),
        ("lost/index.html", 1),  # no source line gives it: the built page is named
        ("docs/story.md", 2),
    ]
    assert "'sex'" in found[3].what and "'abuso'" in found[0].what


def test_every_build_stops_on_a_telling_title_naming_its_file_and_line(tmp_path: Path):
    """Not only production's: a title is no stand-in, it is wrong on any build."""
    root = copy_of_the_site(tmp_path / "repo")
    page = root / "docs" / "es" / "how-we-work.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r"(?m)^title: .*$", "title: Contra la explotación", text, count=1))
    result = build(root, None, tmp_path / "site")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Page titles: 1 name trafficking, exploitation or abuse" in output
    assert "docs/es/how-we-work.md:2: a page title with the word 'explotación'" in output
