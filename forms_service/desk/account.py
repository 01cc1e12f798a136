"""A coordinator coming in and going out: the sign-in page, the emailed link, sign out,
sign out everywhere, and the page of their other sessions.

Sign-in and the link are the only desk pages open without a session; they check the
origin themselves (there is no CSRF token before a session exists).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..forms.addresses import UnsafeAddress, canonical
from ..storage import store
from ..web import guard
from . import signin
from .shared import Desk, desk_of, posted, signed_in

log = logging.getLogger("forms_service.desk")


async def sign_in(request: Request) -> Response:
    desk = desk_of(request)
    if request.method == "GET":
        return desk.page(request, "sign_in.html", session=None, error="")
    settings = desk.settings
    if not guard.from_origins(request, (settings.desk_origin,)):
        return desk.message(request, 403, "Refused", "Please ask for a link from the desk's page.")
    form = await posted(request, desk)
    if isinstance(form, Response):
        return form
    raw = str(form.get("email", "")).strip()
    try:
        address = canonical(raw)
    except UnsafeAddress:
        error = "Enter your email address, like name@example.org"
        return desk.page(request, "sign_in.html", 422, session=None, error=error, value=raw)
    # Only per client: a limit per address would let a stranger who knows a coordinator's
    # address keep them out. Their inbox is spared by create_link's cap instead.
    wait = desk.by_client.hit(guard.client_address(request, settings))
    if wait:
        minutes = int(wait // 60) + 1
        return desk.message(
            request,
            429,
            "Please wait a little",
            f"Several links were asked for in a short while. Try again in {minutes} minute(s).",
        )
    known = signin.coordinator(settings, address)
    if known:  # written after the answer: its timing tells nobody who is a coordinator
        desk.send_link_in_background(known)
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
    session_id = await desk.db(signin.sign_in_by_link, token, desk.settings, store.now())
    if session_id is None:
        return broken
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
    now = store.now()
    stored = await desk.db(signin.end_sessions, now, session.address)
    ended = sum(signin.is_live(desk.settings, s, now) for s in stored)
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
    desk.forget_cookie(response)
    return response
