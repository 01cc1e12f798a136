"""uvicorn's HTTP protocol (httptools) with a cap on request-header size and time.

uvicorn bounds neither with httptools: a client may send headers one byte at a
time for ever, or an endless header line, each holding a connection and memory.
Here the request line and headers must arrive within FORMS_HEADER_TIMEOUT of the
connection opening (or, on a kept-alive connection, of the first read of the next
request's headers that leaves them incomplete) and within FORMS_MAX_HEADER_BYTES, or
the client gets a 408 or 431 and the connection closes. At most one read past the cap
is ever held: each read is counted, up to the blank line that ends the headers, before
it is parsed, so headers that arrive in one read are bounded too. Headers that arrive
whole in one read, the usual case, start no timer.

The 408 and 431 speak the language of the page the request came from (`?lang=es` in
its target, as the form posts), read from the first bytes of the request kept for
that. They are plain text, not one of the site's pages: the headers are not parsed,
so what the client accepts is unknown, and a page without the site's quick exit and
scripts, which live in the app, would be the only page of the site without them.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs, urlsplit

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..forms.words import HOTLINE, Words, language, say

log = logging.getLogger("forms_service.http")

HEAD_BYTES = 1024
"""How much of a request's start is kept to find its language: the request line of a
form's post (`POST /api/forms/contact?lang=es HTTP/1.1`) is far shorter."""

TOO_SLOW = Words(
    "We could not take your request: it arrived too slowly, and we stopped waiting."
    " Please check your connection, go back and try again. {hotline}",
    es="No pudimos recibir tu solicitud: llegó demasiado despacio y dejamos de esperar."
    " Revisa tu conexión, vuelve a la página anterior e inténtalo de nuevo. {hotline}",
).format(hotline=HOTLINE)
TOO_LARGE = Words(
    "We could not take your request: your browser sent more extra information with it"
    " (such as cookies) than we accept. Please go back and try again in a private"
    " window or another browser. {hotline}",
    es="No pudimos recibir tu solicitud: tu navegador envió con ella más información"
    " adicional (como cookies) de la que aceptamos. Vuelve a la página anterior e"
    " inténtalo de nuevo en una ventana privada o en otro navegador. {hotline}",
).format(hotline=HOTLINE)

REFUSALS = {
    408: (b"408 Request Timeout", "request headers too slow", TOO_SLOW),
    431: (b"431 Request Header Fields Too Large", "request headers too large", TOO_LARGE),
}


def language_of_head(head: bytes) -> str:
    """The `lang` of a request's target, from the start of its request line."""
    parts = head.split(b"\r\n", 1)[0].split(b" ")
    if len(parts) < 2:
        return language(None)
    query = urlsplit(parts[1].decode("latin-1")).query
    return language((parse_qs(query).get("lang") or [None])[-1])


class BoundedHeaders(HttpToolsProtocol):
    """Set `max_header_bytes` and `header_timeout` on a subclass: see `bounded_protocol`."""

    max_header_bytes = 16 * 1024
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_headers = False
        self._between_requests = True
        self._header_bytes = 0
        self._head = b""
        self._header_clock: asyncio.TimerHandle | None = None
        self._start_header_clock()  # a connection that sends nothing is bounded too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._between_requests = False

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._stop_header_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._between_requests = True
        self._header_bytes = 0
        self._head = b""

    def data_received(self, data: bytes) -> None:
        if self._between_requests or self._in_headers:
            if len(self._head) < HEAD_BYTES:
                self._head += data[: HEAD_BYTES - len(self._head)]
            end = data.find(b"\r\n\r\n")
            self._header_bytes += end if end >= 0 else len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse(431)
                return
        super().data_received(data)
        if not self._in_headers or self.transport.is_closing():
            return  # the usual case: the headers came whole in this read, no timer needed
        if self._header_clock is None:
            self._start_header_clock()

    def _start_header_clock(self) -> None:
        self._header_clock = self.loop.call_later(self.header_timeout, self._refuse, 408)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _refuse(self, status: int) -> None:
        """Answer with `status` and close; a response already under way is just cut off."""
        self._stop_header_clock()
        if self.transport.is_closing():
            return
        status_line, reason, words = REFUSALS[status]
        log.info("closed a connection: %s", reason)
        if self.cycle is None or self.cycle.response_complete:
            lang = language_of_head(self._head)
            body = say(words, lang).encode()
            self.transport.write(
                b"HTTP/1.1 " + status_line + b"\r\ncontent-type: text/plain; charset=utf-8"
                b"\r\ncontent-language: "
                + lang.encode()
                + b"\r\ncontent-length: "
                + str(len(body)).encode()
                + b"\r\nconnection: close\r\n\r\n"
                + body
            )
        self.transport.close()


def bounded_protocol(max_header_bytes: int, header_timeout: float) -> type[BoundedHeaders]:
    """The protocol class for uvicorn.Config(http=...), with these limits."""
    return type(
        "BoundedHeaders",
        (BoundedHeaders,),
        {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout},
    )
