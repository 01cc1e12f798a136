"""Real parts on loopback for the tests: an SMTP server, the service under uvicorn, in a
process of its own or in a thread of the test's process."""

from __future__ import annotations

import asyncio
import contextlib
import email
import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import psutil
import uvicorn
from aiosmtpd.controller import Controller
from starlette.types import ASGIApp

from forms_service.app import create_app
from forms_service.cli import LOG_FORMAT
from forms_service.settings import Settings
from forms_service.web.headers import ADMIN
from forms_service.web.http import server_config

ROOT = Path(__file__).resolve().parent.parent
SITE_SOURCES = ("mkdocs.yml", "mkdocs.es.yml", "netlify.toml", "docs", "overrides", "site_tools")
"""What the site is built from (with node_modules, the web editor as npm ci left it)."""


def copy_of_the_site(root: Path) -> Path:
    """The site's sources copied to `root`, to change and build."""
    for name in SITE_SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            root.mkdir(exist_ok=True)
            shutil.copy(source, root / name)
    (root / "node_modules").symlink_to(ROOT / "node_modules")  # the web editor, as npm ci left it
    return root


def replace_stand_ins(root: Path) -> None:
    """A copy of the site as it will be at launch: every stand-in replaced."""
    for path in [p for p in root.rglob("*") if p.is_file() and p.suffix in {".md", ".txt"}] + [
        root / "mkdocs.yml",
        root / "netlify.toml",
        root / "docs" / "admin" / "config.yml",
    ]:
        text = path.read_text(encoding="utf-8")
        text = text.replace("example.org", "themission.test")
        text = text.replace("your-github-account/", "the-mission/")
        text = re.sub(
            r"https://www\.facebook\.com/\)", "https://www.facebook.com/TheMission)", text
        )
        text = re.sub(r"\[(?:to confirm|por confirmar)\]\s*", "", text)
        path.write_text(text, encoding="utf-8")


def public_html(site_dir: Path) -> list[Path]:
    """Every HTML file of a built site that visitors read: all but the editor's (/admin/)."""
    pages = sorted(site_dir.rglob("*.html"))
    return [p for p in pages if p.relative_to(site_dir).parts[0] != ADMIN]


def site_paths(site_dir: Path) -> list[str]:
    """Every public page of a built site, as the path a browser opens."""
    paths = []
    for html in public_html(site_dir):
        if html.name != "index.html":
            continue
        relative = html.parent.relative_to(site_dir).as_posix()
        paths.append("/" if relative == "." else f"/{relative}/")
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> object:
    """Poll `condition` until it is truthy, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


@contextlib.contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """An app made in the test, under uvicorn on a loopback port in a thread (lifespan
    and all), for tests that reach inside it (its mail transport, its worker) yet talk
    to it over HTTP as a browser does. Yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive(), 20, "uvicorn to start")
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(15)


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can be told to refuse or stall."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.replies: list[str] = []
        self.stall_seconds = 0.0
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_recipients: dict[str, str] = {}  # address -> reply, such as "451 ..."

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.stall_seconds:
            await asyncio.sleep(self.stall_seconds)
        if self.replies:
            return self.replies.pop(0)
        self.raw.append(envelope.original_content)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} email(s)")
        return self.messages


