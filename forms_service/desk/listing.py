"""The desk's list of submissions: filters, paging and the CSV export of what it shows.

Status, form and area travel in the address (only known values are kept); the search
words stay on the server, in the session.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..forms.definitions import FORMS
from ..storage import store
from . import queries, signin
from .export import submissions_csv
from .shared import Desk, signed_in

log = logging.getLogger("forms_service.desk")

MAX_SEARCH = 200


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


async def _erased(desk: Desk, reference: str) -> str:
    """The reference named after an erasure, only if it really was erased: the address is
    anyone's to write, and the desk must not repeat whatever text a link puts in it."""
    if not reference or len(reference) > 40:
        return ""
    gone = await desk.db(queries.erasure, reference)
    return str(gone["reference"]) if gone else ""


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
    erased = await _erased(desk, request.query_params.get("erased", ""))
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
        erased=erased,
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
    text = submissions_csv(subs, desk.settings.timezone)
    return Response(
        text.encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="submissions.csv"',
        },
    )
