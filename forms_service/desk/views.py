"""The desk's addresses: sign-in, the list, one submission and what can be done to it.

Every page needs a live session, except the sign-in pages; without one, a page sends
the browser to sign-in and shows nothing else. Every post must come from the desk's
own origin and carry the session's CSRF token, or it is refused (403) unchanged.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode, urlsplit

from email_validator import EmailNotValidError, validate_email
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from .. import guard, mailer, retention, store
from ..addresses import ascii_form
from ..export import csv_document
from ..forms import FORMS
from ..reading import BodyTooLarge, read_form
from ..settings import Settings
from . import queries, signin
from .look import Look

log = logging.getLogger("forms_service.desk")

T = TypeVar("T")
MAX_NOTE = 5000
MAX_SEARCH = 200


class Desk:
    """What the desk's handlers share: settings, one database connection, rate limits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.look = Look(settings.site_dir, settings.timezone)
        self.path = urlsplit(settings.desk).path
        self.by_address = guard.RateLimiter(signin.LINKS_PER_ADDRESS)
        self.by_client = guard.RateLimiter(signin.LINKS_PER_CLIENT)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._sending: set[asyncio.Future[None]] = set()

    async def db(self, work: Callable[..., T], *args: Any) -> T:
        """Run database work on a thread, one at a time on the desk's connection."""

        def locked() -> T:
            with self._lock:
                if self._conn is None:
                    self._conn = store.connect(self.settings.database)
                return work(self._conn, *args)

        return await asyncio.to_thread(locked)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def send_in_background(self, message: Any) -> None:
        """Send without making the answer wait, so it takes as long whoever asked."""

        def send() -> None:
            transport = mailer.transport_for(self.settings)
            try:
                transport.send(message)
            except (mailer.TemporaryFailure, mailer.PermanentFailure) as exc:
                log.error("sign-in link not sent: %s", exc)
            finally:
                transport.close()

        future = asyncio.get_running_loop().run_in_executor(None, send)
        self._sending.add(future)
        future.add_done_callback(self._sending.discard)

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("statuses", queries.STATUSES)
        body = self.look.render(template, desk=self.path, **context)
        return HTMLResponse(body, status)

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
            try:
                form = await read_form(request, desk.settings)
            except (BodyTooLarge, TimeoutError):
                return desk.message(request, 413, "Too long", "What you sent is too long.")
            token = str(form.get("csrf", ""))
            if not hmac.compare_digest(token.encode(), session.csrf.encode()):
                return refused
        return await handler(request, desk, session, form)

    return endpoint


def _to_sign_in(request: Request, desk: Desk, *, had_cookie: bool) -> Response:
    """Send the browser to sign-in. A link followed from an email arrives without the
    SameSite=Strict cookie: one reload from our own page brings it, if there is one."""
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    if request.method == "GET" and cross_site and not had_cookie:
        query = f"?{request.url.query}" if request.url.query else ""
        return desk.page(request, "reopen.html", url=request.url.path + query, session=None)
    return RedirectResponse(f"{desk.path}sign-in", 303)


# ---------- sign-in ----------


