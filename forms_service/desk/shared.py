"""What every desk handler stands on: the Desk object and the signed_in gate.

A module of its own so that the handler modules and the routes table (views.py) can
all import it without importing each other. Every page needs a live session, except
the sign-in pages; without one, a page sends the browser to sign-in and shows nothing
else. Every post must come from the desk's own origin and carry the session's CSRF
token, or it is refused (403) unchanged.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..mail import sending
from ..settings import Settings
from ..storage import store
from ..web import guard
from ..web.reading import BodyTooLarge, read_form
from . import queries, signin
from .look import Look

log = logging.getLogger("forms_service.desk")

T = TypeVar("T")


class Desk:
    """What the desk's handlers share: settings, one database connection, rate limits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.look = Look(settings.site_dir, settings.timezone)
        self.path = urlsplit(settings.desk).path
        self.by_client = guard.RateLimiter(signin.LINKS_PER_CLIENT)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._sending: set[asyncio.Future[None]] = set()

    async def db(self, work: Callable[..., T], *args: Any) -> T:
        """Run database work on a thread, one at a time on the desk's connection."""
        return await asyncio.to_thread(self._locked, work, *args)

    def _locked(self, work: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._conn is None:
                self._conn = store.connect(self.settings.database)
            return work(self._conn, *args)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def send_link_in_background(self, address: str) -> None:
        """Write a sign-in link for a coordinator and email it, after the answer: the answer
        then waits on no disk sync or mail server, and takes as long whoever asked."""

        def write_and_send() -> None:
            try:
                token = self._locked(signin.create_link, address, store.now())
            except sqlite3.Error as exc:
                log.error("sign-in link not written: %s", type(exc).__name__)
                return
            if token is None:
                return
            transport = sending.transport_for(self.settings)
            try:
                transport.send(signin.link_email(self.settings, address, token))
            except (sending.TemporaryFailure, sending.PermanentFailure) as exc:
                log.error("sign-in link not sent: %s", exc)
            finally:
                transport.close()

        future = asyncio.get_running_loop().run_in_executor(None, write_and_send)
        self._sending.add(future)
        future.add_done_callback(self._sending.discard)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("statuses", queries.STATUSES)
        body = self.look.render(template, desk=self.path, **context)
        return HTMLResponse(body, status)

    def forget_cookie(self, response: Response) -> None:
        """Tell the browser to drop the session cookie (set as account.link sets it)."""
        response.delete_cookie(
            signin.COOKIE,
            path=self.path,
            secure=self.settings.desk.startswith("https:"),
            httponly=True,
            samesite="strict",
        )

    def message(self, request: Request, status: int, title: str, text: str) -> Response:
        return self.page(request, "message.html", status, title=title, text=text, session=None)


def desk_of(request: Request) -> Desk:
    return request.app.state.desk


Handler = Callable[[Request, Desk, signin.Session, FormData | None], Awaitable[Response]]


def signed_in(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page for coordinators only; a post also passes the origin and CSRF checks."""

    async def endpoint(request: Request) -> Response:
        desk = desk_of(request)
        cookie = request.cookies.get(signin.COOKIE, "")
        session = None
        if cookie:
            session = await desk.db(signin.load_session, cookie, desk.settings, store.now())
        if session is None:
            return _to_sign_in(request, desk, had_cookie=bool(cookie))
        form = None
        if request.method == "POST":
            refused = desk.message(
                request,
                403,
                "This action was refused",
                "It did not come from a page of the desk. Nothing was changed. "
                "Go back to the desk and try again.",
            )
            if not guard.from_origins(request, (desk.settings.desk_origin,)):
                return refused
            form = await posted(request, desk)
            if isinstance(form, Response):
                return form
            token = str(form.get("csrf", ""))
            if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                return refused
        return await handler(request, desk, session, form)

    return endpoint


async def posted(request: Request, desk: Desk) -> FormData | Response:
    """The post's form, or the answer when it cannot be had: too long or too slow (413),
    or the client hung up before sending it all (logged as the intake logs it, one line
    without a traceback or anything sent, as nobody is there to read the answer)."""
    try:
        return await read_form(request, desk.settings)
    except (BodyTooLarge, TimeoutError):
        return desk.message(request, 413, "Too long", "What you sent is too long.")
    except ClientDisconnect:
        log.info("client went away before sending the whole form")
        return Response(status_code=400)


def _to_sign_in(request: Request, desk: Desk, *, had_cookie: bool) -> Response:
    """Send the browser to sign-in. A link followed from an email arrives without the
    SameSite=Strict cookie: one reload from our own page brings it, if there is one."""
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if request.method == "GET" and cross_site and not had_cookie:
        query = f"?{request.url.query}" if request.url.query else ""
        return desk.page(request, "reopen.html", url=request.url.path + query, session=None)
    response = RedirectResponse(f"{desk.path}sign-in", 303)
    if had_cookie:  # it opens nothing any more: the browser need not keep sending it
        desk.forget_cookie(response)
    return response
