"""Hands an email to the SMTP server, or to a file when none is set; says how it went.

A failure is temporary (try again later, `server_down` when every message would meet
it) or permanent (a dead letter). Every reply of the server is bounded in lines, size
and time, and each message's whole attempt in time, so a broken or hostile server can
neither fill the memory nor hold the worker.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from ..settings import Settings
from ..storage.private import private_dir


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
