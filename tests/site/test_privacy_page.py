"""The privacy page of the built site says what the coordinators' emails hold, in both
languages, as site_tools.markers writes it from FORMS_EMAIL_DETAILS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_tools.markers import EMAIL_DETAILS_MARKER, fill_email_details


def test_the_privacy_page_says_what_the_coordinators_emails_hold(site_dir, monkeypatch):
    import tomllib

    from ..support import ROOT

    html = (site_dir / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "the time it arrived, whether you wrote in English or Spanish and the ways" in html
    spanish_html = (site_dir / "es" / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "la hora en que llegó, si escribiste en inglés o en español y las formas" in spanish_html
    monkeypatch.setenv("FORMS_EMAIL_DETAILS", "full")
    page = f"<li>{EMAIL_DETAILS_MARKER}</li>"
    assert "as you typed it, by email" in fill_email_details(page, "en")
    assert "tal como lo escribiste" in fill_email_details(EMAIL_DETAILS_MARKER, "es")
    monkeypatch.setenv("FORMS_EMAIL_DETAILS", "some")
    with pytest.raises(ValueError, match="FORMS_EMAIL_DETAILS"):
        fill_email_details(EMAIL_DETAILS_MARKER, "en")
    # the desk is never reached through the site's proxy: it would share the site's origin
    config = tomllib.loads((ROOT / "netlify.toml").read_text())
    assert not any(r["from"].startswith("/desk") for r in config["redirects"])


def test_the_days_a_form_is_kept_are_the_services_settings(site_dir, tmp_path):
    """The privacy and contact pages of both editions, built with the service's defaults
    and again with FORMS_RETENTION_DAYS and FORMS_CONTACT_RETENTION_DAYS set."""
    import os
    import subprocess
    import sys

    from forms_service.settings import Settings

    from ..support import ROOT

    def days(site: Path) -> dict[str, list[str]]:
        return {
            page: re.findall(r"<strong>(\d+) d(?:ays|ías)</strong>", text)
            for page in ("privacy", "es/privacy", "contact", "es/contact")
            for text in [(site / page / "index.html").read_text(encoding="utf-8")]
        }

    d = Settings()
    volunteer, contact = str(d.retention_days), str(d.contact_retention_days)
    defaults = {"privacy": [volunteer, contact], "contact": [contact]}
    assert days(site_dir) == {**defaults, **{f"es/{p}": n for p, n in defaults.items()}}
    env = {
        **os.environ,
        "FORMS_RETENTION_DAYS": "45",
        "FORMS_CONTACT_RETENTION_DAYS": "14",
        "FORMS_RATE_LIMIT": "20/minute",
    }
    out = tmp_path / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(out)]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    set_days = {"privacy": ["45", "14"], "contact": ["14"]}
    assert days(out) == {**set_days, **{f"es/{p}": n for p, n in set_days.items()}}
    privacy = " ".join((out / "privacy" / "index.html").read_text("utf-8").split())
    assert "It forgets them 1 minute after the last form it saved" in privacy


def test_the_privacy_page_says_what_the_rate_limit_keeps_and_for_how_long(site_dir):
    """As forms_service/web/guard.py keeps it (tests/unit/test_guard.py): for its window."""
    english = " ".join((site_dir / "privacy" / "index.html").read_text("utf-8").split())
    for words in (
        "keeps your internet address (for a newer, IPv6 address, the part that names your",
        "It forgets them 1 hour after the last form it saved from that address",
        "when 50,000 other addresses have sent forms since",
    ):
        assert words in english, words
    spanish = " ".join((site_dir / "es" / "privacy" / "index.html").read_text("utf-8").split())
    assert "Las olvida 1 hora después del último formulario" in spanish
