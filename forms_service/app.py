"""Starlette app factory, wiring only: the routes of each face (the form API, the
coordinators' desk, the built site), the middlewares in the order they wrap, and the
lifespan that starts what the app runs and stops it again.

What is wired lives elsewhere: the intake and the OpenAPI document in web/intake.py,
refusals and error pages in web/refusals.py, the built site's files in web/site.py,
health in web/health.py, the desk in desk/, delivery in mail/outbox.py and the
database's set-up in storage/schema.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route

from .desk.shared import Desk
from .desk.views import routes as desk_routes
from .forms.definitions import FORMS
from .mail.outbox import Worker, keep_delivering
from .settings import Settings
from .storage import schema
from .storage.committer import Committer
from .web import guard
from .web.health import Readiness, healthz, readyz
from .web.intake import form_resource, openapi_document, thank_you
from .web.middleware import AccessLog, site_security_headers
from .web.pages import Pages
from .web.refusals import http_error, server_error
from .web.services import Services
from .web.site import SiteFiles

log = logging.getLogger("forms_service")


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
    desk = Desk(settings)
    app = Starlette(
        routes=routes(settings),
        middleware=[  # outermost first: the access log sees every answer as sent
            Middleware(AccessLog),
            site_security_headers(settings.site_dir),
            Middleware(GZipMiddleware, minimum_size=500),  # Netlify compresses too
        ],
        lifespan=lambda app: running(services, desk),
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.services = services
    app.state.readiness = Readiness(settings, worker)
    app.state.desk = desk
    return app


def routes(settings: Settings) -> list[BaseRoute]:
    """The form API, the desk, and the built site (when there is one) at the root."""
    # A mount of its own, so that no /api/ address ever falls through to the static files.
    api = Mount(
        "/api",
        routes=[
            Route("/forms/{slug}", form_resource, methods=["GET", "POST"]),
            Route("/forms/{slug}/thanks", thank_you, methods=["POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi_document),
        ],
    )
    found: list[BaseRoute] = [api, *desk_routes()]
    if settings.site_dir.is_dir():
        found.append(Mount("/", SiteFiles(directory=settings.site_dir, html=True)))
    return found


@contextlib.asynccontextmanager
async def running(services: Services, desk: Desk) -> AsyncIterator[None]:
    """What the app runs while it serves, each start paired with its stop: the stack
    stops them in reverse order on every path, delivery here or not, and if a start
    fails. Stopping order: the watchdog, the rate limit's forgetting, the desk's
    connection, the writer, delivery."""
    settings, worker = services.settings, services.worker
    try:
        await asyncio.to_thread(schema.prepare, settings.database)
    except sqlite3.Error as exc:
        log.error("database not writable (%s): the form answers 503 until it is", exc)
    async with contextlib.AsyncExitStack() as stack:
        if worker is not None:
            worker.start()
            stack.push_async_callback(asyncio.to_thread, worker.stop)
        stack.push_async_callback(services.committer.stop)  # safe before or after a start
        await services.committer.start()
        stack.callback(desk.close)
        forgetting = asyncio.create_task(services.limiter.keep_forgetting())
        stack.callback(forgetting.cancel)
        if worker is not None:
            watchdog = asyncio.create_task(keep_delivering(worker, settings.poll_seconds))
            stack.callback(watchdog.cancel)
        yield
