"""How the service says no: a refusal in the form the client asked for (JSON for
scripts, a page of the site for people) and in the language of the page the person
came from; and the error pages for Starlette's own 404, 405 and 400, and for a fault.

The intake (intake.py) refuses through `refusal`; the app (app.py) fits the error
pages as its exception handlers.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..forms.definitions import VOLUNTEER, Form
from ..forms.words import Words, language, say

log = logging.getLogger("forms_service")

UNREADABLE = Words("We could not read your form", es="No pudimos leer tu formulario")
UNREADABLE_MESSAGE = Words(
    "Your form arrived in a shape we cannot read. Please send it from our website.",
    es="Tu formulario llegó de una forma que no podemos leer. Envíalo desde nuestro sitio.",
)
WENT_WRONG = Words("Something went wrong", es="Algo salió mal")
TRY_AGAIN = Words("Please try again.", es="Vuelve a intentarlo.")
TRY_LATER = Words("Please try again in a few minutes.", es="Vuelve a intentarlo en unos minutos.")
ERROR_WORDS = {
    400: (UNREADABLE, UNREADABLE_MESSAGE),  # only a form Starlette or web/reading.py cannot read
    404: (
        Words("Page not found", es="No encontramos la página"),
        Words("There is nothing at this address.", es="No hay nada en esta dirección."),
    ),
    405: (
        Words("Not allowed", es="No permitido"),
        Words(
            "This address does not accept that kind of request.",
            es="Esta dirección no acepta ese tipo de pedido.",
        ),
    ),
}


def wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def language_of(request: Request) -> str:
    """The language of the page the form was sent from: its address says so (`?lang=es`),
    so even a refusal given before the body is read is in the person's language."""
    return language(request.query_params.get("lang"))


def refusal(
    request: Request, status: int, title: str, message: str, form: Form = VOLUNTEER, **headers: str
) -> Response:
    """A refusal in the form the client asked for (JSON for scripts, a page for people),
    in the language of the page the person came from."""
    lang = language_of(request)
    if wants_json(request):
        return JSONResponse({"error": say(message, lang)}, status, headers=headers)
    page = request.app.state.services.pages.message(
        form, say(title, lang), say(message, lang), lang
    )
    return HTMLResponse(page, status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405, in our words; headers such as Allow are kept."""
    assert isinstance(exc, HTTPException)
    title, message = ERROR_WORDS.get(exc.status_code, (WENT_WRONG, TRY_AGAIN))
    return refusal(request, exc.status_code, title, message, **(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error: %s", type(exc).__name__)
    return refusal(request, 500, WENT_WRONG, TRY_LATER)
