"""The systemd unit starts the service as the backup tests run it: under Litestream with
deploy/litestream.yml, the service as its -exec child. A unit edited apart from the tests
(the service started alone, another config) fails here, not on a server."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.operations.parts import BIN, LITESTREAM_YML, replicate_argv

ROOT = Path(__file__).resolve().parents[2]
OPT = "/opt/forms-service"


def _exec_start() -> list[str]:
    unit = (ROOT / "deploy" / "forms-service.service").read_text(encoding="utf-8")
    (line,) = [s for s in unit.splitlines() if s.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_the_unit_runs_the_service_under_litestream_as_the_tests_do() -> None:
    here = {f"{OPT}/.venv/bin": str(BIN), f"{OPT}/deploy": str(LITESTREAM_YML.parent)}
    deployed = []
    for part in _exec_start():
        for there, local in here.items():
            part = part.replace(there, local)
        deployed.append(part)
    assert deployed == replicate_argv(LITESTREAM_YML)
