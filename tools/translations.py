"""Which Spanish pages are behind their English page, from the files' git history.

`make test` runs this and prints a warning for each Spanish page (docs/es/X.md) whose
English page (docs/X.md) changed after the Spanish page last did: in a later commit,
or in the working copy. It never fails: a page that is behind is still a good page,
but an editor should bring it into step. Works on a full or a shallow clone; in a
shallow one, a page whose history is cut off is reported as unknown, not as in step.

    python tools/translations.py [repository]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from site_tools.translations import advice, is_checkout, pages_behind


def main(argv: list[str]) -> int:
    repo = Path(argv[1] if len(argv) > 1 else ".").resolve()
    if not is_checkout(repo):
        print("warning: not a git checkout, so Spanish pages cannot be compared with English")
        return 0
    behind = pages_behind(repo)
    for page in behind:
        print(f"warning: {page.spanish} may be behind {page.english} ({page.why})")
        print(f"  {advice(page)}")
    if behind:
        print("See EDITING.md, 'Keep it in step'.")
    else:
        print("Spanish pages: each is in step with its English page.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