async def sign_in(request: Request) -> Response:
    desk = desk_of(request)
    if request.method == "GET":
        return desk.page(request, "sign_in.html", session=None, error="")
    settings = desk.settings
    if not guard.from_origins(request, (settings.desk_origin,)):
        return desk.message(request, 403, "Refused", "Please ask for a link from the desk's page.")
    try:
        form = await read_form(request, settings)
    except (BodyTooLarge, TimeoutError):
        return desk.message(request, 413, "Too long", "What you sent is too long.")
    raw = str(form.get("email", "")).strip()
    try:
        address = validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        error = "Enter your email address, like name@example.org"
        return desk.page(request, "sign_in.html", 422, session=None, error=error, value=raw)
    waits = [
        desk.by_client.hit(guard.client_address(request, settings)),
        desk.by_address.hit(address.lower()),
    ]
    if any(waits):
        minutes = int(max(waits) // 60) + 1
        return desk.message(
            request,
            429,
            "Please wait a little",
            f"Several links were asked for in a short while. Try again in {minutes} minute(s).",
        )
    known = signin.coordinator(settings, address)
    if known:
        token = await desk.db(signin.create_link, known, store.now())
        desk.send_in_background(signin.link_email(settings, known, token))
    return desk.page(request, "link_sent.html", session=None)


async def link(request: Request) -> Response:
    """The emailed link: a page with a button, so that a mail scanner opening the link
    does not spend it; the post signs in."""
    desk = desk_of(request)
    token = request.path_params["token"]
    broken = desk.message(
        request,
        400,
        "This link does not work",
        "Sign-in links work once, within 15 minutes. Ask for a new one.",
    )
    if request.method == "GET":
        if not await desk.db(signin.link_is_live, token, store.now()):
            return broken
        return desk.page(request, "link.html", session=None, token=token)
    if not guard.from_origins(request, (desk.settings.desk_origin,)):
        return broken
    address = await desk.db(signin.spend_link, token, store.now())
    if address is None or signin.coordinator(desk.settings, address) is None:
        return broken
    await desk.db(signin.clear_ended, desk.settings, store.now())
    session_id = await desk.db(signin.open_session, address, store.now())
    log.info("a coordinator signed in")
    response = RedirectResponse(desk.path, 303)
    response.set_cookie(
        signin.COOKIE,
        session_id,
        max_age=desk.settings.session_max_hours * 3600,
        path=desk.path,
        secure=desk.settings.desk.startswith("https:"),
        httponly=True,
        samesite="strict",
    )
    return response


@signed_in
async def sign_out(request: Request, desk: Desk, session: signin.Session, form) -> Response:
    await desk.db(signin.end_session, session)
    return _signed_out(request, desk)


@signed_in
async def sign_out_everywhere(
    request: Request, desk: Desk, session: signin.Session, form
) -> Response:
    """For a lost phone or a shared computer: every session of this coordinator ends, this
    one too. The log says it happened (no address: logs hold no personal data)."""
    ended = await desk.db(signin.end_sessions, desk.settings, store.now(), session.address)
    log.info("a coordinator signed out everywhere: %d session(s) ended", ended)
    return _signed_out(request, desk, others=max(ended - 1, 0))


@signed_in
async def sessions(request: Request, desk: Desk, session: signin.Session, form) -> Response:
    others = await desk.db(signin.other_sessions, session, desk.settings, store.now())
    return desk.page(
        request,
        "sessions.html",
        session=session,
        others=others,
        idle_minutes=desk.settings.session_idle_minutes,
        max_hours=desk.settings.session_max_hours,
    )


def _signed_out(request: Request, desk: Desk, others: int | None = None) -> Response:
    """The signed-out page (with how many other sessions ended, after signing out
    everywhere), and the browser told to forget the cookie."""
    response = desk.page(request, "signed_out.html", session=None, others=others)
    response.delete_cookie(
        signin.COOKIE,
        path=desk.path,
        secure=desk.settings.desk.startswith("https:"),
        httponly=True,
        samesite="strict",
    )
    return response


# ---------- the list ----------


def _filters(request: Request, session: signin.Session) -> queries.Filters:
    return _filters_from(request.query_params, session.search)


def _filters_from(params: Any, search: str = "") -> queries.Filters:
    """Only known values: a form, a status and an area that fit it."""
    form = str(params.get("form", ""))
    form = form if form in FORMS else ""
    status, area = str(params.get("status", "")), str(params.get("area", ""))
    return queries.Filters(
        form=form,
        status=status if status in queries.status_choices(form) else "",
        area=area if area in dict(queries.area_choices(form)) else "",
        waiting=params.get("waiting") == "1",
        search=search,
    )


def _query(filters: queries.Filters, **extra: object) -> str:
    pairs = {
        "form": filters.form,
        "status": filters.status,
        "area": filters.area,
        "waiting": "1" * filters.waiting,
    }
    pairs.update({k: str(v) for k, v in extra.items()})
    query = urlencode({k: v for k, v in pairs.items() if v})
    return f"?{query}" if query else ""


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@signed_in
async def home(request: Request, desk: Desk, session: signin.Session, form) -> Response:
    filters = _filters(request, session)
    now = store.now()
    page = await desk.db(
        queries.list_page,
        filters,
        now,
        desk.settings.follow_up_days,
        _id(request.query_params.get("before")),
        _id(request.query_params.get("after")),
    )
    others = await desk.db(signin.other_sessions, session, desk.settings, now)
    return desk.page(
        request,
        "list.html",
        session=session,
        other_sessions=len(others),
        page=page,
        count_limit=queries.COUNT_LIMIT,
        filters=filters,
        forms=FORMS,
        statuses=queries.status_choices(filters.form),
        areas=queries.area_choices(filters.form),
        now=now,
        follow_up_days=desk.settings.follow_up_days,
        query=_query(filters),
        newer=_query(filters, after=page.newer) if page.newer else "",
        older=_query(filters, before=page.older) if page.older else "",
        erased=request.query_params.get("erased", "")[:12],
    )


@signed_in
async def set_filters(request: Request, desk: Desk, session: signin.Session, form) -> Response:
    """Status and area go in the address; the search words stay on the server."""
    search = str(form.get("search", "")).strip()[:MAX_SEARCH]
    await desk.db(signin.remember_search, session, search)
    filters = _filters_from(form)
    return RedirectResponse(desk.path + _query(filters), 303)


@signed_in
async def export(request: Request, desk: Desk, session: signin.Session, form) -> Response:
    filters = _filters(request, session)
    subs = await desk.db(
        queries.export, filters, session.address, store.now(), desk.settings.follow_up_days
    )
    log.info("a coordinator exported %d submission(s)", len(subs))
    fields = list({f.name: f for form_def in FORMS.values() for f in form_def.fields}.values())
    rows = queries.rows_for(subs, desk.settings.timezone)
    text = csv_document(fields, ["Reference", "Received", "Status"], rows)
    return Response(
        text.encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="submissions.csv"',
        },
    )


