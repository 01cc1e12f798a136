"""Security headers: one set for Netlify's `_headers` file and for the service.

The site's build writes `_headers` (with the hashes of the inline scripts it
produced); the service reads that file, so `make run` and Netlify send the same
headers. Without a built site the service falls back to a strict default.

Pages and the search index are sent with `Cache-Control: no-store`, so a browser
keeps no copy of what was read here in its disk cache (and, in most browsers, in
its back-forward cache). Netlify cannot match "every HTML file", so the build
writes one rule for each page it produced; Material's versioned assets keep
Netlify's default caching.
"""

from __future__ import annotations

from pathlib import Path

HEADERS_FILE = "_headers"
SEARCH_INDEXES = ("search/search_index.json", "search.json")
"""Where MkDocs (Material) and Zensical write a search index of every page's words."""
NO_STORE = {"Cache-Control": "no-store"}

BASE_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
    "frame-ancestors": ["'none'"],
}

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "interest-cohort",
        "browsing-topics",
    )
)


def content_security_policy(script_hashes: list[str]) -> str:
    """The site's CSP: our own origin only, inline scripts allowed by hash alone."""
    policy = {k: list(v) for k, v in BASE_POLICY.items()}
    policy["script-src"] += [f"'{h}'" for h in sorted(set(script_hashes))]
    return "; ".join(" ".join([name, *values]) for name, values in policy.items())


def security_headers(script_hashes: list[str]) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(script_hashes),
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }


DESK_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self';"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DESK_HEADERS = {
    "Content-Security-Policy": DESK_POLICY,
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
"""The coordinators' desk: no script at all, never kept by a browser, never indexed,
never framed. The site's Referrer-Policy (same-origin) stays: its addresses, sign-in
links among them, never reach another site, and posts keep a real Origin to check."""


ADMIN = "admin"
"""The web editor's folder (Sveltia CMS, /admin/): a page of its own, with its own policy."""
ADMIN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data: blob: https://avatars.githubusercontent.com; font-src 'self' data:;"
    " connect-src 'self' data: blob: https://api.github.com; worker-src 'self' blob:;"
    " form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
ADMIN_HEADERS = {
    "Content-Security-Policy": ADMIN_POLICY,
    # same-origin would cut the sign-in window's way back (Netlify's OAuth page)
    "Cross-Origin-Opener-Policy": "same-origin-allow-popups",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
"""The editor talks to GitHub's API and shows GitHub avatars, and its styles are set by its
script; it needs no 'unsafe-eval'. Never kept by a browser, never indexed, never framed."""
PAGE_ONLY = ("Content-Security-Policy", "Cross-Origin-Opener-Policy")
"""Headers the editor has its own of: two CSP headers would both apply, so the site's are
given to every other path instead of to /*."""


def public_paths(site_dir: Path) -> list[str]:
    """Rules that together cover the built site but /admin/: the home page, and each
    file and folder at the top (Netlify's rules cannot say 'all but')."""
    paths = ["/"]
    for entry in sorted(site_dir.iterdir()):
        if entry.name in (ADMIN, HEADERS_FILE):
            continue
        paths.append(f"/{entry.name}/*" if entry.is_dir() else f"/{entry.name}")
    return paths


def no_store_paths(site_dir: Path) -> list[str]:
    """Every address a built page answers at (`/a/` and `/a/index.html`), and the search
    indexes; the editor's pages have a rule of their own."""
    paths = []
    for page in sorted(site_dir.rglob("*.html")):
        if page.relative_to(site_dir).parts[0] == ADMIN:
            continue  # the editor's own rule keeps it out of the browser's cache
        path = "/" + page.relative_to(site_dir).as_posix()
        if page.name == "index.html":
            paths.append(path.removesuffix("index.html"))
        paths.append(path)
    # each edition (the Spanish one under es/) has a search index of its own
    paths += [
        "/" + p.relative_to(site_dir).as_posix()
        for name in SEARCH_INDEXES
        for p in sorted(site_dir.rglob(name))
    ]
    return paths


def write_headers_file(site_dir: Path, headers: dict[str, str], no_store: list[str]) -> Path:
    """Netlify's `_headers` format: the headers every path shares, the page-only ones for
    every path but /admin/, the editor's own, then no-store for each page."""
    path = site_dir / HEADERS_FILE
    shared = {k: v for k, v in headers.items() if k not in PAGE_ONLY}
    page_only = {k: v for k, v in headers.items() if k in PAGE_ONLY}
    rules = [("/*", shared)] + [(p, page_only) for p in public_paths(site_dir)]
    if (site_dir / ADMIN).is_dir():
        rules.append((f"/{ADMIN}/*", ADMIN_HEADERS))
    rules += [(page, NO_STORE) for page in no_store]
    lines = []
    for where, rule in rules:
        lines += [where] + [f"  {name}: {value}" for name, value in rule.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_header_rules(site_dir: Path) -> dict[str, dict[str, str]] | None:
    """Each rule of a built site's `_headers` (path -> headers), or None without a built site."""
    path = site_dir / HEADERS_FILE
    if not path.is_file():
        return None
    rules: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace():
            current = rules.setdefault(line.strip(), {})
        elif ":" in line:
            name, _, value = line.strip().partition(":")
            current[name.strip()] = value.strip()
    return rules


def public_headers(rules: dict[str, dict[str, str]]) -> dict[str, str]:
    """The headers of every public page: those of /* with the page-only ones (of /)."""
    home = rules.get("/", {})
    return {**rules.get("/*", {}), **{k: home[k] for k in PAGE_ONLY if k in home}}


def read_headers_file(site_dir: Path) -> dict[str, str] | None:
    """The headers a built site's `_headers` gives every public page, or None when there
    is no built site."""
    rules = read_header_rules(site_dir)
    return None if rules is None else public_headers(rules)
