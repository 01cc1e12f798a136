"""Writes the emails and hands them to an SMTP server, or to files when none is set.

No submitted text goes into a header except the volunteer's validated address,
built from its parts (`addresses.header_address`), in Reply-To or, for the
acknowledgement, To: everything else they typed is in the body, where any
text-direction control is shown as a visible marker instead of acting.
By default (FORMS_EMAIL_DETAILS=summary) the coordinators' email holds none of it,
only the reference, the time, the areas of help and a link to the desk; a private
form's (contact) is always such a summary, without even the areas.
"""

from __future__ import annotations

import html
import os
import smtplib
import socket
import ssl
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from pathlib import Path
from typing import Protocol

from . import clock
from .addresses import header_address
from .forms import FORMS
from .mailqueue import Message
from .private import private_dir
from .settings import Settings
from .validation import BIDI_CONTROLS
from .words import LANGUAGE_KEY, LANGUAGES, NAMES, Words, language, say

ORGANISATION = "The Mission"


class TemporaryFailure(Exception):
    """Try again later: the server was unreachable, too slow, or answered 4xx.

    `server_down` tells whether the server itself failed (no connection, a timeout,
    421), which every message would meet, or only refused this message for now.
    """

    def __init__(self, reason: str, *, server_down: bool = False) -> None:
        super().__init__(reason)
        self.server_down = server_down


class RecipientsRefusedForNow(TemporaryFailure):
    """The server took the message for some recipients and refused `recipients` for now:
    only they get it on the next attempt, so the others receive no duplicate."""

    def __init__(self, reason: str, recipients: list[str]) -> None:
        super().__init__(reason)
        self.recipients = recipients


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): a dead letter for an operator."""


class Transport(Protocol):
    def send(self, message: EmailMessage, to: list[str] | None = None) -> str:
        """Deliver (to `to` alone if given) or raise; return a short, data-free note."""
        ...

    def close(self) -> None:
        """Release any connection held between messages."""
        ...


def build(message: Message, settings: Settings) -> EmailMessage:
    """The coordinators' email or the volunteer's acknowledgement for one outbox row.

    Raises (UnsafeAddress, or anything else) when the row cannot make a safe email:
    the worker then sets that message aside.
    """
    form = FORMS[message.form]
    domain = settings.mail_from.rpartition("@")[2]
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{ORGANISATION} {form.slug} form <{settings.mail_from}>"
    msg["Date"] = formatdate(message.created_at, usegmt=True)
    msg["Message-ID"] = f"<{message.reference}.{message.kind}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"
    email = str(message.data.get("email", ""))
    lang = language(str(message.data.get(LANGUAGE_KEY, "")))
    if message.kind == "acknowledgement":
        msg["To"] = header_address(email)
        msg["Subject"] = say(ACK_SUBJECT, lang).format(reference=message.reference)
        text = say(PRIVATE_ACK_TEXT if form.private else ACK_TEXT, lang)
        text = text.format(reference=message.reference)
        msg.set_content(text)
        body = html.escape(text).replace("\n", "<br>\n")
        msg.add_alternative(_html_document(body, lang), "html")
        return msg
    msg["To"] = ", ".join(settings.coordinators)
    summary = form.private or settings.email_details == "summary"
    if email and not summary:
        msg["Reply-To"] = header_address(email)
    # the language in the subject too, so a coordinator who reads it can take it
    wrote_in = "" if lang == LANGUAGES[0] else f", in {NAMES[lang]}"
    msg["Subject"] = f"New {form.noun}{wrote_in} ({message.reference})"
    if summary:
        msg.set_content(_summary_text(message, settings))
        return msg
    rows = [(label, inert(value)) for label, value in form.readable(message.data)]
    msg.set_content(_text_body(message.reference, rows))
    msg.add_alternative(_html_body(message.reference, rows), subtype="html")
    return msg


def _summary_text(message: Message, settings: Settings) -> str:
    """Reference, time, areas of help and a link: nothing the volunteer typed, so
    nothing personal sits in inboxes (FORMS_EMAIL_DETAILS=summary). A private form's
    summary holds not even a choice they made."""
    received = clock.readable(clock.local(message.created_at, settings.timezone))
    form = FORMS[message.form]
    about = "wrote to us through the contact form" if form.private else "would like to volunteer"
    lines = [f"Someone {about}. Reference: {message.reference}", f"Received: {received}"]
    if not form.private:
        lines.append(f"Areas of help: {'; '.join(form.areas_of(message.data)) or 'none chosen'}")
    return (
        "\n".join(lines) + "\n\n"
        "Read what they sent and reply from the coordinators' desk:\n"
        f"{settings.desk}submissions/{message.reference}\n\n"
        "This email holds none of their details on purpose: they stay in the desk.\n"
    )


def inert(text: str) -> str:
    """Text-direction controls as visible markers ([U+202E]), so the line reads as typed."""
    if text.isprintable() or not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(f"[U+{ord(ch):04X}]" if ch in BIDI_CONTROLS else ch for ch in text)


def _text_body(reference: str, rows: list[tuple[str, str]]) -> str:
    lines = [
        f"Someone would like to volunteer. Reference: {reference}",
        "Reply to this email to answer them directly.",
        "",
    ]
    for label, value in rows:
        lines.append(f"{label}:")
        lines.extend(f"    {line}" for line in value.split("\n"))
    return "\n".join(lines) + "\n"


def _html_body(reference: str, rows: list[tuple[str, str]]) -> str:
    cells = "\n".join(
        f"<tr><th scope=row style='text-align:left;vertical-align:top;padding:4px 12px 4px 0'>"
        f"{html.escape(label)}</th><td style='white-space:pre-wrap'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    return _html_document(
        f"<p>Someone would like to volunteer. Reference: <strong>{reference}</strong></p>\n"
        f"<p>Reply to this email to answer them directly.</p>\n<table>\n{cells}\n</table>"
    )


def _html_document(body: str, lang: str = LANGUAGES[0]) -> str:
    return (
        f"<!doctype html>\n<html lang={lang}><meta charset=utf-8>\n<body>\n{body}\n</body></html>\n"
    )


ACK_SUBJECT = Words(
    "We received your message ({reference})", es="Recibimos tu mensaje ({reference})"
)
ACK_TEXT = Words(
    "Thank you for offering to volunteer with us.\n\n"
    "We received your message (reference {reference}). A coordinator will reply.\n\n"
    "If you did not send this, you can ignore this email: we will not write again"
    " unless you contact us.\n",
    es="Gracias por ofrecerte como voluntario o voluntaria.\n\n"
    "Recibimos tu mensaje (referencia {reference}). Una persona que coordina el"
    " voluntariado te va a responder.\n\n"
    "Si no enviaste este mensaje, puedes ignorarlo: no volveremos a escribirte"
    " a menos que nos contactes.\n",
)
"""The acknowledgement, in the language the person wrote in; `{reference}` is filled in."""
PRIVATE_ACK_TEXT = Words(
    "We received your message (reference {reference}).\n\n"
    "A coordinator will read it on our own server.\n\n"
    "If you did not send this, you can ignore this email: we will not write again"
    " unless you contact us.\n",
    es="Recibimos tu mensaje (referencia {reference}).\n\n"
    "Una persona que coordina lo va a leer en nuestro propio servidor.\n\n"
    "Si no enviaste este mensaje, puedes ignorarlo: no volveremos a escribirte"
    " a menos que nos contactes.\n",
)
"""A contact form's acknowledgement names no subject, as the inbox may be read by someone
else."""


MAX_REPLY_LINES = 100
"""More lines than any real reply has (EHLO lists a few dozen extensions at most)."""
READ_SIZE = 4096


class ReplyTooLong(smtplib.SMTPException):
    """The server's reply went past its line, size or time limit: that attempt ends."""


