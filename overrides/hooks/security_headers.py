"""MkDocs hook: after the build, hash every inline script and write Netlify's `_headers`.

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


def inline_script_hashes(html: str) -> set[str]:
    hashes = set()
    for match in INLINE_SCRIPT.finditer(html):
        attrs = match["attrs"].lower()
        if "src=" in attrs or "application/json" in attrs or not match["body"].strip():
            continue
        digest = hashlib.sha256(match["body"].encode("utf-8")).digest()
        hashes.add("sha256-" + base64.b64encode(digest).decode())
    return hashes


def on_post_build(config: dict, **kwargs: object) -> None:
    site = Path(config["site_dir"])
    hashes: set[str] = set()
    for page in site.rglob("*.html"):
        hashes |= inline_script_hashes(page.read_text(encoding="utf-8"))
    write_headers_file(site, security_headers(sorted(hashes)), no_store_paths(site))
