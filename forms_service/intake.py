"""The public intake: every form's endpoint (/api/forms/<slug>), from the body to the answer.

One submission flows one way: guard -> parse -> validate -> store -> respond.
Delivery happens elsewhere (outbox.Worker), woken after each commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import TYPE_CHECKING

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import Message, Receive

from . import guard, keys, store
from .forms import FORMS, HONEYPOT, IDEMPOTENCY_KEY, VOLUNTEER, Form
from .settings import Settings
from .validation import validate

if TYPE_CHECKING:
    from .app import Services

log = logging.getLogger("forms_service")

MAX_FIELDS = 60


class BodyTooLarge(Exception):
    """The body grew past the cap while it was being read (no or false Content-Length)."""


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def refusal(
    request: Request, status: int, title: str, message: str, form: Form = VOLUNTEER, **headers: str
) -> Response:
    """A refusal in the form the client asked for: JSON for scripts, a page for people."""
    if wants_json(request):
        return JSONResponse({"error": message}, status, headers=headers)
    page = request.app.state.services.pages.message(form, title, message)
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


async def form_resource(request: Request) -> Response:
    """One resource per form, so that 405 answers list every method it takes."""
    form = FORMS.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    if request.method == "POST":
        return await submit(request, form)
    return RedirectResponse(f"{form.page}#{form.slug}-form", 303)


async def submit(request: Request, form: Form) -> Response:
    services: Services = request.app.state.services
    settings = services.settings
    try:
        guard.check(request, settings, services.limiter)
        posted = await read_form(request, settings)
    except guard.Refusal as r:
        title = "We could not take your form"
        return refusal(request, r.status, title, r.message, form, **r.headers)
    except BodyTooLarge:
        message = guard.too_large_message(settings)
        return refusal(request, 413, "Your form is too large", message, form)
    except TimeoutError:
        message = "Your form took too long to arrive. Please check your connection and try again."
        # Close the connection: a client this slow should not keep holding it.
        return refusal(request, 408, "Your form took too long", message, form, Connection="close")
    except HTTPException:
        message = "Your form arrived in a shape we cannot read. Please send it from our website."
        return refusal(request, 400, "We could not read your form", message, form)
    except ClientDisconnect:
        log.info("client went away before sending the whole form")
        return Response(status_code=400)

    result = validate(form, posted)
    if not result.ok:
        return invalid(request, services, form, result.raw, result.errors)

    if posted.get(HONEYPOT):
        log.info("form filled in the hidden field: answered as received, not stored")
        return accepted(request, form, store.new_reference(form.prefix))

    raw_key = str(posted.get(IDEMPOTENCY_KEY) or "")
    key = hashlib.sha256(raw_key.encode()).hexdigest() if raw_key else None
    email = str(result.data.get("email", ""))
    try:
        # the key file is read once, or created beside the database on the first post
        thank = wants_acknowledgement(form, result.data, settings) and keys.address_hash(
            keys.service_key(settings.database), email
        )
        submission = store.NewSubmission(
            form=form.slug,
            data=result.data,
            idempotency_key=key,
            acknowledge_hash=thank or None,
            prefix=form.prefix,
        )
        outcome = await services.committer.submit(submission)
    except (store.StoreUnavailable, OSError):
        return refusal(
            request,
            503,
            "We could not save your form",
            "We could not save your form just now, so it has not been sent. "
            "Please try again in a few minutes.",
            form,
            **{"Retry-After": "120"},
        )
    if outcome.conflict:
        log.info("%s repeat with different answers: refused", outcome.reference)
        return refusal(
            request,
            409,
            "This form was already sent",
            "This form was already sent with different answers, and those are the ones we"
            " kept. To send your new answers, reload the page and send the form again.",
            form,
        )
    log.info(
        "%s %s", outcome.reference, "repeat, already stored" if outcome.duplicate else "stored"
    )
    return accepted(request, form, outcome.reference)


def wants_acknowledgement(form: Form, data: dict[str, object], settings: Settings) -> bool:
    """A form with its own tick box thanks only those who tick it (their inbox may be
    watched); the others follow FORMS_ACKNOWLEDGE. Never without an address."""
    if not data.get("email"):
        return False
    if form.acknowledge:
        return data.get(form.acknowledge) == "yes"
    return settings.acknowledge


def accepted(request: Request, form: Form, reference: str) -> Response:
    if wants_json(request):
        return JSONResponse({"reference": reference, "status": "received"}, 201)
    return RedirectResponse(form.thanks, 303)


def invalid(
    request: Request,
    services: Services,
    form: Form,
    values: dict[str, object],
    errors: dict[str, str],
) -> Response:
    if wants_json(request):
        return JSONResponse({"errors": errors}, 422)
    return HTMLResponse(services.pages.form_with_errors(form, values, errors), 422)