class _BoundedReplies:
    """smtplib's getreply with a cap on lines, line length and time for the whole reply.

    smtplib reads a multi-line reply until it ends, keeping every line, and a line over
    8 KB ends in a fake 500 (a dead letter); a hostile or broken server could fill the
    memory or hold the worker for ever, even by sending one byte at a time, since each
    read only waits for the next byte. Here the socket is read directly, the clock checked
    before every read, and a reply past its lines, 8 KB a line, `reply_timeout` or the
    attempt's `deadline` ends the attempt as a temporary failure, holding at most
    MAX_REPLY_LINES lines of 8 KB.
    """

    def __init__(
        self, *args: object, reply_timeout: float, deadline: float, **kwargs: object
    ) -> None:
        self.reply_timeout = reply_timeout
        self.deadline = deadline
        self._unread = b""
        self._unread_from: object = None
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]  # connects, reads greeting

    def start_attempt(self, deadline: float) -> None:
        """A new message on this connection: its own time, commands sent within it."""
        self.deadline = deadline
        if self.sock is not None:  # None once closed: the next command then says so
            self.sock.settimeout(self._time_left(deadline))

    def getreply(self) -> tuple[int, bytes]:
        deadline = min(time.monotonic() + self.reply_timeout, self.deadline)
        lines: list[bytes] = []
        while True:
            if len(lines) >= MAX_REPLY_LINES:
                self.close()
                raise ReplyTooLong("reply too long")
            line = self._readline(deadline)
            if not line:
                self.close()
                raise smtplib.SMTPServerDisconnected("connection closed")
            lines.append(line[4:].strip(b" \t\r\n"))
            code = int(line[:3]) if line[:3].isdigit() else -1
            if code == -1 or line[3:4] != b"-":
                # commands sent next are bounded too, by the time the attempt has left
                self.sock.settimeout(self._time_left(self.deadline))
                return code, b"\n".join(lines)

    def _readline(self, deadline: float) -> bytes:
        """One line (with its newline), or what came before the server hung up."""
        if self._unread_from is not self.sock:  # a new socket (STARTTLS): nothing carries over
            self._unread, self._unread_from = b"", self.sock
        while (end := self._unread.find(b"\n")) < 0:
            if len(self._unread) > smtplib._MAXLINE:
                self.close()
                raise ReplyTooLong("reply line too long")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise ReplyTooLong("reply timed out")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(READ_SIZE)
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(_describe(exc)) from None
            if not chunk:
                line, self._unread = self._unread, b""
                return line
            self._unread += chunk
        line, self._unread = self._unread[: end + 1], self._unread[end + 1 :]
        if len(line) > smtplib._MAXLINE:
            self.close()
            raise ReplyTooLong("reply line too long")
        return line

    def _time_left(self, deadline: float) -> float:
        return max(0.01, min(self.timeout, deadline - time.monotonic()))


