"""Reading a posted form's body: within a size cap and a time limit, without files,
as UTF-8 only.

Both faces of the service read their forms this way (the intake and the desk).
Starlette's parser reads bytes that are not UTF-8 as Latin-1 (in a multipart part, or
unencoded in a urlencoded body) or as U+FFFD (percent-encoded), which would store text
nobody typed; so the body is checked first, and a form that is not UTF-8 is refused.
So is a multipart part that says its bytes are in another charset or transfer-encoded
(base64, quoted-printable): Starlette ignores both and would store `Jos=E9` as typed.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Message, Receive

from ..settings import Settings

MAX_FIELDS = 60
URLENCODED = b"application/x-www-form-urlencoded"
MULTIPART = b"multipart/form-data"
AS_TYPED = frozenset({b"7bit", b"8bit", b"binary"})
"""Transfer encodings that leave the bytes as they are (RFC 2045)."""
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
    if not _says_utf8(params):
        return None
    try:
        (unquote_to_bytes(body) if kind == URLENCODED else body).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if kind == URLENCODED:
        return UNENCODED_BYTE.sub(lambda byte: b"%%%02X" % byte[0][0], body)
    if kind == MULTIPART and not _parts_as_typed(params, body):
        return None
    return body


def _says_utf8(params: dict[bytes, bytes]) -> bool:
    """Whether a Content-Type's parameters declare UTF-8 or no charset (which means UTF-8
    for a form); an unknown charset is not UTF-8, nor one the codec lookup cannot even
    look up (a NUL inside raises ValueError, a lone surrogate UnicodeError)."""
    try:
        return codecs.lookup(params.get(b"charset", b"utf-8").decode("latin-1")).name == "utf-8"
    except (LookupError, ValueError):
        return False


def _parts_as_typed(params: dict[bytes, bytes], body: bytes) -> bool:
    """Whether every part of a multipart body leaves its bytes UTF-8 as typed. A body
    the parser cannot read is not (Starlette, with the same parser, refuses it too)."""
    try:
        return all(map(_header_as_typed, _part_headers(params, body)))
    except FormParserError:
        return False


def _part_headers(params: dict[bytes, bytes], body: bytes) -> list[tuple[bytes, bytes]]:
    """Every part header of a multipart body as (lower-cased name, value), found by the
    parser Starlette uses, so that both see the same parts."""
    headers: list[tuple[bytes, bytes]] = []
    name, value = bytearray(), bytearray()

    def header_end() -> None:
        headers.append((bytes(name).lower(), bytes(value).strip()))
        name.clear()
        value.clear()

    callbacks = {
        "on_header_field": lambda data, start, end: name.extend(data[start:end]),
        "on_header_value": lambda data, start, end: value.extend(data[start:end]),
        "on_header_end": header_end,
    }
    parser = MultipartParser(params.get(b"boundary", b""), callbacks)
    parser.write(body)
    parser.finalize()
    return headers


def _header_as_typed(header: tuple[bytes, bytes]) -> bool:
    """Whether a part header leaves the part's bytes UTF-8 as typed: no other charset,
    no transfer encoding such as base64 or quoted-printable."""
    name, value = header
    if name == b"content-type":
        return _says_utf8(parse_options_header(value)[1])
    return name != b"content-transfer-encoding" or value.lower() in AS_TYPED


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
