"""ASGI middlewares: the security headers on every response, the access log for the API.

They wrap the whole app, so they live apart from the routes and apply to both of the
service's faces alike.
"""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.middleware import Middleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .headers import (
    ADMIN,
    ADMIN_HEADERS,
    DESK_HEADERS,
    NO_STORE,
    public_headers,
    read_header_rules,
    security_headers,
)


class SecurityHeaders:
    """Adds the site's security headers to every response, and no-store to every page,
    the search index and the API's answers: the browser keeps no copy of them.

    Under a prefix of `prefixed` (the desk's), its own headers replace those of the same name.
    """

    def __init__(
        self,
        app: ASGIApp,
        headers: dict[str, str],
        no_store: frozenset[str],
        prefixed: dict[str, dict[str, str]] | None = None,
    ) -> None:
        self.app = app
        self.headers = _encoded(headers)
        self.no_store_paths = no_store
        self.prefixed = [(prefix, _encoded(h)) for prefix, h in (prefixed or {}).items()]

    def _no_store(self, path: str, headers: list[tuple[bytes, bytes]]) -> bool:
        if path.startswith("/api/") or path in self.no_store_paths:
            return True
        # pages the build did not write, such as the 404 page at an unknown address
        return any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                no_store = self._no_store(scope["path"], headers)
                extra = self.headers + ([(b"cache-control", b"no-store")] if no_store else [])
                extra = self._prefixed(scope["path"], extra)
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in headers if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _prefixed(self, path: str, extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        for prefix, own in self.prefixed:
            if path.startswith(prefix) or path == prefix.rstrip("/"):
                names = {name for name, _ in own}
                extra = [(k, v) for k, v in extra if k not in names] + own
        return extra


def site_security_headers(site_dir: Path) -> Middleware:
    """SecurityHeaders with the rules the build wrote for Netlify (`_headers`), so that
    the service sends what Netlify sends; a strict default without a built site. The
    desk's own headers apply under /desk/, the web editor's under /admin/."""
    rules = read_header_rules(site_dir) or {"/*": security_headers([])}
    no_store = frozenset(path for path, rule in rules.items() if NO_STORE.items() <= rule.items())
    return Middleware(
        SecurityHeaders,
        headers=public_headers(rules),
        no_store=no_store,
        prefixed={"/desk/": DESK_HEADERS, f"/{ADMIN}/": ADMIN_HEADERS},
    )


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]


class AccessLog:
    """One line a request: method, route, status. The route's template, never the path a
    client sent, which could forge log lines (an encoded newline), send escape codes to
    an operator's terminal or carry personal data; no query string, no client address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.log = logging.getLogger("forms_service.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.log.info("%s %s %d", scope["method"], _route(scope), status)


def _route(scope: Scope) -> str:
    """The template of the route that answered (set by Starlette's router), or <other>."""
    route = scope.get("route")
    if isinstance(route, Route):
        return scope.get("root_path", "") + route.path
    return "<other>"
