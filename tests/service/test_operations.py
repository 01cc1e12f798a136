"""What coordinators and operators use: the command, health checks, the API document, logs."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import time
import uuid

from ..support import Service, SmtpServer, valid_form, wait_until
from .test_delivery import API, JSON, cli, post


def test_list_show_and_stats(service: Service, smtp: SmtpServer):
    reference = post(service, name="Listed Person", help=["admin"])
    smtp.inbox.wait_for(1)
    wait_until(lambda: "sent" in cli(service, "list").stdout, what="listed as sent")
    listing = cli(service, "list").stdout
    assert reference in listing and "Listed Person" in listing
    shown = cli(service, "show", reference).stdout
    assert "Your name: Listed Person" in shown and "admin" in shown
    assert cli(service, "show", "V-NOSUCHREF").returncode == 1
    stats = json.loads(cli(service, "stats").stdout)
    assert stats["submissions"] == 1 and stats["messages"]["sent"] == 1


def test_export_opens_cleanly_in_a_spreadsheet(service: Service, tmp_path):
    post(service, name='=HYPERLINK("http://evil")', message='Comma, "quotes"\nand lines')
    post(service, name="Élodie Ünïcode", help=["admin", "technology"])
    out = tmp_path / "export.csv"
    result = cli(service, "export", "--csv", "-o", str(out))
    assert result.returncode == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read the accents right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Reference", "Received", "Status", "Form", "name"]
    assert len(rows) == 3
    names = [r[4] for r in rows[1:]]
    assert names[0].startswith("'=")  # a formula is shown, never run
    assert names[1] == "Élodie Ünïcode"
    assert 'Comma, "quotes"\nand lines' in rows[1]
    assert "admin; technology" in rows[2]


def test_a_file_that_is_not_a_database_is_refused_in_one_line(service: Service, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    env = {**service.env, "FORMS_DATABASE": str(text)}
    for command, *args in (["list"], ["sessions"], ["end-sessions", "--all"]):
        done = cli(service, command, *args, env=env)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr == (
            f"forms-service {command}: {text} cannot be read as the service's database"
            " (file is not a database): check FORMS_DATABASE, or restore it from a backup.\n"
        )
    assert text.read_text() == "not a database\n" * 100


def test_send_test_email(service: Service, smtp: SmtpServer):
    result = cli(service, "send-test-email")
    assert result.returncode == 0, result.stderr
    (message,) = smtp.inbox.wait_for(1)
    assert message["Subject"] == "Test email from the volunteer form service"
    smtp.stop()
    failed = cli(service, "send-test-email")
    assert failed.returncode == 1 and "Could not send" in failed.stderr


def test_health_and_readiness(service: Service, smtp: SmtpServer):
    with service.client() as client:
        assert client.get("/api/healthz").json() == {"status": "ok"}
        smtp.stop()
        post(service)
        time.sleep(1)
        ready = client.get("/api/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["database"] == "writable"
    assert body["oldest_undelivered_seconds"] >= 0.5
    assert body["dead_letters"] == 0


def test_openapi_document_describes_the_endpoint(service: Service):
    doc = service.client().get("/api/openapi.json").json()
    post_op = doc["paths"][API]["post"]
    schema = post_op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(schema["required"]) == {"name", "email", "consent"}
    assert schema["properties"]["message"]["maxLength"] == 2000
    assert {"200", "201", "413", "415", "422", "429", "503"} <= set(post_op["responses"])
    ack = post_op["responses"]["201"]["content"]["application/json"]["schema"]
    assert "not_asked" in ack["properties"]["acknowledgement"]["enum"]
    thanks = doc["paths"][API + "/thanks"]["post"]
    assert {"200", "403", "404"} <= set(thanks["responses"])


def test_logs_never_contain_what_volunteers_typed(service: Service, smtp: SmtpServer):
    marker = uuid.uuid4().hex
    fields = dict(
        name=f"Name{marker}",
        email=f"e{marker}@example.com",
        phone="555 0100 7788",
        location=f"City{marker}",
        languages=f"Lang{marker}",
        message=f"Message{marker}",
    )
    with service.client() as client:
        client.post(API, data=valid_form(**fields), headers=JSON)
        client.post(API, data={**fields, "email": f"bad{marker}"}, headers=JSON)
        client.post(API, data={**fields, "name": "x\x00" + marker})
        client.post(API, data=valid_form(**fields, website=f"spam{marker}"))
        client.post(  # a broken multipart body: the parser's warnings quote its bytes
            API,
            content=b"--xyz\r\nmalformed" + marker.encode(),
            headers={**JSON, "Content-Type": "multipart/form-data; boundary=abc"},
        )
    smtp.inbox.wait_for(1)
    smtp.inbox.replies = ["550 no"]
    post(service, name=f"Dead{marker}")
    wait_until(lambda: "dead letter" in service.log())
    log = service.log()
    assert marker not in log
    assert "555 0100 7788" not in log
    assert "V-" in log  # references are logged, so operators can follow a submission
    assert "python_multipart" not in log  # its warnings hold bytes of the body


def test_the_access_log_names_routes_never_what_a_client_put_in_the_path(service: Service):
    marker = uuid.uuid4().hex
    forged = f"/api/x%0a2026-11-25%2023:06:02,720%20ERROR%20FAKE{marker}%1b%5b31m"
    with service.client() as client:
        assert client.get(forged).status_code == 404
        assert client.post(f"/api/healthz/{marker}@example.com").status_code == 404
        assert client.get(f"/api/healthz?who={marker}").status_code == 200
        client.post(API, data=valid_form(), headers=JSON)
    wait_until(lambda: "POST /api/forms/{slug} 201" in service.log())  # the template
    log = service.log()
    assert marker not in log and "\x1b" not in log and "FAKE" not in log
    assert "GET <other> 404" in log and "POST <other> 404" in log
    assert "GET /api/healthz 200" in log


def test_backup_is_a_consistent_copy(service: Service, tmp_path):
    reference = post(service)
    target = tmp_path / "backup.sqlite3"
    assert cli(service, "backup", str(target)).returncode == 0
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT reference FROM submissions").fetchall() == [(reference,)]


def test_the_worker_purges_past_retention_by_itself(start_service, smtp, tmp_path):
    first = start_service(smtp.port)
    old = post(first, name="Delivered long ago")
    smtp.inbox.wait_for(1)
    wait_until(lambda: "sent" in cli(first, "list").stdout)
    first.stop()
    conn = sqlite3.connect(first.database)
    conn.execute("UPDATE submissions SET created_at = created_at - 91 * 86400")
    conn.commit()
    conn.close()
    again = start_service(smtp.port)  # the worker purges when it starts, then daily
    wait_until(
        lambda: again.rows("SELECT count(*) FROM submissions WHERE reference = ?", old) == [(0,)],
        what="the daily purge",
    )
    wait_until(
        lambda: "purged 1 submission(s) older than 90 days (0 never delivered)" in again.log(),
        what="the purge log line",
    )
