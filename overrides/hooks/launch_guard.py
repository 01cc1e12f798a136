"""MkDocs hook: the launch guard. Stand-ins may not reach the public site.

Some facts were not in what the site was built from, so the sources hold
stand-ins: example.org addresses and URLs (ours and the forms service's), the
link to Facebook's home page instead of our page, and statements marked
`[to confirm]` that the organization has not yet made its own. A production
build on Netlify (CONTEXT=production) stops with the list; every other build
(local, deploy previews, branch deploys) lists them and goes on. On the page, a
marker shows as a highlighted "To confirm" so reviewers of a preview see it.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.exceptions import Abort

log = logging.getLogger("mkdocs.hooks.launch_guard")

MARKER = "[to confirm]"
MARKERS = {
    MARKER: '<mark class="to-confirm">To confirm:</mark>',
    "[por confirmar]": '<mark class="to-confirm">Por confirmar:</mark>',  # the Spanish pages
}
STAND_INS = {
    "an example.org address or URL": re.compile(r"\bexample\.org\b", re.I),
    "the Facebook placeholder (Facebook's home page, not ours)": re.compile(
        r"https?://(?:www\.)?facebook\.com/?(?=[\s)\"'>\]]|$)", re.I
    ),
    "a statement to confirm": re.compile("|".join(map(re.escape, MARKERS)), re.I),
}
TEXT_SUFFIXES = {".md", ".txt", ".html", ".yml", ".yaml", ".toml", ".xml"}


@dataclass(frozen=True)
class StandIn:
    path: str
    line: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: {self.text}"


def find_stand_ins(root: Path, sources: list[Path]) -> list[StandIn]:
    """Every stand-in in the given files and folders, as path:line (relative to root)."""
    found = []
    for source in sources:
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.suffix not in TEXT_SUFFIXES or not path.is_file():
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                for what, pattern in STAND_INS.items():
                    if pattern.search(line):
                        name = path.relative_to(root).as_posix()
                        found.append(StandIn(name, number, what, line.strip()[:100]))
    return found


def is_production() -> bool:
    """Netlify sets CONTEXT to production for the build it publishes at the site's address."""
    return os.environ.get("CONTEXT", "") == "production"


def on_config(config: Any, **kwargs: Any) -> Any:
    root = Path(config["config_file_path"]).parent
    sources = [
        Path(config["docs_dir"]),
        root / "overrides",
        root / "mkdocs.yml",
        root / "netlify.toml",
    ]
    found = find_stand_ins(root, [s for s in sources if s.exists()])
    if not found:
        return config
    listing = "\n".join(f"  {s}" for s in found)
    if is_production():
        raise Abort(
            f"Launch guard: {len(found)} stand-in(s) must be replaced before the site goes "
            f"live (see EDITING.md, 'Before the site first goes live'):\n{listing}"
        )
    log.info(
        "Launch guard: %d stand-in(s) left; a production build will refuse them:\n%s",
        len(found),
        listing,
    )
    return config


def on_page_content(html: str, **kwargs: Any) -> str:
    return STAND_INS["a statement to confirm"].sub(lambda m: MARKERS[m[0].lower()], html)
