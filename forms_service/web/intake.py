"""The public intake: every form's endpoint (/api/forms/<slug>), from the body to the answer.

One submission flows one way: guard -> parse -> validate -> store -> respond.
Delivery happens elsewhere (outbox.Worker), woken after each commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..forms import openapi
from ..forms.definitions import FORMS, HONEYPOT, IDEMPOTENCY_KEY, Form
from ..forms.validation import validate
from ..forms.words import LANGUAGE_KEY, Words, in_edition, say
from ..settings import Settings
from ..storage import keys, store, submissions
from . import guard
from .reading import BodyTooLarge, read_form
from .refusals import (
    TRY_LATER,
    UNREADABLE,
    UNREADABLE_MESSAGE,
    language_of,
    refusal,
    wants_json,
)
from .services import Services

log = logging.getLogger("forms_service")

NOT_TAKEN = Words("We could not take your form", es="No pudimos recibir tu formulario")
TOO_LARGE = Words("Your form is too large", es="Tu formulario es demasiado grande")
TOO_SLOW = Words("Your form took too long", es="Tu formulario tardó demasiado")
TOO_SLOW_MESSAGE = Words(
    "Your form took too long to arrive. Please check your connection and try again.",
    es="Tu formulario tardó demasiado en llegar. Revisa tu conexión y vuelve a intentarlo.",
)
NOT_SAVED = Words("We could not save your form", es="No pudimos guardar tu formulario")
NOT_SAVED_MESSAGE = Words(
    "We could not save your form just now, so it has not been sent. "
    "Please try again in a few minutes.",
    es="En este momento no pudimos guardar tu formulario, así que no se envió. "
    "Vuelve a intentarlo en unos minutos.",
)
ALREADY_SENT = Words("This form was already sent", es="Este formulario ya se envió")
ALREADY_SENT_MESSAGE = Words(
    "This form was already sent with different answers, and those are the ones we"
    " kept. To send your new answers, reload the page and send the form again.",
    es="Este formulario ya se envió con otras respuestas, y esas son las que guardamos."
    " Para enviar tus respuestas nuevas, vuelve a cargar la página y envía el"
    " formulario otra vez.",
)


async def form_resource(request: Request) -> Response:
    """One resource per form, so that 405 answers list every method it takes."""
    form = FORMS.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    if request.method == "POST":
        return await submit(request, form)
    page = in_edition(f"{form.page}#{form.slug}-form", language_of(request))
    return RedirectResponse(page, 303)


async def openapi_document(request: Request) -> Response:
    """The OpenAPI document of these endpoints, made from the forms' definitions."""
    return JSONResponse(openapi.document(FORMS))


async def submit(request: Request, form: Form) -> Response:
    """Check the post before reading it, then take it while holding its place in the
    rate limit: the place is kept only for a post that is stored (or looks stored)."""
    services: Services = request.app.state.services
    try:
        place = guard.check(request, services.settings, services.limiter)
    except guard.Refusal as r:
        if wants_json(request) or r.status not in KEEPS_WORDS:
            return refusal(request, r.status, NOT_TAKEN, r.message, form, **r.headers)
        return await refused_keeping_words(request, services, form, r)
    with place:
        return await receive(request, form, services, place)


async def receive(request: Request, form: Form, services: Services, place: guard.Place) -> Response:
    """Read, validate and store one post; `place.keep()` marks the outcomes that count."""
    settings = services.settings
    posted = await read_or_refuse(request, form, settings)
    if isinstance(posted, Response):
        return posted

    lang = language_of(request)
    result = validate(form, posted, lang)
    if not result.ok:
        return invalid(request, services, form, result.raw, result.errors)

    if posted.get(HONEYPOT):
        # Counted as if stored: a robot then meets the same limit as a person, and
        # nothing in the answers tells it that it was caught.
        place.keep()
        log.info("form filled in the hidden field: answered as received, not stored")
        asked = wants_acknowledgement(form, result.data, settings)
        reference = submissions.new_reference(form.prefix)
        return accepted(request, services, form, reference, "sending" if asked else "not_asked")
    result.data[LANGUAGE_KEY] = lang

    key = hashed_key(posted)
    email = str(result.data.get("email", ""))
    try:
        # the key file is read once, or created beside the database on the first post
        thank = wants_acknowledgement(form, result.data, settings) and keys.address_hash(
            keys.service_key(settings.database), email
        )
        submission = submissions.NewSubmission(
            form=form.slug,
            data=result.data,
            idempotency_key=key,
            acknowledge_hash=thank or None,
            prefix=form.prefix,
        )
        outcome = await services.committer.submit(submission)
    except (store.StoreUnavailable, OSError):
        retry = {"Retry-After": "120"}
        return not_kept(
            request, services, form, result.raw, 503, NOT_SAVED, NOT_SAVED_MESSAGE, retry
        )
    if outcome.conflict:
        log.info("%s repeat with different answers: refused", outcome.reference)
        return not_kept(
            request, services, form, result.raw, 409, ALREADY_SENT, ALREADY_SENT_MESSAGE
        )
    if not outcome.duplicate:
        place.keep()  # a repeat of a stored post was counted when it was first stored
    log.info(
        "%s %s", outcome.reference, "repeat, already stored" if outcome.duplicate else "stored"
    )
    return accepted(request, services, form, outcome.reference, outcome.acknowledgement)


