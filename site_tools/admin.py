"""The web editor at /admin/: Sveltia CMS copied from node_modules into the built site.

npm installs `@sveltia/cms` at the version pinned in package-lock.json; its bundle
carries its language files, but names other hosts it loads from: its three fonts from
jsDelivr (the icons are a font: without it, buttons show words like "format_bold"),
code for highlighting and maps from unpkg.com, and GitHub's status page for a status
poll. The fonts are installed from npm too (Fontsource's packages, the same files) and
served from /admin/fonts/; every other such address is rewritten to one under /admin/
that does not exist, so the request stays on the site and fails quietly. None reaches
another host. `docs/admin/` holds the page and the configuration.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

PACKAGE = Path("node_modules") / "@sveltia" / "cms"
BUNDLE = "sveltia-cms.js"
CHUNKS = "chunks"
FONTS = "fonts"
DROPPED = "/admin/offline/"
"""Where rewritten addresses lead: nothing is served there."""

# Hosts the bundle loads code, styles, fonts or data from (links people click are left).
LOADED_FROM = (
    "unpkg.com",
    "cdn.jsdelivr.net",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "www.githubstatus.com",
    "status.gitlab.com",
    "status-api.hostedstatus.com",
)
LOADED_URL = re.compile(r"https?://(?:" + "|".join(map(re.escape, LOADED_FROM)) + r")/?")
FONT_URL = re.compile(
    r"https://cdn\.jsdelivr\.net/fontsource/fonts/"
    r"(?P<family>[a-z0-9-]+)(?P<variable>:vf)?@(?P<version>[0-9.]+)/(?P<file>[a-z0-9-]+\.woff2)"
)
SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.M)


class EditorMissing(RuntimeError):
    """The package is not installed: `npm ci` has not run."""


def font_file(root: Path, url: re.Match[str]) -> Path:
    """The npm copy of a font the bundle names on jsDelivr, at the very version it names."""
    scope = "@fontsource-variable" if url["variable"] else "@fontsource"
    package = root / "node_modules" / scope / url["family"]
    manifest = package / "package.json"
    found = json.loads(manifest.read_text())["version"] if manifest.is_file() else "none"
    if found != url["version"]:
        raise EditorMissing(
            f"The web editor wants the font {scope}/{url['family']} {url['version']} "
            f"(installed: {found}): pin that version in package.json and run `npm install`."
        )
    return package / "files" / f"{url['family']}-{url['file']}"


def with_local_fonts(root: Path, script: str, fonts_dir: Path) -> str:
    """Copy each font the script names on jsDelivr into fonts_dir, and point it there."""

    def local(url: re.Match[str]) -> str:
        source = font_file(root, url)
        fonts_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, fonts_dir / source.name)
        return f"/admin/{FONTS}/{source.name}"

    return FONT_URL.sub(local, script)


def offline(script: str) -> str:
    """The script with every address of another host it loads from sent to DROPPED, and
    without its source-map comment (the map is not copied)."""
    return SOURCE_MAP.sub("", LOADED_URL.sub(lambda m: DROPPED + m[0].split("//")[1], script))


def foreign_loads(script: str) -> list[str]:
    """The addresses of other hosts a script would still load from (none, once built)."""
    return LOADED_URL.findall(script)


def install(root: Path, site_dir: Path) -> list[Path]:
    """Copy the editor's bundle and its chunks into site_dir/admin/, rewritten offline."""
    dist = root / PACKAGE / "dist"
    if not (dist / BUNDLE).is_file():
        raise EditorMissing(
            f"The web editor is not installed ({dist / BUNDLE} is missing): run `npm ci` "
            "in the project's folder (make run and make test do it for you)."
        )
    target = site_dir / "admin"
    written = []
    for source in [dist / BUNDLE, *sorted((dist / CHUNKS).glob("*.js"))]:
        out = target / source.relative_to(dist)
        out.parent.mkdir(parents=True, exist_ok=True)
        script = with_local_fonts(root, source.read_text(encoding="utf-8"), target / FONTS)
        out.write_text(offline(script), encoding="utf-8")
        written.append(out)
    return written