class SmtpServer:
    """A real SMTP server on a loopback port that can go down and come back on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class Service:
    """The real service (`forms-service serve`, uvicorn) in its own process."""

    own_group = False
    """Started in a process group of its own, which kill_group() ends whole."""

    def __init__(
        self,
        workdir: Path,
        site_dir: Path,
        smtp_port: int | None,
        command: tuple[str, ...] = ("serve",),
        **env: str,
    ) -> None:
        self.command = command
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.database = workdir / "forms.sqlite3"
        self.log_path = workdir / f"{command[0]}-{self.port}.log"
        self.env = {
            **os.environ,
            "FORMS_PORT": str(self.port),
            "FORMS_DATABASE": str(self.database),
            "FORMS_MAIL_DIR": str(workdir / "mail"),
            "FORMS_SITE_DIR": str(site_dir),
            "FORMS_ALLOWED_ORIGINS": self.url,
            "FORMS_COORDINATORS": "coordinators@example.org,second@example.org",
            "FORMS_MAIL_FROM": "volunteer-form@example.org",
            "FORMS_SMTP_TIMEOUT": "2",
            "FORMS_RETRY_BASE_SECONDS": "0.3",
            "FORMS_POLL_SECONDS": "0.2",
            "FORMS_RATE_LIMIT": "1000/minute",
            "FORMS_LOG_LEVEL": "debug",
            # Most tests read the full email's content; the summary and the digest are
            # tested in test_desk*.py, which ask for them.
            "FORMS_EMAIL_DETAILS": "full",
            "FORMS_DIGEST_HOUR": "off",
            **(
                {"FORMS_SMTP_HOST": "127.0.0.1", "FORMS_SMTP_PORT": str(smtp_port)}
                if smtp_port
                else {}
            ),
            **env,
        }
        self.database = Path(self.env["FORMS_DATABASE"])
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        """What is started: the service itself here, under Litestream in a subclass."""
        return [sys.executable, "-m", "forms_service", *self.command]

    def start(self) -> Service:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv(),
            env=self.env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=self.own_group,
        )
        if self.command[0] == "serve":
            wait_until(self._up, 20, "the service to answer /api/healthz")
        else:
            wait_until(lambda: "Delivering" in self.log(), 20, "the worker to start")
        return self

    def _up(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"service exited early:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/api/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, as when a machine loses power or the OOM killer acts."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def kill_group(self) -> None:
        """SIGKILL to every process of the service's group at once (Litestream, the
        service, its writer), as a lost machine stops them; returns once none is left."""
        assert self.proc is not None
        group = self.proc.pid
        os.killpg(group, signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        wait_until(lambda: not _group_alive(group), 10, "the killed process group to go")

    def process(self) -> psutil.Process:
        """The process serving: its memory and its writer process are looked at."""
        assert self.proc is not None
        return psutil.Process(self.proc.pid)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Origin": self.url}, timeout=10)

    def rows(self, sql: str, *params: object) -> list[tuple]:
        conn = sqlite3.connect(self.database)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _group_alive(group: int) -> bool:
    """Whether a process of the group still runs (a zombie, dead and not yet reaped, does
    not count)."""
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == group and proc.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except ProcessLookupError:
            continue
    return False


SERVICE_LOGGERS = ("forms_service", "uvicorn.error")
"""The loggers whose lines `forms-service serve` writes to its log: the service's own and
uvicorn's errors (a client error, a failed start); never uvicorn's access log."""


class InProcessService(Service):
    """The same service with the same settings, built by `create_app` and served as
    `forms-service serve` serves it (`server_config`), by uvicorn in a thread of the test's
    own process: no interpreter start per test. Its writer process, SQLite file and SMTP
    server stay real. For every test whose subject is not the process boundary itself
    (signals, SIGKILL, a separate worker, two services on one database)."""

    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _handler: logging.Handler | None = None

    def start(self) -> InProcessService:
        assert self.command == ("serve",), "a separate worker runs in its own process"
        settings = Settings.from_env(self.env)
        self._log_to_file(settings.log_level.upper())
        config = server_config(create_app(settings), settings)
        # asyncio's own loop: its child watcher hears a writer process die from any thread,
        # where uvloop, outside the main thread, never does and the form would hang
        config.loop = "asyncio"
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="service", daemon=True)
        self._thread.start()
        wait_until(lambda: self._server.started or not self._thread.is_alive(), 20, "uvicorn")
        if not self._server.started:
            raise AssertionError(f"service did not start:\n{self.log()}")
        return self

    def _log_to_file(self, level: str) -> None:
        """The service's log lines into its own file, in the format `serve` writes."""
        self._handler = logging.FileHandler(self.log_path, encoding="utf-8")
        self._handler.setFormatter(logging.Formatter(LOG_FORMAT))
        for name in SERVICE_LOGGERS:
            logging.getLogger(name).addHandler(self._handler)
            logging.getLogger(name).setLevel(level)
        # as `serve` does: python-multipart's warnings quote bytes of a broken body
        logging.getLogger("python_multipart").setLevel(logging.ERROR)

    def stop(self) -> None:
        """As SIGTERM does: uvicorn shuts down and the lifespan stops what it started."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(20)
        assert not self._thread.is_alive(), f"service did not stop:\n{self.log()}"
        self._server = None
        if self._handler is not None:
            for name in SERVICE_LOGGERS:
                logging.getLogger(name).removeHandler(self._handler)
            self._handler.close()

    def kill(self) -> None:
        raise AssertionError("only a service in its own process can be killed: process=True")

    def process(self) -> psutil.Process:
        return psutil.Process(os.getpid())


def writer_of(service: Service) -> psutil.Process:
    """The service's writer process, told apart from other services' by its database."""
    (writer,) = [
        child
        for child in service.process().children()
        if "forms_service.storage.writer" in child.cmdline()
        and str(service.database) in child.cmdline()
    ]
    return writer


def valid_form(**overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Ada Volunteer",
        "email": "ada@example.com",
        "message": "I can help on weekends.",
        "consent": "yes",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def valid_contact(**overrides: object) -> dict[str, object]:
    """A contact form with its message and one way back (email), nothing else."""
    form: dict[str, object] = {
        "message": "I would like to talk to an attorney.",
        "ways": ["email"],
        "email": "ada@example.com",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


VALID = {"volunteer": valid_form, "contact": valid_contact}
"""A valid submission of each form, by slug, with overrides."""


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


class BadSmtpServer:
    """A deliberately broken SMTP server on loopback: after the greeting, every EHLO gets
    either an endless multi-line reply (`endless`) or one line longer than 8 KB (`long`);
    or the greeting itself trickles, one byte every 0.2 s with no end of line (`trickle`)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.port = free_port()
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", self.port))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:  # stopped: the listening socket is closed
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                if self.mode == "trickle":
                    conn.sendall(b"220")
                    for _ in range(300):  # a minute at most
                        if self._stop.wait(0.2):
                            return
                        conn.sendall(b"-")
                    return
                conn.sendall(b"220 bad.example ESMTP\r\n")
                conn.recv(1024)  # EHLO
                if self.mode == "long":
                    conn.sendall(b"250 " + b"x" * 20_000 + b"\r\n")
                    conn.recv(1024)
                    return
                chunk = b"250-" + b"y" * 1000 + b"\r\n"
                chunk *= 64
                while not self._stop.is_set():  # ends when the client hangs up
                    conn.sendall(chunk)
            except OSError:
                return

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()
