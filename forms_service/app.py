"""Starlette app factory: routes, the lifespan that runs the workers, the middlewares fitted.

One submission flows one way: guard -> parse -> validate -> store -> respond.
Delivery happens elsewhere (outbox.Worker), woken after each commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive

from . import guard, openapi, store
from .committer import Committer
from .forms import HONEYPOT, IDEMPOTENCY_KEY, VOLUNTEER
from .headers import NO_STORE, read_header_rules, security_headers
from .middleware import AccessLog, SecurityHeaders
from .outbox import Worker
from .pages import Pages
from .settings import Settings
from .validation import validate

log = logging.getLogger("forms_service")

THANKS_PATH = "/volunteer/thanks/"
MAX_FIELDS = 60
MIN_FREE_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """The body grew past the cap while it was being read (no or false Content-Length)."""


@dataclass
class Services:
    settings: Settings
    committer: Committer
    limiter: guard.RateLimiter
    pages: Pages


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def refusal(request: Request, status: int, title: str, message: str, **headers: str) -> Response:
    """A refusal in the form the client asked for: JSON for scripts, a page for people."""
    if wants_json(request):
        return JSONResponse({"error": message}, status, headers=headers)
    page = request.app.state.services.pages.message(title, message)
    return HTMLResponse(page, status, headers=headers)


def _limited_receive(receive: Receive, cap: int) -> Receive:
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > cap:
            raise BodyTooLarge
        return message

    return limited


async def read_form(request: Request, settings: Settings) -> FormData:
    """Parse the body within the size cap and the time limit, without files."""
    limited = Request(request.scope, _limited_receive(request.receive, settings.max_body_bytes))
    async with asyncio.timeout(settings.body_timeout):
        # The body cap bounds every part too, so a large field gets the 413 it deserves.
        return await limited.form(
            max_files=0, max_fields=MAX_FIELDS, max_part_size=settings.max_body_bytes
        )


async def volunteer(request: Request) -> Response:
    """One resource, so that 405 answers list every method it takes."""
    if request.method == "POST":
        return await submit_volunteer(request)
    return await form_page(request)


async def submit_volunteer(request: Request) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    try:
        guard.check(request, settings, services.limiter)
        posted = await read_form(request, settings)
    except guard.Refusal as r:
        return refusal(request, r.status, "We could not take your form", r.message, **r.headers)
    except BodyTooLarge:
        message = guard.too_large_message(settings)
        return refusal(request, 413, "Your form is too large", message)
    except TimeoutError:
        message = "Your form took too long to arrive. Please check your connection and try again."
        # Close the connection: a client this slow should not keep holding it.
        return refusal(request, 408, "Your form took too long", message, Connection="close")
    except HTTPException:
        message = "Your form arrived in a shape we cannot read. Please send it from our website."
        return refusal(request, 400, "We could not read your form", message)
    except ClientDisconnect:
        log.info("client went away before sending the whole form")
        return Response(status_code=400)

    result = validate(VOLUNTEER, posted)
    if not result.ok:
        return invalid(request, services, result.raw, result.errors)

    if posted.get(HONEYPOT):
        log.info("form filled in the hidden field: answered as received, not stored")
        return accepted(request, store.new_reference())

    raw_key = str(posted.get(IDEMPOTENCY_KEY) or "")
    key = hashlib.sha256(raw_key.encode()).hexdigest() if raw_key else None
    email = str(result.data.get("email", ""))
    submission = store.NewSubmission(
        form=VOLUNTEER.slug,
        data=result.data,
        idempotency_key=key,
        acknowledge_to=email if settings.acknowledge else None,
    )
    try:
        outcome = await services.committer.submit(submission)
    except store.StoreUnavailable:
        return refusal(
            request,
            503,
            "We could not save your form",
            "We could not save your form just now, so it has not been sent. "
            "Please try again in a few minutes.",
            **{"Retry-After": "120"},
        )
    log.info(
        "%s %s", outcome.reference, "repeat, already stored" if outcome.duplicate else "stored"
    )
    return accepted(request, outcome.reference)


def accepted(request: Request, reference: str) -> Response:
    if wants_json(request):
        return JSONResponse({"reference": reference, "status": "received"}, 201)
    return RedirectResponse(THANKS_PATH, 303)


def invalid(
    request: Request, services: Services, values: dict[str, object], errors: dict[str, str]
) -> Response:
    if wants_json(request):
        return JSONResponse({"errors": errors}, 422)
    return HTMLResponse(services.pages.form_with_errors(values, errors), 422)


async def form_page(request: Request) -> Response:
    """Someone opened the form's address directly: send them to the form."""
    return RedirectResponse("/volunteer/#volunteer-form", 303)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the database takes a write and its disk has room for more submissions;
    also reports the state of the outbox."""
    settings: Settings = request.app.state.services.settings

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
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await asyncio.to_thread(prepare_database, settings)
        except sqlite3.Error as exc:
            log.error("database not writable (%s): the form answers 503 until it is", exc)
        await services.committer.start()
        if worker:
            worker.start()
        yield
        await services.committer.stop()
        if worker:
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
