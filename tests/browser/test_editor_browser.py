"""The web editor (/admin/) in Chromium, served as `make run` serves it.

Its local-repository mode edits files in a folder the browser is given. Headless
Chromium cannot answer the folder picker, so the page is handed its origin-private
file system (`navigator.storage.getDirectory()`) in place of `showDirectoryPicker`,
seeded with a copy of docs/ and the two MkDocs configurations; what the editor saved
is read back from there, byte for byte.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from ..chromium import Guarded, csp_violations, new_guarded
from ..support import ROOT, Service, copy_of_the_site, wait_until

pytestmark = pytest.mark.browser

SOURCES = ["mkdocs.yml", "mkdocs.es.yml"]
PICKER = "window.showDirectoryPicker = () => navigator.storage.getDirectory();"
SEED = """async (files) => {
  const root = await navigator.storage.getDirectory();
  await root.getDirectoryHandle('.git', {create: true});  // the editor wants a repository
  for (const [path, text] of Object.entries(files)) {
    const parts = path.split('/');
    let dir = root;
    for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, {create: true});
    const writable = await (await dir.getFileHandle(parts.at(-1), {create: true})).createWritable();
    await writable.write(text);
    await writable.close();
  }
}"""
READ_BACK = """async () => {
  const files = {};
  const walk = async (dir, prefix) => {
    for await (const [name, handle] of dir.entries()) {
      if (handle.kind === 'directory') await walk(handle, prefix + name + '/');
      else files[prefix + name] = await (await handle.getFile()).text();
    }
  };
  await walk(await navigator.storage.getDirectory(), '');
  return files;
}"""
# (file, the word as it is, the word the editor types instead)
EDITS = [
    ("docs/get-help.md", "many areas", "most areas"),
    ("docs/es/get-help.md", "en muchos", "en varios"),
    ("docs/blog/posts/what-helps-survivors-find-work.md", "more than money", "more than pay"),
]
ENTRIES = {
    "docs/get-help.md": ("pages/entries/get-help", 0),
    "docs/es/get-help.md": ("pages/entries/get-help", 1),
    "docs/blog/posts/what-helps-survivors-find-work.md": (
        "blog/entries/what-helps-survivors-find-work",
        0,
    ),
}


def sources() -> dict[str, str]:
    files = {p.relative_to(ROOT).as_posix(): p for p in sorted((ROOT / "docs").rglob("*.md"))}
    files.update({name: ROOT / name for name in SOURCES})
    return {name: path.read_text(encoding="utf-8") for name, path in files.items()}


def open_editor(g: Guarded, url: str) -> tuple[Page, list[str]]:
    """The editor's page, every request it makes recorded."""
    page = g.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url + "/admin/")
    page.get_by_role("button", name="Work with Local Repository").wait_for()
    return page, requests


def test_the_editor_loads_from_make_run_and_asks_no_other_host(browser, site_service: Service):
    g = new_guarded(browser, site_service.url)
    # GitHub's status poll is the last thing it asks for as it starts: it stays on our host
    with g.context.expect_event("request", lambda r: "githubstatus.com" in r.url) as poll:
        page, requests = open_editor(g, site_service.url)
    assert poll.value.url.startswith(site_service.url + "/admin/offline/")
    page.get_by_role("button", name=re.compile("Sign In with .*GitHub")).wait_for()
    assert [u for u in requests if not u.startswith(site_service.url + "/")] == []
    assert g.foreign == []
    assert csp_violations(page) == []
    # its icons are a font served from /admin/: a missing one shows words like "arrow_drop_down"
    assert page.evaluate("document.fonts.check('24px \"Material Symbols Outlined Variable\"')")
    g.context.close()


def body_of(page: Page, pane: int):
    """The Markdown text box of the entry's English (0) or Spanish (1) pane."""
    return page.locator("textarea").and_(page.get_by_label("Text", exact=True)).nth(pane)


