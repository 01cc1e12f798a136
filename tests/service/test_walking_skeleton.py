"""The whole path: a browser-style post, the thank-you page, the row on disk, the email in
the inbox."""

from __future__ import annotations

import json
import sqlite3

from ..support import Service, SmtpServer, text_part, valid_form, wait_until


def test_posted_form_is_stored_and_emailed_to_coordinators(service: Service, smtp: SmtpServer):
    with service.client() as client:
        response = client.post(
            "/api/forms/volunteer",
            data=valid_form(name="Grace Hopper", email="grace@example.com", message="Evenings"),
            follow_redirects=True,
        )
    assert response.status_code == 200
    assert str(response.url).endswith("/api/forms/volunteer")  # nothing they typed in it
    assert "we received your message" in response.text.lower()

    (message,) = smtp.inbox.wait_for(1)
    assert message["To"] == "coordinators@example.org, second@example.org"
    assert message["Reply-To"] == "grace@example.com"
    body = text_part(message)
    assert "Grace Hopper" in body and "Evenings" in body

    conn = sqlite3.connect(service.database)
    (data,) = conn.execute("SELECT data FROM submissions").fetchone()
    assert json.loads(data)["name"] == "Grace Hopper"


def test_missing_required_fields_are_not_stored(service: Service, smtp: SmtpServer):
    with service.client() as client:
        response = client.post("/api/forms/volunteer", data={"message": "hi"})
    assert response.status_code == 422
    assert "Enter your name" in response.text
    assert service.rows("SELECT count(*) FROM submissions") == [(0,)]


def test_without_smtp_server_mail_goes_to_files(start_service, tmp_path):
    service = start_service()
    with service.client() as client:
        response = client.post("/api/forms/volunteer", data=valid_form())
    assert response.status_code == 200
    files = wait_until(lambda: list((tmp_path / "mail").glob("*.eml")), what="an .eml file")
    assert "Ada Volunteer" in files[0].read_text()
    wait_until(lambda: files[0].name in service.log(), what="the log line naming the file")
