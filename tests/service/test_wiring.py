"""The app's wiring: what its lifespan starts it stops, and the worker process carries
no web framework."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from forms_service.app import create_app
from forms_service.desk import signin
from forms_service.settings import Settings

from ..support import ROOT, serving, valid_form, wait_until

API = "/api/forms/volunteer"
ORIGIN = "http://127.0.0.1:8000"


def database_files_open(database: Path) -> list[str]:
    """The database, its -wal or its -shm, as often as this process holds them open."""
    return [f.path for f in psutil.Process().open_files() if f.path.startswith(str(database))]


def writers_of(database: Path) -> list[psutil.Process]:
    """The writer processes this process started on the database, still running."""
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "forms_service.storage.writer" in child.cmdline() and str(database) in child.cmdline()
    ]


@pytest.mark.parametrize("deliver", [True, False], ids=["delivery here", "delivery elsewhere"])
def test_stopping_the_app_closes_every_connection_it_opened(tmp_path: Path, deliver: bool):
    """Stopped, the app holds nothing on its database: no connection (the desk's, the
    outbox's) and no writer process, whether it delivered email itself or left that to
    a `worker` process. One left open keeps the database's log from being emptied and
    holds the file an operator restores a backup over."""
    settings = Settings(
        database=tmp_path / "forms.sqlite3",
        mail_dir=tmp_path / "mail",
        site_dir=tmp_path / "no-site",
        digest_hour=None,
        poll_seconds=0.2,
    )
    app = create_app(settings, deliver=deliver)
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        posted = client.post(
            API, data=valid_form(), headers={"Origin": ORIGIN, "Accept": "application/json"}
        )
        assert posted.status_code == 201
        # a stale desk cookie: the desk opens its connection to look the session up
        client.cookies.set(signin.COOKIE, "stale")
        assert client.get("/desk/").status_code == 303
        if deliver:
            wait_until(lambda: list(settings.mail_dir.glob("*.eml")), what="the email written")
        assert database_files_open(settings.database), "the app opened its database"
        assert writers_of(settings.database), "the app started its writer"
    assert database_files_open(settings.database) == []
    assert writers_of(settings.database) == []


def test_the_worker_process_imports_no_web_framework(tmp_path: Path):
    """`forms-service worker` delivers email and nothing else: from start to stop it
    loads neither Starlette nor uvicorn, so it starts light and a fault of the web
    stack cannot reach the outbox."""
    script = (
        "import sys\n"
        "from forms_service.cli import main\n"
        "code = main(['worker'])\n"
        "print('loaded:', *(m for m in ('starlette', 'uvicorn') if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    env = {
        **os.environ,
        "FORMS_DATABASE": str(tmp_path / "forms.sqlite3"),
        "FORMS_MAIL_DIR": str(tmp_path / "mail"),
        "FORMS_DIGEST_HOUR": "off",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().startswith("Delivering the outbox")
    worker.send_signal(signal.SIGTERM)
    rest, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0
    assert rest.splitlines() == ["loaded:"]
