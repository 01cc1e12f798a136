"""Reading a posted form's body: within a size cap and a time limit, without files,
as UTF-8 only.

Both faces of the service read their forms this way (the intake and the desk).
Starlette's parser reads bytes that are not UTF-8 as Latin-1 (in a multipart part, or
unencoded in a urlencoded body) or as U+FFFD (percent-encoded), which would store text
nobody typed; so the body is checked first, and a form that is not UTF-8 is refused.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from urllib.parse import unquote_to_bytes

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive

from .settings import Settings

MAX_FIELDS = 60
URLENCODED = b"application/x-www-form-urlencoded"
UNENCODED_BYTE = re.compile(rb"[\x80-\xff]")


class BodyTooLarge(Exception):
    """The body grew past the cap while it was being read (no or false Content-Length)."""


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


def _replay(body: bytes) -> Receive:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def utf8_body(content_type: str, body: bytes) -> bytes | None:
    """The body for Starlette to parse, or None when it is not UTF-8 (or says it is not).

    Percent-decoded as a whole, a urlencoded body is valid UTF-8 exactly when every name
    and value is: & = + are ASCII, never part of a character. So is a multipart body,
    whose boundaries and part headers are ASCII. Unencoded UTF-8 in a urlencoded body
    (`curl -d name=José`) is percent-encoded here, so that Starlette reads it as UTF-8 too.
    """
    kind, params = parse_options_header(content_type)
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        if codecs.lookup(charset).name != "utf-8":
            return None
        (unquote_to_bytes(body) if kind == URLENCODED else body).decode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    if kind == URLENCODED:
        return UNENCODED_BYTE.sub(lambda byte: b"%%%02X" % byte[0][0], body)
    return body


async def read_form(request: Request, settings: Settings) -> FormData:
    """Parse the body within the size cap and the time limit, without files, as UTF-8.

    A body Starlette cannot parse, or that is not UTF-8, raises HTTPException(400).
    """
    limited = Request(request.scope, _limited_receive(request.receive, settings.max_body_bytes))
    async with asyncio.timeout(settings.body_timeout):
        body = await limited.body()
    readable = utf8_body(request.headers.get("content-type", ""), body)
    if readable is None:
        raise HTTPException(400, "The form is not UTF-8.")
    # The body cap bounds every part too, so a large field gets the 413 it deserves.
    return await Request(request.scope, _replay(readable)).form(
        max_files=0, max_fields=MAX_FIELDS, max_part_size=settings.max_body_bytes
    )
