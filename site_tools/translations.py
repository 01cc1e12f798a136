"""Which Spanish pages are behind their English page, from the files' git history.

Every build (site_tools.editor_checks) and `make test` (tools/translations.py) warn of
each Spanish page (docs/es/X.md) whose English page (docs/X.md) changed after the
Spanish page last did: in a later commit, or in the working copy. Never a failure: a
page that is behind is still a good page, but an editor should bring it into step.
Works on a full or a shallow clone; in a shallow one, a page whose history is cut off
is reported as unknown, not as in step.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGLISH = Path("docs")
SPANISH = ENGLISH / "es"


@dataclass(frozen=True)
class Behind:
    spanish: str
    english: str
    why: str


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
        es_commit = _last_commit(repo, es)
        if _changed(repo, en) and not _changed(repo, es):
            behind.append(Behind(str(es), str(en), "the English page has unsaved changes"))
        elif not es_commit:
            continue  # a new Spanish page, not committed yet: written from today's English
        elif es_commit in boundaries:
            behind.append(Behind(str(es), str(en), "unknown: the clone's history is cut off"))
        elif later := int(git(repo, "rev-list", "--count", f"{es_commit}..HEAD", "--", str(en))):
            why = f"the English page changed in {later} commit(s) since"
            behind.append(Behind(str(es), str(en), why))
    return behind
