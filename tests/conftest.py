"""Fixtures: the built site, a real SMTP server and the real service, all on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from .support import ROOT, InProcessService, Service, SmtpServer, site_paths

# No hypothesis example has a time limit: a loaded machine (CI beside other jobs) made
# the unit tier's 200 ms default fail a parser check that was right. Budgets stay counts.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")


def build_site(out: Path) -> Path:
    """`mkdocs build --strict` into `out`, as `make run` and Netlify build the site."""
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return out


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `make run` and Netlify build it, built once per run: under `pytest -n`
    the first worker to ask builds it in the run's shared temporary folder while the
    others wait on a file lock, then all read the same files (as pytest-xdist's guide
    does for session data)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build_site(tmp_path_factory.mktemp("site"))
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # this run's, above every worker's own
    out, built = shared / "site", shared / "site.built"
    with FileLock(str(shared / "site.lock")):
        if not built.exists():
            shutil.rmtree(out, ignore_errors=True)  # a build that failed half-way
            build_site(out)
            built.touch()
    return out


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_service(tmp_path: Path, site_dir: Path) -> Iterator[Callable[..., Service]]:
    """Start the service with extra FORMS_* settings; every one started is stopped after.
    It runs inside the test's process unless the test is about the process itself:
    `process=True`, or a command other than `serve` (such as the separate `worker`)."""
    started: list[Service] = []

    def start(
        smtp_port: int | None = None,
        workdir: Path | None = None,
        command: tuple[str, ...] = ("serve",),
        process: bool = False,
        **env: str,
    ) -> Service:
        kind = Service if process or command != ("serve",) else InProcessService
        service = kind(workdir or tmp_path, site_dir, smtp_port, command, **env).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


@pytest.fixture
def service(start_service: Callable[..., Service], smtp: SmtpServer) -> Service:
    return start_service(smtp.port)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, started once for the session."""
    from playwright.sync_api import sync_playwright

    from .chromium import launch, require_chromium

    require_chromium()
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site_service(tmp_path_factory: pytest.TempPathFactory, site_dir: Path) -> Iterator[Service]:
    """The built site served the way `make run` serves it, for the page tests."""
    service = Service(tmp_path_factory.mktemp("site-service"), site_dir, None).start()
    yield service
    service.stop()


@pytest.fixture(scope="session")
def site_pages(site_dir: Path) -> list[str]:
    """Every page of the built site, as a path to open."""
    return site_paths(site_dir)