def save(page: Page, before: dict[str, str]) -> dict[str, str]:
    """Save the entry, and once a file differs from `before`, every file as saved."""
    page.get_by_role("button", name="Save", exact=True).click()

    def saved() -> dict[str, str] | None:
        try:
            after = page.evaluate(READ_BACK)
        except PlaywrightError:  # a file being written as the folder is read
            return None
        return (
            after
            if any(after.get(name) != text for name, text in before.items())
            or (set(after) - set(before) - {".git"})
            else None
        )

    return wait_until(saved, 20, "the editor to save")


def test_editing_in_the_local_repository_changes_only_the_word_changed(
    browser, site_service: Service, tmp_path: Path
):
    before = sources()
    g = new_guarded(browser, site_service.url)
    g.context.add_init_script(PICKER)
    page, requests = open_editor(g, site_service.url)
    page.evaluate(SEED, before)
    page.get_by_role("button", name="Work with Local Repository").click()
    page.get_by_role("link", name="Pages").or_(
        page.get_by_text("Pages", exact=True)
    ).first.wait_for()

    expected = dict(before)
    for path, old, new in EDITS:
        entry, pane = ENTRIES[path]
        page.goto(f"{site_service.url}/admin/#/collections/{entry}")
        box = body_of(page, pane)
        text = box.input_value()
        assert old in text
        box.fill(text.replace(old, new, 1))
        after = save(page, expected)
        expected[path] = before[path].replace(old, new, 1)
        changed = [name for name in before if after.get(name) != expected[name]]
        assert changed == [], f"saving {path}:\n" + differences(expected, after, changed)

    page.goto(f"{site_service.url}/admin/#/collections/blog/new")
    page.locator("[data-key-path=date] input[type=date]").fill("2026-12-01")
    page.get_by_role("textbox", name="Title").fill("What a day at our front desk is like")
    page.get_by_role("textbox", name="Description").fill("What volunteers do on a day at our desk.")
    page.get_by_role("checkbox", name="Volunteering").check()
    after = save(page, expected)
    new_posts = sorted(set(after) - set(before) - {".git"})
    assert new_posts == ["docs/blog/posts/what-a-day-at-our-front-desk-is-like.md"]
    front, body = after[new_posts[0]].split("---\n", 2)[1:]
    meta = yaml.safe_load(front)
    assert meta["title"] == "What a day at our front desk is like"
    assert meta["categories"] == ["Volunteering"]
    assert meta["date"] == datetime.date(2026, 12, 1)  # a YAML date, as the blog wants
    assert "<!-- more -->" in body
    assert [u for u in requests if not u.startswith(site_service.url + "/")] == []
    assert g.foreign == [] and csp_violations(page) == []
    # Sign Out (EDITING.md, on a shared computer) leaves no sign-in in the browser's storage
    assert page.evaluate("localStorage.getItem('sveltia-cms.user')") not in (None, "{}")
    page.goto(f"{site_service.url}/admin/#/collections/pages")
    page.get_by_role("button", name="Show Account Menu").click()
    page.get_by_role("menuitem", name="Sign Out").click()
    page.get_by_role("button", name="Work with Local Repository").wait_for()
    assert page.evaluate("localStorage.getItem('sveltia-cms.user')") == "{}"
    g.context.close()

    built = copy_of_the_site(tmp_path / "repo")
    for name, text in after.items():
        (built / name).parent.mkdir(parents=True, exist_ok=True)
        (built / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"],
        cwd=built,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr


def differences(expected: dict[str, str], found: dict[str, str], names: list[str]) -> str:
    """What differs from what was expected, as a unified diff per file."""
    return "".join(
        "".join(
            difflib.unified_diff(
                expected[name].splitlines(keepends=True),
                found.get(name, "").splitlines(keepends=True),
                name,
                name + " (saved)",
            )
        )
        for name in names
    )
