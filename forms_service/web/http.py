"""uvicorn's HTTP protocol (httptools) with a cap on request-header size and time, and
a time limit on every request's body.

uvicorn bounds neither with httptools: a client may send headers one byte at a
time for ever, or an endless header line, each holding a connection and memory.
Here the request line and headers must arrive within FORMS_HEADER_TIMEOUT of the
connection opening (or, on a kept-alive connection, of the first byte after the
previous request, blank lines included: uvicorn's keep-alive timer stops at any byte)
and within FORMS_MAX_HEADER_BYTES, or the client gets a 408 or 431 and the connection
closes. At most one read past the cap is ever held: each read is counted, up to the
blank line that ends the headers, before it is parsed, so headers that arrive in one
read are bounded too; and the parser's own count holds a request pipelined behind
another in the same read to the cap (it never reaches the app; the 431 follows the
answers to every complete request before it, pipelined ones included). A body must
arrive whole within FORMS_BODY_TIMEOUT (and a second of grace) of its headers, whether
or not the app reads it: a page or a 404 answers without reading, and uvicorn would
take a trickle of body for ever.

Answers must be taken too: a client that sends requests and never reads the answers
fills the socket's buffers, then the transport's, and the answer being written waits
for ever (uvicorn has no write time limit, and the header clock waits on our answer).
Once answers wait unsent in the transport, the client has FORMS_WRITE_TIMEOUT to take
some of them, again and again, or the connection is dropped (aborted: what waits is
never sent), with one INFO line in the log. A connection closed while one of several
pipelined requests is being answered tells that one too, not only the last one parsed
as uvicorn does: its next write would otherwise go to a closed transport (uvloop raises
a RuntimeError, logged with its whole traceback).

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

import uvicorn
from starlette.types import ASGIApp
from uvicorn._types import ASGI3Application
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from ..forms.words import HOTLINE, Words, language, say
from ..settings import Settings

log = logging.getLogger("forms_service.http")

BODY_GRACE = 1.0
"""Seconds the protocol's body clock runs past FORMS_BODY_TIMEOUT (see bounded_protocol)."""
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
    """Set the limits on a subclass: see `bounded_protocol`."""

    max_header_bytes = 16 * 1024
    header_timeout = 10.0
    body_timeout = 10.0 + BODY_GRACE
    write_timeout = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_headers = False
        self._between_requests = True
        self._header_bytes = 0  # of the request in hand, counted before parsing
        self._parsed_bytes = 0  # of the request in hand, as the parser reports them
        self._head = b""
        self._refusal: int | None = None  # to answer once the answer under way is sent
        self._header_clock: asyncio.TimerHandle | None = None
        self._body_clock: asyncio.TimerHandle | None = None
        self._write_clock: asyncio.TimerHandle | None = None
        self._running: RequestResponseCycle | None = None  # the request being answered
        self._start_header_clock()  # a connection that sends nothing is bounded too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_clock()
        self._stop_body_clock()
        self._stop_write_clock()
        self._disconnect_running()
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def _disconnect_running(self) -> None:
        """Tell the request being answered that nothing more goes out: uvicorn tells only
        the last one parsed (`cycle`), another one while requests are pipelined."""
        running = self._running
        if running is not None and not running.response_complete:
            running.disconnected = True
            running.message_event.set()

    def pause_writing(self) -> None:
        super().pause_writing()
        self._watch_writes()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._stop_write_clock()  # the client took some: a new wait for the rest
        self._watch_writes()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._between_requests = False
        self._parsed_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._parsed(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def _parsed(self, size: int) -> None:
        """Count what the parser found: a request pipelined behind another in one read
        escapes the count made before parsing, which stops at the first blank line."""
        self._parsed_bytes += size
        if self._parsed_bytes > self.max_header_bytes and self._refusal is None:
            self._refusal = 431

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._stop_header_clock()
        if self._refusal is None:  # a refused request never reaches the app
            super().on_headers_complete()
            self._body_clock = self.loop.call_later(self.body_timeout, self._body_too_slow)

    def on_body(self, body: bytes) -> None:
        if self._refusal is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop_body_clock()
        if self._refusal is not None:
            return
        super().on_message_complete()
        self._between_requests = True
        self._header_bytes = 0
        self._head = b""

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if any
        self._watch_writes()
        if self._refusal is not None and self._all_answered():
            self._refuse(self._refusal)

    def _all_answered(self) -> bool:
        """Every request taken so far has its whole answer written: none waits in the
        pipeline, and the last one taken (`cycle`, the one running once the pipeline is
        empty) is done."""
        return not self.pipeline and (self.cycle is None or self.cycle.response_complete)

    def _refuse_when_answered(self, status: int) -> None:
        """Refuse with `status` once every complete request before it has its answer, in
        order; nothing more is read meanwhile."""
        if self._refusal is None:
            self._refusal = status
        self.flow.pause_reading()
        if self._all_answered():
            self._refuse(self._refusal)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            return  # refused: nothing more is read
        if self._between_requests or self._in_headers:
            if len(self._head) < HEAD_BYTES:
                self._head += data[: HEAD_BYTES - len(self._head)]
            end = data.find(b"\r\n\r\n")
            self._header_bytes += end if end >= 0 else len(data)
            if self._header_bytes > self.max_header_bytes:
                self._refuse_when_answered(431)
                return
            # Even blank lines between requests start the next one's clock: uvicorn's
            # keep-alive timer stops at any byte, so nothing else would end the wait.
            if self._header_clock is None:
                self._start_header_clock()
        super().data_received(data)
        if self._refusal is not None:
            self._refuse_when_answered(self._refusal)

    def _start_header_clock(self) -> None:
        self._header_clock = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _stop_header_clock(self) -> None:
        if self._header_clock is not None:
            self._header_clock.cancel()
            self._header_clock = None

    def _stop_body_clock(self) -> None:
        if self._body_clock is not None:
            self._body_clock.cancel()
            self._body_clock = None

    def _watch_writes(self) -> None:
        """Start the write clock if answers wait in the transport, unsent."""
        if self._write_clock is None:
            unsent = self.transport.get_write_buffer_size()
            if unsent:
                self._write_clock = self.loop.call_later(
                    self.write_timeout, self._writes_waited, unsent
                )

    def _stop_write_clock(self) -> None:
        if self._write_clock is not None:
            self._write_clock.cancel()
            self._write_clock = None

    def _writes_waited(self, unsent_before: int) -> None:
        """FORMS_WRITE_TIMEOUT after answers were seen waiting: all taken, done; some
        taken, another wait for the rest; none, the client reads nothing and the
        connection is dropped, what waits with it."""
        self._write_clock = None
        unsent = self.transport.get_write_buffer_size()
        if unsent and unsent < unsent_before:
            self._watch_writes()
        elif unsent:
            log.info("closed a connection: its answers were not read")
            self._stop_header_clock()
            self._stop_body_clock()
            self._disconnect_running()
            self.transport.abort()

    def _headers_too_slow(self) -> None:
        """408, unless our own answer to the previous request is still being written: the
        client is waiting on us then, and its next request's clock starts again."""
        self._header_clock = None
        if self.cycle is not None and not self.cycle.response_complete:
            self._start_header_clock()
            self._watch_writes()  # an answer nobody takes is bounded by the write clock
            return
        self._refuse(408)

    def _body_too_slow(self) -> None:
        """The body did not arrive in time, whether or not the app reads it: a route that
        answers without reading (a page, a 404) would otherwise be fed a trickle for ever."""
        self._body_clock = None
        self._refuse(408)

    def _refuse(self, status: int) -> None:
        """Answer with `status` and close; a response already under way is just cut off."""
        self._stop_header_clock()
        self._stop_body_clock()
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
        self._disconnect_running()  # an answer under way is cut off: nothing more of it
        self.transport.close()
        self._watch_writes()  # closing waits for what is unsent: bounded too


def bounded_protocol(
    max_header_bytes: int,
    header_timeout: float,
    body_timeout: float,
    write_timeout: float = Settings.write_timeout,
) -> type[BoundedHeaders]:
    """The protocol class for uvicorn.Config(http=...), with these limits. The body's clock
    at this level runs a little longer than FORMS_BODY_TIMEOUT, so that a form being read
    gets the app's own 408 page first."""
    return type(
        "BoundedHeaders",
        (BoundedHeaders,),
        {
            "max_header_bytes": max_header_bytes,
            "header_timeout": header_timeout,
            "body_timeout": body_timeout + BODY_GRACE,
            "write_timeout": write_timeout,
        },
    )


def server_config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """How `forms-service serve` runs the app under uvicorn, in one place so the tests that
    serve the app inside their own process serve it exactly so: these header limits, no
    Server header, no access log of uvicorn's own (ours leaves personal data out), the
    client's address never taken from a header here (guard.py reads a trusted proxy's)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        http=bounded_protocol(
            settings.max_header_bytes,
            settings.header_timeout,
            settings.body_timeout,
            settings.write_timeout,
        ),
        access_log=False,
        server_header=False,
        proxy_headers=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