class BoundedSMTP(_BoundedReplies, smtplib.SMTP):
    """Plain SMTP or STARTTLS, with bounded replies."""


class BoundedSMTP_SSL(_BoundedReplies, smtplib.SMTP_SSL):
    """SMTP over TLS from the first byte, with bounded replies."""


class SmtpTransport:
    """smtplib with a timeout on connect and on every reply, and one for each message's
    whole attempt (`Settings.attempt_seconds`, connection included), so the lease on a
    claimed message always outlasts its attempt.

    One connection carries every message that is due, then is closed: a burst of
    submissions costs one handshake, not one each. Any failure drops the connection, so the
    next message starts on a fresh one.
    """

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.local_hostname = socket.getfqdn()
        self._smtp: BoundedSMTP | BoundedSMTP_SSL | None = None

    def send(self, message: EmailMessage, to: list[str] | None = None) -> str:
        deadline = time.monotonic() + self.s.attempt_seconds
        try:
            session = self._session(deadline)
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, "connection", server=True) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"connection: {_describe(exc)}", server_down=True) from None
        try:
            refused = session.send_message(message, to_addrs=to)
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classify(exc.smtp_code, "reply") from None
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            raise _classify(min(codes), "recipients refused") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"connection: {_describe(exc)}", server_down=True) from None
        for_now = sorted(a for a, (code, _) in refused.items() if 400 <= code < 500)
        if for_now:  # greylisted, over quota: they alone are tried again
            codes = sorted({refused[a][0] for a in for_now})
            reason = f"{len(for_now)} recipient(s) refused for now: {codes[0]}"
            raise RecipientsRefusedForNow(reason, for_now)
        if refused:  # refused for good: the others have it; a retry would not help
            codes = sorted({code for code, _ in refused.values()})
            return f"accepted, {len(refused)} recipient(s) refused for good: {codes[0]}"
        return "accepted (250)"

    def close(self) -> None:
        """End the session politely if it is still there; never raise."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.start_attempt(time.monotonic() + self.s.smtp_timeout)
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _session(self, deadline: float) -> BoundedSMTP | BoundedSMTP_SSL:
        if self._smtp is None:
            self._smtp = self._connect(deadline)
        else:
            self._smtp.start_attempt(deadline)
        return self._smtp

    def _connect(self, deadline: float) -> BoundedSMTP | BoundedSMTP_SSL:
        host, port, timeout = self.s.smtp_host, self.s.smtp_port, self.s.smtp_timeout
        smtp: BoundedSMTP | BoundedSMTP_SSL
        if self.s.smtp_security == "tls":
            smtp = BoundedSMTP_SSL(
                host,
                port,
                timeout=timeout,
                local_hostname=self.local_hostname,
                context=ssl.create_default_context(),
                reply_timeout=timeout,
                deadline=deadline,
            )
        else:
            smtp = BoundedSMTP(
                host,
                port,
                timeout=timeout,
                local_hostname=self.local_hostname,
                reply_timeout=timeout,
                deadline=deadline,
            )
            if self.s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        try:
            if self.s.smtp_username:
                smtp.login(self.s.smtp_username, self.s.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _describe(exc: Exception) -> str:
    """A short, data-free name for what went wrong: smtplib reports timeouts as disconnects."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "timed out"
    if isinstance(exc, ReplyTooLong):
        return str(exc)
    return type(exc).__name__


def _classify(code: int, what: str, *, server: bool = False) -> Exception:
    """5xx is for good; 421 (closing) or a failure before any message was sent is the server's
    own trouble; any other 4xx is about this message only."""
    if 500 <= code < 600:
        return PermanentFailure(f"{what}: {code}")
    return TemporaryFailure(f"{what}: {code}", server_down=server or code == 421)


class FileTransport:
    """Writes each email as an .eml file, for `make run` and for a machine with no mail server."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, to: list[str] | None = None) -> str:
        private_dir(self.directory)
        name = message["Message-ID"].strip("<>").replace("@", "_at_") + ".eml"
        data = message.as_bytes()
        fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.directory / name)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise TemporaryFailure(f"file: {type(exc).__name__}", server_down=True) from None
        return f"written to {self.directory / name}"

    def close(self) -> None:
        """Files hold no connection."""


def transport_for(settings: Settings) -> Transport:
    return SmtpTransport(settings) if settings.uses_smtp else FileTransport(settings.mail_dir)
