"""Which Spanish pages are behind their English page, from the files' git history.

Every build (site_tools.editor_checks) and `make test` (tools/translations.py) warn of
each Spanish page (docs/es/X.md) whose English page (docs/X.md) changed after the
Spanish page last did: in a later commit, or in the working copy. Never a failure: a
page that is behind is still a good page, but an editor should bring it into step.
Works on a full or a shallow clone; in a shallow one, a page whose history is cut off
is reported as unknown, not as in step.

History alone cannot tell that an English change needs nothing in Spanish (an English
synonym that Spanish already has, a typo fixed): the warning stayed until someone
changed the Spanish page for no reason, and an editor in the web editor had no way to
say "compared, it matches". So a Spanish page may say which English version it was
compared with, in a line of its text the check gives, `<!-- matches English: 1a2b3c4d
-->` (the English page's fingerprint: its text's SHA-256, first 8 hex digits). While
the English page is that version the Spanish page is in step, whatever the history
says; once the English page changes, the line no longer matches and the check warns
again. The build drops the line from the page (`drop_match_line`).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGLISH = Path("docs")
SPANISH = ENGLISH / "es"


MATCH_LINE = re.compile(r"<!-- matches English: ([0-9a-f]{8}) -->")


@dataclass(frozen=True)
class Behind:
    spanish: str
    english: str
    why: str
    fingerprint: str = ""  # the English page's, for the line that says the pages match

    @property
    def match_line(self) -> str:
        return f"<!-- matches English: {self.fingerprint} -->"


def fingerprint(text: str) -> str:
    """The English page's version: its text (line ends and trailing spaces aside)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip().encode("utf-8")).hexdigest()[:8]


def drop_match_line(html: str) -> str:
    """A built page without the line that says which English version it matches."""
    return re.sub(r"[ \t]*" + MATCH_LINE.pattern + r"\n?", "", html)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def is_checkout(repo: Path) -> bool:
    """Whether the folder is a git checkout (a copy without history cannot be compared).
    Git is asked only when a .git is there or above: a plain copy starts no process."""
    if not any((folder / ".git").exists() for folder in (repo, *repo.resolve().parents)):
        return False
    try:
        git(repo, "rev-parse", "--git-dir")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    return True


def _last_commit(repo: Path, path: Path) -> str:
    return git(repo, "log", "-1", "--format=%H", "--", str(path))


def _changed(repo: Path, path: Path) -> bool:
    """True when the working copy differs from the last commit (or the file is untracked)."""
    tracked = git(repo, "ls-files", "--", str(path))
    return not tracked or bool(git(repo, "status", "--porcelain", "--", str(path)))


def _shallow_boundaries(repo: Path) -> set[str]:
    shallow = Path(git(repo, "rev-parse", "--git-path", "shallow"))
    shallow = shallow if shallow.is_absolute() else repo / shallow
    return set(shallow.read_text().split()) if shallow.is_file() else set()


def pages_behind(repo: Path) -> list[Behind]:
    """Every Spanish page whose English page changed after it, with the reason."""
    boundaries = _shallow_boundaries(repo)
    behind = []
    for spanish in sorted((repo / SPANISH).rglob("*.md")):
        es = spanish.relative_to(repo)
        en = ENGLISH / es.relative_to(SPANISH)
        if not (repo / en).is_file():
            continue
        now = fingerprint((repo / en).read_text(encoding="utf-8"))
        said = MATCH_LINE.findall(spanish.read_text(encoding="utf-8"))
        if now in said:
            continue  # compared with this very version of the English page and found to match
        es_commit = _last_commit(repo, es)
        if _changed(repo, en) and not _changed(repo, es):
            why = "the English page has unsaved changes"
        elif not es_commit:
            continue  # a new Spanish page, not committed yet: written from today's English
        elif es_commit in boundaries:
            why = "unknown: the clone's history is cut off"
        elif later := int(git(repo, "rev-list", "--count", f"{es_commit}..HEAD", "--", str(en))):
            why = f"the English page changed in {later} commit(s) since"
        else:
            continue
        if said:
            why += ", and since it was last compared"
        behind.append(Behind(str(es), str(en), why, now))
    return behind


def advice(page: Behind) -> str:
    """What an editor does about it, in the web editor."""
    return (
        f"Open the page in the web editor: English ({page.english}) on the left, Spanish on"
        " the right. Change the Spanish so it says what the English says now, and save. If"
        " it already does, add this line at the end of the Spanish text and save:"
        f" {page.match_line}"
    )
