"""Fixtures shared by the service tests that keep one service for a whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support import InProcessService, Service, SmtpServer


@pytest.fixture(scope="module")
def smtp_module() -> Iterator[SmtpServer]:
    """One real SMTP server for a module's hundreds of generated requests."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, site_dir: Path, smtp_module: SmtpServer
) -> Iterator[Service]:
    """One service for a module of hostile requests: no rate limit or duplicate window in
    their way, and a short body time limit."""
    service = InProcessService(
        tmp_path_factory.mktemp("hostile"),
        site_dir,
        smtp_module.port,
        FORMS_RATE_LIMIT="100000/minute",
        FORMS_DUPLICATE_WINDOW_MINUTES="0",
        FORMS_BODY_TIMEOUT="2",
    ).start()
    yield service
    service.stop()
