"""One submission on the desk: its page, and what a coordinator can do to it (status,
notes, erase for good)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..forms.addresses import ascii_form
from ..storage import retention, store
from . import queries, signin
from .shared import Desk, signed_in

MAX_NOTE = 5000


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
