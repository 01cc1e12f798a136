"""The web editor's configuration (docs/admin/config.yml) against the site's sources.

Which files an entry collection reaches is worked out as Sveltia CMS does it
(`getEntryPathRegEx` in its src/lib/services/contents/file/config.js): the folder,
then the locale's folder (left out for English, `omit_default_locale_from_file_path`),
then the collection's `path` with each {{placeholder}} matching one path segment.
"""

from __future__ import annotations

import re

import yaml

from site_tools.launch_guard import TELLING_WORDS

from ..support import ROOT

CONFIG = ROOT / "docs" / "admin" / "config.yml"


def config() -> dict:
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def entry_pattern(collection: dict, i18n: dict) -> re.Pattern[str]:
    """The paths a folder collection's entries may have, in every locale."""
    sub_path = re.sub(r"\\\{\\\{[^}]*\\\}\\\}", "[^/]+?", re.escape(collection.get("path", "")))
    others = [lang for lang in i18n["locales"] if lang != i18n["default_locale"]]
    locale = f"(?:(?:{'|'.join(others)})/)?" if collection.get("i18n") else ""
    folder, extension = re.escape(collection["folder"]), collection["extension"]
    return re.compile(f"^{folder}/{locale}{sub_path or '[^/]+?'}\\.{extension}$")


def reachable(sources: list[str]) -> dict[str, list[str]]:
    """Each Markdown file's path -> the collections whose entries it is."""
    settings = config()
    found: dict[str, list[str]] = {path: [] for path in sources}
    for collection in settings["collections"]:
        if "folder" in collection:
            pattern = entry_pattern(collection, settings["i18n"])
            hits = [path for path in sources if pattern.match(path)]
        else:
            hits = [f["file"] for f in collection["files"] if f["file"] in found]
        for path in hits:
            found[path].append(collection["name"])
    return found


def markdown_sources() -> list[str]:
    docs = ROOT / "docs"
    return sorted(p.relative_to(ROOT).as_posix() for p in docs.rglob("*.md"))


def test_every_markdown_page_opens_in_the_editor_once():
    found = reachable(markdown_sources())
    assert [path for path, names in found.items() if not names] == []
    assert {path: names for path, names in found.items() if len(names) > 1} == {}


def test_a_page_the_editor_cannot_reach_is_found():
    stray = ["docs/reintegration/legal/housing.md", "docs/guides/housing.md"]
    assert all(reachable(markdown_sources() + stray)[path] == [] for path in stray)


def test_bodies_are_raw_markdown_and_the_editor_has_no_preview_pane():
    for collection in config()["collections"]:
        assert collection["editor"] == {"preview": False}, collection["name"]
        files = collection.get("files", [collection])
        for entry in files:
            bodies = [f for f in entry["fields"] if f["widget"] == "markdown"]
            assert [f["modes"] for f in bodies] == [["raw"]], collection["name"]


def test_sign_in_is_githubs_through_netlify_and_changes_go_through_review():
    settings = config()
    backend = settings["backend"]
    assert backend["name"] == "github" and backend["base_url"] == "https://api.netlify.com"
    assert settings["publish_mode"] == "editorial_workflow"
    assert settings["i18n"]["structure"] == "multiple_folders"


def test_new_blog_posts_get_our_front_matter():
    blog = next(c for c in config()["collections"] if c["name"] == "blog")
    assert blog["create"] is True and blog["folder"] == "docs/blog/posts"
    fields = {f["name"]: f for f in blog["fields"]}
    assert list(fields) == ["date", "title", "description", "categories", "body"]
    mkdocs = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    blog_plugin = next(p["blog"] for p in mkdocs["plugins"] if isinstance(p, dict) and "blog" in p)
    assert fields["categories"]["options"] == blog_plugin["categories_allowed"]
    assert "<!-- more -->" in fields["body"]["default"]
    assert fields["date"]["format"] == "YYYY-MM-DD"


def title_fields() -> list[tuple[str, dict]]:
    """Every Title field the editor shows, with the collection it belongs to."""
    found = []
    for collection in config()["collections"]:
        for entry in collection.get("files", [collection]):
            found += [(collection["name"], f) for f in entry["fields"] if f["name"] == "title"]
    return found


def test_every_title_field_asks_for_a_neutral_title_in_plain_words():
    """A title lands in the browser's tab and history on a device someone may watch: the
    hint says so where the editor types it, naming words the build's title check stops."""
    fields = title_fields()
    assert len(fields) == len(config()["collections"])  # one per collection, none missed
    for name, field in fields:
        hint = " ".join(field.get("hint", "").split())
        assert "history" in hint and "neutral" in hint, name
        assert all(w in hint for w in ("trafficking", "exploitation", "abuse")), name
        named = re.findall(
            r"\b(trafficking|sex|exploitation|abuse|trata|explotación|abuso)\b", hint
        )
        assert all(TELLING_WORDS.fullmatch(w) for w in named), (name, named)
