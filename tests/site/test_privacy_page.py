"""The privacy page of the built site says what the coordinators' emails hold, in both
languages, as the email_details hook writes it from FORMS_EMAIL_DETAILS."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


def test_the_privacy_page_says_what_the_coordinators_emails_hold(site_dir, monkeypatch):
    import importlib.util
    import tomllib

    from ..support import ROOT

    html = (site_dir / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "the time it arrived, whether you wrote in English or Spanish and the ways" in html
    spec = importlib.util.spec_from_file_location(
        "email_details", ROOT / "overrides" / "hooks" / "email_details.py"
    )
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    english, spanish = (SimpleNamespace(theme={"language": lang}) for lang in ("en", "es"))
    spanish_html = (site_dir / "es" / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "la hora en que llegó, si escribiste en inglés o en español y las formas" in spanish_html
    monkeypatch.setenv("FORMS_EMAIL_DETAILS", "full")
    assert "as you typed it, by email" in hook.on_page_content(f"<li>{hook.MARKER}</li>", english)
    assert "tal como lo escribiste" in hook.on_page_content(hook.MARKER, spanish)
    monkeypatch.setenv("FORMS_EMAIL_DETAILS", "some")
    with pytest.raises(ValueError, match="FORMS_EMAIL_DETAILS"):
        hook.on_page_content(hook.MARKER, english)
    # the desk is never reached through the site's proxy: it would share the site's origin
    config = tomllib.loads((ROOT / "netlify.toml").read_text())
    assert not any(r["from"].startswith("/desk") for r in config["redirects"])
