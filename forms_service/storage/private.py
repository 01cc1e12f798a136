"""Files that hold volunteers' personal data are created readable by the service's user alone.

The mode is given when the file is created and set again with fchmod, so a loose
umask (022 gives 0644) never leaves a database, a backup, an export, an email
file or the service's key readable by other users of the machine.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def create_private(path: Path, *, truncate: bool = False) -> int:
    """Open (creating if needed) `path` for writing, mode 0600 whatever the umask; an fd."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def touch_private(path: Path) -> None:
    """Make sure `path` exists with mode 0600 before another library writes into it."""
    os.close(create_private(path))


def private_dir(path: Path) -> None:
    """Create a directory (and its parents) that only the service's user can enter."""
    if not path.is_dir():
        path.mkdir(parents=True, mode=PRIVATE_DIR, exist_ok=True)
        path.chmod(PRIVATE_DIR)
