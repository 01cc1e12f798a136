"""The unit tier's promise, kept by the tier itself: pure logic in this process. A test here
that starts a process or opens a network socket fails at once, so `make check` stays fast
and needs no server, no browser and no built site."""

from __future__ import annotations

import socket
import subprocess

import pytest

from forms_service.storage import schema, store


def _refuse(what: str):
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the unit tier runs no {what}: move this test to tests/service/")

    return refuse


@pytest.fixture(autouse=True)
def in_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "Popen", _refuse("subprocess"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("network connection"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("server"))


@pytest.fixture(scope="session")
def site_dir() -> None:
    raise AssertionError("the unit tier builds no site: move this test to tests/site/")


@pytest.fixture
def conn(tmp_path):
    """A fresh database on a real SQLite file, every migration applied."""
    connection = store.connect(tmp_path / "forms.sqlite3")
    schema.migrate(connection)
    yield connection
    connection.close()
