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
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("forms_service.http")

REFUSALS = {
    408: b"408 Request Timeout",
    431: b"431 Request Header Fields Too Large",
}


class BoundedHeaders(HttpToolsProtocol):
    """Set `max_header_bytes` and `header_timeout` on a subclass: see `bounded_protocol`."""

    max_header_bytes = 16 * 1024
    header_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_headers = False
        self._between_requests = True
        self._header_bytes = 0
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

    def data_received(self, data: bytes) -> None:
        if self._between_requests or self._in_headers:
            end = data.find(b"\r\n\r\n")
            self._header_bytes += end if end >= 0 else len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse(431, "Request headers too large.")
                return
        super().data_received(data)
        if not self._in_headers or self.transport.is_closing():
            return  # the usual case: the headers came whole in this read, no timer needed
        if self._header_clock is None:
            self._start_header_clock()

    def _start_header_clock(self) -> None:
        self._header_clock = self.loop.call_later(
            self.header_timeout, self._refuse, 408, "Request headers too slow."
        )

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _refuse(self, status: int, message: str) -> None:
        """Answer with `status` and close; a response already under way is just cut off."""
        self._stop_header_clock()
        if self.transport.is_closing():
            return
        log.info("closed a connection: %s", message.lower().rstrip("."))
        if self.cycle is None or self.cycle.response_complete:
            body = message.encode()
            self.transport.write(
                b"HTTP/1.1 " + REFUSALS[status] + b"\r\ncontent-type: text/plain; charset=utf-8"
                b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\nconnection: close"
                b"\r\n\r\n" + body
            )
        self.transport.close()


def bounded_protocol(max_header_bytes: int, header_timeout: float) -> type[BoundedHeaders]:
    """The protocol class for uvicorn.Config(http=...), with these limits."""
    return type(
        "BoundedHeaders",
        (BoundedHeaders,),
        {"max_header_bytes": max_header_bytes, "header_timeout": header_timeout},
    )
