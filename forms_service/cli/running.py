"""Commands that run the service: `serve` (the web app, and delivery unless told not
to), `worker` (delivery alone) and `send-test-email` (can the coordinators be reached?)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import TextIO

from ..mail import sending
from ..mail.outbox import Worker
from ..settings import Settings
from ..storage import schema
from .base import arg, command


@command(
    "serve",
    "serve the built site and the form API",
    arg(
        "--no-worker",
        action="store_true",
        help="do not deliver email here; run `forms-service worker` separately",
    ),
)
def cmd_serve(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    # Imported here, so that the other commands never load the web framework.
    import uvicorn

    from ..app import create_app
    from ..web.http import server_config

    app = create_app(settings, deliver=not args.no_worker)
    where = (
        f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        if settings.uses_smtp
        else f"files under {settings.mail_dir}/ (no SMTP server configured)"
    )
    print(
        f"Serving the site and the volunteer form on http://{settings.host}:{settings.port}/",
        file=out,
    )
    print(f"Submissions: {settings.database}. Emails: {where}. Press Ctrl-C to stop.", file=out)
    out.flush()
    uvicorn.Server(server_config(app, settings)).run()
    return 0


@command("worker", "deliver the outbox only (for a web process run with --no-worker)")
def cmd_worker(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Deliver the outbox in this process only, until SIGTERM or Ctrl-C."""
    schema.prepare(settings.database)
    worker = Worker(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    print(f"Delivering the outbox of {settings.database}. Press Ctrl-C to stop.", file=out)
    out.flush()
    while not stop.wait(settings.poll_seconds):
        worker.ensure_running()
    worker.stop()
    return 0


@command("send-test-email", "send a test email to the coordinators")
def cmd_send_test_email(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(settings.coordinators)
    msg["Subject"] = "Test email from the volunteer form service"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2])
    msg.set_content("If you can read this, the volunteer form can send email to coordinators.\n")
    transport = sending.transport_for(settings)
    try:
        note = transport.send(msg)
    except (sending.TemporaryFailure, sending.PermanentFailure) as exc:
        print(f"Could not send: {exc}", file=sys.stderr)
        return 1
    finally:
        transport.close()
    print(f"Test email {note}.", file=out)
    return 0
