"""The service's own secret, kept in a file beside the database, for keyed hashes.

An acknowledgement record says "this address was thanked today" without holding
the address: a bare SHA-256 of an address is reversed by hashing a list of
addresses, an HMAC with a secret that never leaves the server is not.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..forms.addresses import inbox
from .private import create_private


def key_path(database: Path) -> Path:
    return database.with_name(database.name + ".key")


@functools.cache
def service_key(database: Path) -> bytes:
    """Read the key, creating it (mode 0600) the first time; the same for every process."""
    path = key_path(database)
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with os.fdopen(create_private(tmp, truncate=True), "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return bytes.fromhex(path.read_text().strip())


def address_hash(key: bytes, address: str) -> str:
    """HMAC-SHA256 of the inbox the address reaches (addresses.inbox: any case, without a
    +tag), as hex: 'one acknowledgement a day' counts inboxes, not spellings."""
    return hmac.new(key, inbox(address).encode(), hashlib.sha256).hexdigest()