# ---------- one submission ----------


async def _find(
    request: Request, desk: Desk, session: signin.Session
) -> queries.Submission | Response:
    reference = request.path_params["reference"]
    sub = await desk.db(queries.find, reference)
    if sub is not None:
        return sub
    gone = await desk.db(queries.erasure, reference)
    if gone:
        return desk.page(request, "erased.html", 404, gone=gone, session=session)
    return desk.message(request, 404, "Not found", "There is no submission with this reference.")


def on_submission(
    handler: Callable[..., Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A signed-in page about the submission named in the address."""

    @signed_in
    async def with_submission(request: Request, desk: Desk, session: signin.Session, form):
        sub = await _find(request, desk, session)
        if isinstance(sub, Response):
            return sub
        return await handler(request, desk, session, form, sub)

    return with_submission


@on_submission
async def detail(
    request: Request, desk: Desk, session: signin.Session, form, sub: queries.Submission
) -> Response:
    notes = await desk.db(queries.notes, sub.id)
    history = await desk.db(queries.history, sub.id)
    subject = quote(f"{sub.reply_subject} ({sub.reference})")
    return desk.page(
        request,
        "detail.html",
        session=session,
        sub=sub,
        statuses=sub.statuses,
        rows=sub.form.readable(sub.data),
        notes=notes,
        history=history,
        mailto=f"mailto:{quote(ascii_form(sub.email), safe='@')}?subject={subject}"
        if sub.may_email
        else "",
        done=request.query_params.get("done", ""),
    )


@on_submission
async def change_status(
    request: Request, desk: Desk, session: signin.Session, form, sub: queries.Submission
) -> Response:
    status = str(form.get("status", ""))
    if status not in sub.statuses:
        return desk.message(request, 400, "Unknown status", "Choose one of the listed statuses.")
    await desk.db(queries.set_status, sub, status, session.address, store.now())
    return RedirectResponse(f"{desk.path}submissions/{sub.reference}?done=status", 303)


@on_submission
async def add_note(
    request: Request, desk: Desk, session: signin.Session, form, sub: queries.Submission
) -> Response:
    body = str(form.get("note", "")).strip()
    if not body or len(body) > MAX_NOTE:
        return desk.message(
            request, 400, "Note not added", f"Write a note of 1 to {MAX_NOTE:,} characters."
        )
    await desk.db(queries.add_note, sub, body, session.address, store.now())
    return RedirectResponse(f"{desk.path}submissions/{sub.reference}?done=note#notes", 303)


@on_submission
async def erase(
    request: Request, desk: Desk, session: signin.Session, form, sub: queries.Submission
) -> Response:
    if request.method == "GET":
        return desk.page(request, "erase.html", session=session, sub=sub)
    await desk.db(retention.erase, desk.settings, sub.reference, session.address)
    return RedirectResponse(f"{desk.path}?erased={sub.reference}", 303)


async def no_slash(request: Request) -> Response:
    return RedirectResponse(desk_of(request).path, 308)


def routes() -> list[BaseRoute]:
    return [
        Route("/desk", no_slash),
        Mount(
            "/desk",
            routes=[
                Route("/", home),
                Route("/sign-in", sign_in, methods=["GET", "POST"]),
                Route("/link/{token}", link, methods=["GET", "POST"]),
                Route("/sign-out", sign_out, methods=["POST"]),
                Route("/sign-out-everywhere", sign_out_everywhere, methods=["POST"]),
                Route("/sessions", sessions),
                Route("/filter", set_filters, methods=["POST"]),
                Route("/export", export, methods=["POST"]),
                Route("/submissions/{reference}", detail),
                Route("/submissions/{reference}/status", change_status, methods=["POST"]),
                Route("/submissions/{reference}/notes", add_note, methods=["POST"]),
                Route("/submissions/{reference}/erase", erase, methods=["GET", "POST"]),
            ],
        ),
    ]
