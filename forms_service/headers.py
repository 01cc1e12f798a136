"""Security headers: one set for Netlify's `_headers` file and for the service.

The site's build writes `_headers` (with the hashes of the inline scripts it
produced); the service reads that file, so `make run` and Netlify send the same
headers. Without a built site the service falls back to a strict default.
"""

from __future__ import annotations

from pathlib import Path

HEADERS_FILE = "_headers"

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


def write_headers_file(site_dir: Path, headers: dict[str, str]) -> Path:
    """Netlify's `_headers` format: one rule for every path."""
    path = site_dir / HEADERS_FILE
    lines = ["/*"] + [f"  {name}: {value}" for name, value in headers.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_headers_file(site_dir: Path) -> dict[str, str] | None:
    """The `/*` rule of a built site's `_headers`, or None when there is no built site."""
    path = site_dir / HEADERS_FILE
    if not path.is_file():
        return None
    headers: dict[str, str] = {}
    in_rule = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace():
            in_rule = line.strip() == "/*"
        elif in_rule and ":" in line:
            name, _, value = line.strip().partition(":")
            headers[name.strip()] = value.strip()
    return headers
