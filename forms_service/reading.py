"""Reading a posted form's body: within a size cap and a time limit, without files.

Both faces of the service read their forms this way (the intake and the desk).
"""

from __future__ import annotations

import asyncio

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.types import Message, Receive

from .settings import Settings

MAX_FIELDS = 60


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


async def read_form(request: Request, settings: Settings) -> FormData:
    """Parse the body within the size cap and the time limit, without files."""
    limited = Request(request.scope, _limited_receive(request.receive, settings.max_body_bytes))
    async with asyncio.timeout(settings.body_timeout):
        # The body cap bounds every part too, so a large field gets the 413 it deserves.
        return await limited.form(
            max_files=0, max_fields=MAX_FIELDS, max_part_size=settings.max_body_bytes
        )
