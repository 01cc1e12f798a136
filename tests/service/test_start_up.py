"""Start-up of `forms-service serve` with bad settings: the process stops with exit code 2,
naming the variable and never echoing a secret, as an operator sees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def serve_with(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`forms-service serve` started with these settings, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "forms_service", "serve"],
        env={**env, "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_start_up_stops_with_the_variable_named(tmp_path):
    result = serve_with(tmp_path, FORMS_SMTP_PORT="abc")
    assert result.returncode == 2
    assert "FORMS_SMTP_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def test_start_up_stops_on_a_proxy_secret_that_repeats_itself(tmp_path):
    secret = "0123abcd" * 5  # 40 characters, 8 different ones
    result = serve_with(tmp_path, FORMS_PROXY_SECRET=secret)
    assert result.returncode == 2
    assert "FORMS_PROXY_SECRET" in result.stderr
    assert "at least 10 different characters, got 8" in result.stderr
    assert "openssl rand -hex 32" in result.stderr
    assert secret[:8] not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        ('"change-me-to-a-long-random-value"', "placeholder"),  # as docker --env-file keeps it
        ("01234567890123456789012345678901", "typed pattern"),
    ],
)
def test_start_up_stops_on_a_quoted_placeholder_or_a_typed_run(tmp_path, secret, why):
    result = serve_with(tmp_path, FORMS_PROXY_SECRET=secret)
    assert result.returncode == 2
    assert "FORMS_PROXY_SECRET" in result.stderr and why in result.stderr
    assert secret.strip('"') not in result.stderr and "Traceback" not in result.stderr


def test_start_up_stops_on_a_desk_address_with_a_user_name(tmp_path):
    """No browser sends `user@` in Origin, so every desk post would be refused."""
    result = serve_with(tmp_path, FORMS_DESK_URL="https://admin@forms.example.org/desk/")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "FORMS_DESK_URL: expected an address without a user name" in result.stderr


@pytest.mark.parametrize("name", ["FORMS_DESK_URL", "FORMS_ALLOWED_ORIGINS"])
def test_start_up_stops_on_a_port_no_browser_can_send(tmp_path, name):
    """Port 99999 never reaches a browser's Origin: every post would be refused (403)."""
    value = "https://forms.example.org:99999" + ("/desk/" if name == "FORMS_DESK_URL" else "")
    result = serve_with(tmp_path, **{name: value})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{name}: port 99999 is out of range: a port is a number from 1 to 65535" in (
        result.stderr
    )