async def read_or_refuse(request: Request, form: Form, settings: Settings) -> FormData | Response:
    """The posted form, or the refusal to answer when it cannot be read."""
    try:
        return await read_form(request, settings)
    except BodyTooLarge:
        message = guard.too_large_message(settings)
        return refusal(request, 413, TOO_LARGE, message, form)
    except TimeoutError:
        # Close the connection: a client this slow should not keep holding it.
        return refusal(request, 408, TOO_SLOW, TOO_SLOW_MESSAGE, form, Connection="close")
    except HTTPException:
        return refusal(request, 400, UNREADABLE, UNREADABLE_MESSAGE, form)
    except ClientDisconnect:
        log.info("client went away before sending the whole form")
        return Response(status_code=400)


KEEPS_WORDS = frozenset({403, 429})
"""Refusals before the body is read that a person may meet with a form filled in (a
browser that sends no Origin, a shared wifi over the limit): their form is read then,
to be shown again with their words. The others (413, 415) have no form one could show."""


async def refused_keeping_words(
    request: Request, services: Services, form: Form, refused: guard.Refusal
) -> Response:
    """The form again, with the person's words and the refusal at the top, as for
    mistakes: without JavaScript the page is all they have, and an empty form would
    lose their message. The message page only when the body cannot be read."""
    try:
        posted = await read_form(request, services.settings)
    except (BodyTooLarge, TimeoutError, HTTPException, ClientDisconnect):
        return refusal(request, refused.status, NOT_TAKEN, refused.message, form, **refused.headers)
    values = validate(form, posted, language_of(request)).raw
    return not_kept(
        request, services, form, values, refused.status, NOT_TAKEN, refused.message, refused.headers
    )


def not_kept(
    request: Request,
    services: Services,
    form: Form,
    values: dict[str, object],
    status: int,
    title: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """A refusal of a form that was read: JSON for scripts; for people, the form again
    with what they typed and the refusal at its top."""
    if wants_json(request):
        return refusal(request, status, title, message, form, **(headers or {}))
    lang = language_of(request)
    page = services.pages.form_refused(form, values, say(title, lang), say(message, lang), lang)
    return HTMLResponse(page, status, headers=headers)


def wants_acknowledgement(form: Form, data: dict[str, object], settings: Settings) -> bool:
    """A form with its own tick box thanks only those who tick it (their inbox may be
    watched); the others follow FORMS_ACKNOWLEDGE. Never without an address."""
    if not data.get("email"):
        return False
    if form.acknowledge:
        return data.get(form.acknowledge) == "yes"
    return settings.acknowledge


def accepted(
    request: Request, services: Services, form: Form, reference: str, acknowledgement: str
) -> Response:
    """The thank-you page, with the reference and what became of the email saying we
    received it, as the answer to the post itself: neither goes into an address or the
    browser's storage, where a watched device would keep them."""
    if wants_json(request):
        answer = {"reference": reference, "status": "received", "acknowledgement": acknowledgement}
        return JSONResponse(answer, 201)
    page = services.pages.thank_you(form, reference, acknowledgement, language_of(request))
    return HTMLResponse(page)


NO_PAGE = Words("We could not show this page", es="No pudimos mostrar esta página")
NOT_FOUND = Words("We could not find your form", es="No encontramos tu formulario")
NOT_FOUND_MESSAGE = Words(
    "We cannot find a form sent from this page. If you sent it, it may have been deleted"
    " since; if you are not sure it arrived, please send it again.",
    es="No encontramos ningún formulario enviado desde esta página. Si lo enviaste, puede"
    " que ya se haya borrado; si no sabes si llegó, vuelve a enviarlo.",
)


async def thank_you(request: Request) -> Response:
    """The thank-you page of a form the page's script has just sent (and been told
    201): the script posts the same idempotency key here, so the browser shows the
    page the post would have answered, with nothing in the address."""
    form = FORMS.get(request.path_params["slug"])
    if form is None:
        raise HTTPException(404)
    services: Services = request.app.state.services
    try:
        guard.check_sender(request, services.settings)
    except guard.Refusal as r:
        return refusal(request, r.status, NO_PAGE, r.message, form, **r.headers)
    posted = await read_or_refuse(request, form, services.settings)
    if isinstance(posted, Response):
        return posted
    key = hashed_key(posted)
    try:
        stored = key and await asyncio.to_thread(lookup, services.settings, form, key)
    except (sqlite3.Error, OSError) as exc:
        log.error("could not read the database for a thank-you page: %s", type(exc).__name__)
        return refusal(request, 503, NO_PAGE, TRY_LATER, form, **{"Retry-After": "120"})
    if not stored:
        return refusal(request, 404, NOT_FOUND, NOT_FOUND_MESSAGE, form)
    return accepted(request, services, form, *stored)


def hashed_key(posted: FormData) -> str | None:
    """The idempotency key as stored: hashed, so the database never holds the key that
    would fetch a thank-you page."""
    raw_key = str(posted.get(IDEMPOTENCY_KEY) or "")
    return hashlib.sha256(raw_key.encode()).hexdigest() if raw_key else None


def lookup(settings: Settings, form: Form, key: str) -> tuple[str, str] | None:
    """The reference and the email's outcome of the submission sent with this key."""
    conn = store.connect(settings.database)
    try:
        found = submissions.stored_by_key(conn, form.slug, key)
        if found is None:
            return None
        reference, data = found
        asked = wants_acknowledgement(form, data, settings)
        return reference, submissions.acknowledgement_of(conn, reference, asked)
    finally:
        conn.close()


def invalid(
    request: Request,
    services: Services,
    form: Form,
    values: dict[str, object],
    errors: dict[str, str],
) -> Response:
    if wants_json(request):
        return JSONResponse({"errors": errors}, 422)
    page = services.pages.form_with_errors(form, values, errors, language_of(request))
    return HTMLResponse(page, 422)
