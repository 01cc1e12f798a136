"""The built site, served by the service itself (`make run`, or a server without
Netlify in front) as Netlify serves it."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.datastructures import URL
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .headers import HEADERS_FILE

# Netlify reads these at the site's root as instructions and never serves them.
NETLIFY_FILES = frozenset({HEADERS_FILE, "_redirects"})


class SiteFiles(StaticFiles):
    """The built site. A folder's address without its slash is redirected with a relative
    Location: Starlette builds an absolute one from the Host header, which a client chooses.
    An unknown address inside a language's folder (`/es/...`) gets that edition's 404 page.
    Netlify's control files are not pages: like Netlify, `make run` answers them 404."""

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path in NETLIFY_FILES:
            return "", None
        return super().lookup_path(path)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 404 and (page := self._edition_not_found(path)):
            return FileResponse(page, status_code=404)
        if "location" in response.headers:
            location = URL(response.headers["location"])
            query = f"?{location.query}" if location.query else ""
            # one leading slash: "//host/" would be another site
            response.headers["location"] = "/" + location.path.lstrip("/") + query
        return response

    def _edition_not_found(self, path: str) -> Path | None:
        folder = path.strip("/").partition("/")[0]
        page = Path(str(self.directory)) / folder / "404.html"
        return page if folder and ".." not in folder and page.is_file() else None
