"""Settings: defaults that work out of the box, and bad values that stop start-up by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms_service.settings import RateLimit, Settings, SettingsError


def test_defaults_run_without_any_configuration():
    s = Settings.from_env({})
    assert s.database == Path("var/forms.sqlite3")
    assert not s.uses_smtp
    assert s.port == 8000


def test_values_are_read_and_typed():
    s = Settings.from_env(
        {
            "FORMS_SMTP_HOST": "mail.example.org",
            "FORMS_SMTP_SECURITY": "STARTTLS",
            "FORMS_COORDINATORS": "a@example.org, b@example.org",
            "FORMS_RATE_LIMIT": "5/minute",
            "FORMS_TRUSTED_PROXIES": "10.0.0.0/8",
        }
    )
    assert s.smtp_port == 587  # the port follows the security mode unless set
    assert s.coordinators == ("a@example.org", "b@example.org")
    assert s.rate_limit == RateLimit(5, 60)
    assert s.uses_smtp


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FORMS_SMTP_PORT", "twenty-five"),
        ("FORMS_SMTP_PORT", "70000"),
        ("FORMS_SMTP_SECURITY", "ssl3"),
        ("FORMS_COORDINATORS", "not an address"),
        ("FORMS_MAIL_FROM", "a@b@c"),
        ("FORMS_RATE_LIMIT", "lots"),
        ("FORMS_ALLOWED_ORIGINS", "example.org"),
        ("FORMS_TRUSTED_PROXIES", "10.0.0.300"),
        ("FORMS_ACKNOWLEDGE", "maybe"),
        ("FORMS_MAX_HEADER_BYTES", "100"),
        ("FORMS_HEADER_TIMEOUT", "0"),
        ("FORMS_WRITE_TIMEOUT", "0"),
    ],
)
def test_a_bad_value_names_its_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_secrets_are_not_echoed():
    secret = "s3cret-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
    s = Settings.from_env({"FORMS_SMTP_PASSWORD": "hunter2", "FORMS_PROXY_SECRET": secret})
    assert "hunter2" not in repr(s) and secret not in repr(s)


@pytest.mark.parametrize(
    ("written", "origin"),
    [
        ("http://127.0.0.1:08103", "http://127.0.0.1:8103"),  # leading zeros dropped
        ("HTTPS://Bücher.Example:0443/", "https://xn--bcher-kva.example"),  # IDNA, default port
        ("http://[::1]:080", "http://[::1]"),
        ("http://xn--bcher-kva.example:8000", "http://xn--bcher-kva.example:8000"),
    ],
)
def test_origins_are_written_as_a_browser_sends_them(written: str, origin: str):
    """Every post is checked against these: a spelling no browser sends in Origin would
    refuse them all."""
    desk = written.rstrip("/") + "/desk/"
    s = Settings.from_env({"FORMS_ALLOWED_ORIGINS": written, "FORMS_DESK_URL": desk})
    assert s.allowed_origins == (origin,)
    assert (s.desk_origin, s.desk) == (origin, f"{origin}/desk/")


@pytest.mark.parametrize("name", ["FORMS_ALLOWED_ORIGINS", "FORMS_DESK_URL"])
@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("forms.example.org:99999", "port 99999 is out of range: a port is a number from 1 to"),
        ("forms.example.org:0", "port 0 is out of range"),
        ("forms.example.org:8o8o", "expected a port of digits after the host, got '8o8o'"),
    ],
)
def test_an_origin_no_browser_can_send_stops_start_up_saying_why(
    name: str, host: str, problem: str
):
    value = f"https://{host}" + ("/desk/" if name == "FORMS_DESK_URL" else "")
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({name: value})
    assert str(refused.value).startswith(f"{name}: ") and problem in str(refused.value)
