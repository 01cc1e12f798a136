"""Starlette app factory: the routes of each face, the lifespan that runs the workers,
the middlewares fitted; plus the operators' health endpoints and the error pages.

The public intake lives in intake.py; delivery in outbox.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import guard, openapi, store
from .committer import Committer
from .forms import VOLUNTEER
from .headers import NO_STORE, read_header_rules, security_headers
from .intake import refusal, volunteer
from .middleware import AccessLog, SecurityHeaders
from .outbox import Worker
from .pages import Pages
from .settings import Settings

log = logging.getLogger("forms_service")

MIN_FREE_BYTES = 1024 * 1024


@dataclass
class Services:
    settings: Settings
    committer: Committer
    limiter: guard.RateLimiter
    pages: Pages
    worker: Worker | None  # None when a separate `worker` process delivers


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when delivery runs, the database takes a write and its disk has room for more
    submissions; also reports the state of the outbox."""
    services: Services = request.app.state.services
    settings = services.settings
    if services.worker is not None and not services.worker.running:
        log.error("not ready: delivery is not running")
        return JSONResponse({"status": "unavailable", "delivery": "not running"}, 503)

    def check() -> dict[str, object]:
        conn = store.connect(settings.database)
        try:
            store.check_writable(conn, store.now())
            return store.stats(conn, store.now())
        finally:
            conn.close()

    try:
        figures = await asyncio.to_thread(check)
    except Exception as exc:
        log.error("not ready: database not writable (%s)", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "database": "not writable"}, 503)
    free = shutil.disk_usage(settings.database.parent).free
    if free < MIN_FREE_BYTES:
        log.error("not ready: %d bytes free beside the database", free)
        body = {"status": "unavailable", "database": "disk full", "disk_free_bytes": free}
        return JSONResponse({**body, **figures}, 503)
    return JSONResponse(
        {"status": "ready", "database": "writable", "disk_free_bytes": free, **figures}
    )


async def openapi_document(request: Request) -> Response:
    return JSONResponse(openapi.document(VOLUNTEER))


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in our words; headers such as Allow are kept."""
    assert isinstance(exc, HTTPException)
    words = {
        404: ("Page not found", "There is nothing at this address."),
        405: ("Not allowed", "This address does not accept that kind of request."),
    }
    title, message = words.get(exc.status_code, ("Something went wrong", "Please try again."))
    return refusal(request, exc.status_code, title, message, **(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error: %s", type(exc).__name__)
    return refusal(request, 500, "Something went wrong", "Please try again in a few minutes.")


async def keep_delivering(worker: Worker, every: float) -> None:
    """Start delivery again whenever it has stopped, checking every `every` seconds."""
    while True:
        await asyncio.sleep(every)
        worker.ensure_running()


def prepare_database(settings: Settings) -> None:
    conn = store.connect(settings.database)
    try:
        store.migrate(conn)
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
        pages=Pages(settings.site_dir, VOLUNTEER),
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
        await services.committer.stop()
        await asyncio.to_thread(worker.stop)

    # A mount of its own, so that no /api/ address ever falls through to the static files.
    api = Mount(
        "/api",
        routes=[
            Route("/forms/volunteer", volunteer, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi_document),
        ],
    )
    routes: list[BaseRoute] = [api]
    if settings.site_dir.is_dir():
        routes.append(Mount("/", StaticFiles(directory=settings.site_dir, html=True)))

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.services = services
    rules = read_header_rules(settings.site_dir) or {"/*": security_headers([])}
    no_store = frozenset(path for path, rule in rules.items() if rule == NO_STORE)
    app.add_middleware(GZipMiddleware, minimum_size=500)  # Netlify compresses too
    app.add_middleware(SecurityHeaders, headers=rules.get("/*", {}), no_store=no_store)
    app.add_middleware(AccessLog)
    return app
