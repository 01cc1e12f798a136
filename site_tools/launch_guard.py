"""The launch guard. Stand-ins may not reach the public site.

Some facts were not in what the site was built from, so the sources hold
stand-ins: example.org addresses and URLs (ours and the forms service's), the
link to Facebook's home page instead of our page, the web editor's repository, and
statements marked
`[to confirm]` that the organization has not yet made its own. A production
build on Netlify (CONTEXT=production) stops with the list; every other build
(local, deploy previews, branch deploys) lists them and goes on. On the page, a
marker shows as a highlighted "To confirm" (`mark_to_confirm`) so reviewers of a
preview see it.

It also stops every build whose pages have a title (what the browser's tab and
history show, where someone checking the device reads it) naming trafficking,
exploitation or abuse: such words belong in the page's heading, not its title. The
check reads the built pages, and names the source line that gives each title.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from .project import Project

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
    "the web editor's stand-in GitHub repository (docs/admin/config.yml)": re.compile(
        r"\byour-github-account/"
    ),
}
TEXT_SUFFIXES = {".md", ".txt", ".html", ".yml", ".yaml", ".toml", ".xml"}
TELLING_WORDS = re.compile(
    r"\b(?:traffick\w*|trata|tratantes?|exploit\w*|explot\w*|abus\w*|sex|sexual\w*"
    r"|prostitu\w*|victim\w*|víctimas?|rap(?:e|ed|ist)|violaci\w+|slave\w*|esclav\w*)\b",
    re.I,
)
"""Words naming trafficking, exploitation or abuse, in English and Spanish: never in a
page's title."""
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
TITLE_LINE = re.compile(r"^\s*(?:-\s*)?(?:[\w.]+:\s*)?#*\s*(.*?)(?::\s*\S+\.md)?\s*$")
"""What a source line gives as a title: `title: X`, `# X`, `- X: page.md`, `key: X`."""
ARTICLE = re.compile(r"(<article\b.*?</article>)", re.S)


class LaunchBlocked(Exception):
    """A build that may not be published: nothing of it may go out."""


@dataclass(frozen=True)
class StandIn:
    path: str
    line: int
    what: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}: {self.text}"


def source_lines(root: Path, sources: list[Path]) -> Iterator[tuple[str, int, str]]:
    """Each line of the text files in the given files and folders: path (relative to
    root), line number, line."""
    for source in sources:
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.suffix not in TEXT_SUFFIXES or not path.is_file():
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            name = path.relative_to(root).as_posix()
            for number, line in enumerate(lines, start=1):
                yield name, number, line


def find_stand_ins(root: Path, sources: list[Path]) -> list[StandIn]:
    """Every stand-in in the given files and folders, as path:line (relative to root)."""
    return [
        StandIn(name, number, what, line.strip()[:100])
        for name, number, line in source_lines(root, sources)
        for what, pattern in STAND_INS.items()
        if pattern.search(line)
    ]


def telling_titles(site_dir: Path, root: Path, sources: list[Path]) -> list[StandIn]:
    """Every built page whose title names trafficking, exploitation or abuse, at the
    source line that gives that title (else at the built page)."""
    found = []
    for page in sorted(site_dir.rglob("*.html")):
        title = TITLE.search(page.read_text(encoding="utf-8"))
        text = unescape(" ".join(title[1].split())) if title else ""
        word = TELLING_WORDS.search(text)
        if not word:
            continue
        what = f"a page title with the word {word[0]!r}"
        own = text.rsplit(" - ", 1)[0].casefold()  # without " - The Mission"
        given = [
            StandIn(name, number, what, line.strip()[:100])
            for name, number, line in source_lines(root, sources)
            if TITLE_LINE.match(line)[1].strip("\"'").casefold() == own
        ]
        built = page.relative_to(site_dir).as_posix()
        found.append(given[0] if given else StandIn(built, 1, what, text))
    return found


def is_production() -> bool:
    """Netlify sets CONTEXT to production for the build it publishes at the site's address."""
    return os.environ.get("CONTEXT", "") == "production"


def pages_and_configs(project: Project) -> list[Path]:
    """Where a page's words come from: every edition's pages (the Spanish folder is inside
    the English one) and the configurations as written (not the generated complete ones)."""
    folders = [e.docs_dir for e in project.editions]
    nested = [f for f in folders if any(f != o and f.is_relative_to(o) for o in folders)]
    written = [e.written_file for e in project.editions]
    return [p for p in [*(f for f in folders if f not in nested), *written] if p.exists()]


def sources(project: Project) -> list[Path]:
    """What the site is built from and editors write: pages, configurations, the theme's
    overrides and Netlify's file."""
    more = [project.root / "overrides", project.root / "netlify.toml"]
    return pages_and_configs(project) + [p for p in more if p.exists()]


def check(project: Project) -> str:
    """The list of stand-ins left, for the build's log ("" when none); raises
    LaunchBlocked with it in a production build."""
    found = find_stand_ins(project.root, sources(project))
    if not found:
        return ""
    if is_production():
        listing = "\n".join(f"  {s}" for s in found)
        raise LaunchBlocked(
            f"Launch guard: {len(found)} stand-in(s) must be replaced before the site goes "
            f"live (see EDITING.md, 'Before the site first goes live'):\n{listing}"
        )
    return (
        f"Launch guard: {len(found)} stand-in(s) left; a production build will refuse "
        f"them:\n{short_listing(found)}"
    )


def short_listing(found: list[StandIn]) -> str:
    """Each stand-in on a line, but a file's statements to confirm on one line: the
    editors' checks list them as reminders too, and dozens of them would bury the rest."""
    to_confirm: dict[str, list[int]] = {}
    lines = []
    for s in found:
        if s.what == "a statement to confirm":
            if s.path not in to_confirm:
                lines.append(s.path)  # its place in the list, filled in below
            to_confirm.setdefault(s.path, []).append(s.line)
        else:
            lines.append(str(s))
    for path, numbers in to_confirm.items():
        at = ", ".join(map(str, numbers))
        plural = "s" if len(numbers) > 1 else ""
        lines[lines.index(path)] = (
            f"{path}: {len(numbers)} statement(s) to confirm (line{plural} {at})"
        )
    return "\n".join(f"  {line}" for line in lines)


def check_titles(site: Path, project: Project) -> None:
    """Stop any build, not only production's, whose pages have a telling title."""
    found = telling_titles(site, project.root, pages_and_configs(project))
    if found:
        listing = "\n".join(f"  {s}" for s in found)
        raise LaunchBlocked(
            f"Page titles: {len(found)} name trafficking, exploitation or abuse, and a title"
            " shows in the browser's tab and history. Give the page a neutral `title:` and"
            f" keep those words in its heading (see EDITING.md, 'Page titles'):\n{listing}"
        )


def mark_to_confirm(html: str) -> str:
    """Each marker shown highlighted, in the marker's language: for a page's content."""
    return STAND_INS["a statement to confirm"].sub(lambda m: MARKERS[m[0].lower()], html)


def mark_to_confirm_in_article(page: str) -> str:
    """The same on a built page, in its article only (never in its title or head)."""
    return ARTICLE.sub(lambda a: mark_to_confirm(a[0]), page)
