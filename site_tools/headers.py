"""Netlify's `_headers`, written once every page of every edition is final.

Material writes a few inline scripts; a Content-Security-Policy without
'unsafe-inline' must list their hashes, and those are only known once the
pages exist. The pages are only known then too, and each gets a no-store rule.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from forms_service.web.headers import no_store_paths, security_headers, write_headers_file

INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)


def inline_script_hashes(page: str) -> set[str]:
    """The CSP source of each inline script that runs (not JSON data, not an empty one)."""
    hashes = set()
    for match in INLINE_SCRIPT.finditer(page):
        attrs = match["attrs"].lower()
        if "src=" in attrs or "application/json" in attrs or not match["body"].strip():
            continue
        digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
        hashes.add("sha256-" + base64.b64encode(digest).decode())
    return hashes


def write_headers(site: Path) -> Path:
    hashes: set[str] = set()
    for page in site.rglob("*.html"):
        hashes |= inline_script_hashes(page.read_text(encoding="utf-8"))
    return write_headers_file(site, security_headers(sorted(hashes)), no_store_paths(site))
