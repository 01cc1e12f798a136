"""Starlette app factory: the routes of each face, the lifespan that runs the workers,
the middlewares fitted; plus the operators' health endpoints and the error pages.

The public intake lives in web/intake.py; delivery in mail/outbox.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .desk.shared import Desk
from .desk.views import routes as desk_routes
from .forms import openapi
from .forms.definitions import FORMS
from .forms.words import Words
from .mail.outbox import Worker
from .settings import Settings
from .storage import schema, store
from .storage.committer import Committer
from .web import guard
from .web.headers import (
    ADMIN,
    ADMIN_HEADERS,
    DESK_HEADERS,
    HEADERS_FILE,
    NO_STORE,
    public_headers,
    read_header_rules,
    security_headers,
)
from .web.health import Readiness, healthz, readyz
from .web.intake import UNREADABLE, UNREADABLE_MESSAGE, form_resource, refusal
from .web.middleware import AccessLog, SecurityHeaders
from .web.pages import Pages

log = logging.getLogger("forms_service")

WENT_WRONG = Words("Something went wrong", es="Algo salió mal")
TRY_AGAIN = Words("Please try again.", es="Vuelve a intentarlo.")
TRY_LATER = Words("Please try again in a few minutes.", es="Vuelve a intentarlo en unos minutos.")
ERROR_WORDS = {
    400: (UNREADABLE, UNREADABLE_MESSAGE),  # only a form Starlette or web/reading.py cannot read
    404: (
        Words("Page not found", es="No encontramos la página"),
        Words("There is nothing at this address.", es="No hay nada en esta dirección."),
    ),
    405: (
        Words("Not allowed", es="No permitido"),
        Words(
            "This address does not accept that kind of request.",
            es="Esta dirección no acepta ese tipo de pedido.",
        ),
    ),
}


# Netlify reads these at the site's root as instructions and never serves them.
NETLIFY_FILES = frozenset({HEADERS_FILE, "_redirects"})


@dataclass
class Services:
    settings: Settings
    committer: Committer
    limiter: guard.RateLimiter
    pages: Pages
    worker: Worker | None  # None when a separate `worker` process delivers


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


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.document(FORMS))


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in our words; headers such as Allow are kept."""
    assert isinstance(exc, HTTPException)
    title, message = ERROR_WORDS.get(exc.status_code, (WENT_WRONG, TRY_AGAIN))
    return refusal(request, exc.status_code, title, message, **(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error: %s", type(exc).__name__)
    return refusal(request, 500, WENT_WRONG, TRY_LATER)


async def keep_delivering(worker: Worker, every: float) -> None:
    """Start delivery again whenever it has stopped, checking every `every` seconds."""
    while True:
        await asyncio.sleep(every)
        worker.ensure_running()


def prepare_database(settings: Settings) -> None:
    conn = store.connect(settings.database)
    try:
        schema.migrate(conn)
    finally:
        conn.close()


def create_app(settings: Settings | None = None, *, deliver: bool = True) -> Starlette:
    """The web app; with deliver=False the outbox is left to a separate `worker` process."""
    settings = settings or Settings.from_env()
    worker = Worker(settings) if deliver else None
    services = Services(
        settings=settings,
        committer=Committer(
            settings.database,
            settings.duplicate_window_minutes * 60.0,
            on_commit=worker.wake if worker else lambda: None,
            log_level=settings.log_level,
        ),
        limiter=guard.RateLimiter(settings.rate_limit),
        pages=Pages(settings.site_dir, FORMS),
        worker=worker,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(prepare_database, settings)
        except sqlite3.Error as exc:
            log.error("database not writable (%s): the form answers 503 until it is", exc)
        await services.committer.start()
        if worker is None:
            yield
            await services.committer.stop()
            return
        worker.start()
        watchdog = asyncio.create_task(keep_delivering(worker, settings.poll_seconds))
        yield
        watchdog.cancel()
        desk.close()
        await services.committer.stop()
        await asyncio.to_thread(worker.stop)

    # A mount of its own, so that no /api/ address ever falls through to the static files.
    api = Mount(
        "/api",
        routes=[
            Route("/forms/{slug}", form_resource, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi_document),
        ],
    )
    desk = Desk(settings)
    routes: list[BaseRoute] = [api, *desk_routes()]
    if settings.site_dir.is_dir():
        routes.append(Mount("/", SiteFiles(directory=settings.site_dir, html=True)))

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.services = services
    app.state.readiness = Readiness(settings, worker)
    app.state.desk = desk
    rules = read_header_rules(settings.site_dir) or {"/*": security_headers([])}
    no_store = frozenset(path for path, rule in rules.items() if NO_STORE.items() <= rule.items())
    app.add_middleware(GZipMiddleware, minimum_size=500)  # Netlify compresses too
    app.add_middleware(
        SecurityHeaders,
        headers=public_headers(rules),
        no_store=no_store,
        prefixed={"/desk/": DESK_HEADERS, f"/{ADMIN}/": ADMIN_HEADERS},
    )
    app.add_middleware(AccessLog)
    return app
