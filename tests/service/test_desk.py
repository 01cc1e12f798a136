"""The coordinators' desk over HTTP: the real service under uvicorn, a real SMTP server,
a real SQLite file. Sign-in, sessions, CSRF and origin checks, and what each action
leaves in the database."""

from __future__ import annotations

import csv
import io
import re
import socket
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from ..desk import COORDINATOR, ask_for_link, csrf, link_from, sign_in, submit
from ..support import (
    InProcessService,
    Service,
    SmtpServer,
    text_part,
    valid_contact,
    valid_form,
    wait_until,
)
from .test_delivery import cli

EVIL = "https://evil.example"
TIME = re.compile(r'<time datetime="([^"]+)">([^<]+)</time>')
LOOK_ALIKE = "a@\u0430pple.com"  # a Cyrillic a: not apple.com
PHOENIX = "America/Phoenix"  # MST, UTC-07:00, no daylight saving time


@pytest.fixture
def desk(start_service, smtp: SmtpServer) -> Service:
    return start_service(smtp.port, FORMS_EMAIL_DETAILS="summary", FORMS_ACKNOWLEDGE="true")


STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"  # how the operators' commands show a time


def utc(timestamp: float) -> str:
    """A moment as the desk shows it with its default zone."""
    return f"{datetime.fromtimestamp(timestamp, UTC):%-d %b %Y, %H:%M} UTC"


def body_text(response: httpx.Response) -> str:
    """What a person reads: the page without its markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text)).strip()


def test_anyone_may_ask_and_gets_the_same_answer_but_only_a_coordinator_gets_a_link(
    desk: Service, smtp: SmtpServer
) -> None:
    with desk.client() as client:
        stranger = ask_for_link(client, "someone@example.net")
        coordinator = ask_for_link(client, "Coordinators@Example.org")
    assert stranger.status_code == coordinator.status_code == 200
    assert body_text(stranger) == body_text(coordinator)
    assert "If this address may sign in, a link is on its way" in body_text(stranger)
    messages = smtp.inbox.wait_for(1)
    time.sleep(1.0)  # the stranger's request came first: no email may follow for it
    assert [m["To"] for m in smtp.inbox.messages] == ["coordinators@example.org"]
    assert [rcpt for _, rcpt in smtp.inbox.envelopes] == [["coordinators@example.org"]]
    assert "15 minutes" in text_part(messages[0])


def test_a_coordinator_s_answer_never_waits_on_writing_their_link(
    desk: Service, smtp: SmtpServer
) -> None:
    """A coordinator's link is written with a disk sync, a stranger's never: an answer
    that waited for it would tell them apart by its time. The database is held locked
    while both ask: both answers arrive, the same, before it is let go; the link is written
    and sent after."""
    with desk.client() as client:  # the schema is in place before the lock is taken
        assert client.get("/desk/sign-in").status_code == 200
    holder = sqlite3.connect(desk.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # every writer waits until this ends
    try:
        with desk.client() as client:
            coordinator = ask_for_link(client, COORDINATOR)
            stranger = ask_for_link(client, "someone@example.net")
        assert coordinator.status_code == stranger.status_code == 200
        assert body_text(coordinator) == body_text(stranger)
        assert desk.rows("SELECT count(*) FROM sign_in_links") == [(0,)]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert link_from(smtp, 1).startswith(f"{desk.url}/desk/link/")
    assert [m["To"] for m in smtp.inbox.messages] == [COORDINATOR]


def test_the_link_opens_a_button_and_only_the_post_signs_in_once(
    desk: Service, smtp: SmtpServer
) -> None:
    with desk.client() as client:
        ask_for_link(client, COORDINATOR)
        link = link_from(smtp, 1)
        path = link.removeprefix(desk.url)
        for _ in range(2):  # a mail scanner opening the link does not spend it
            page = client.get(path)
            assert page.status_code == 200
            assert re.search(
                r'<form method="post" action="[^"]+">\s*<button[^>]*>Sign in', page.text
            )
        assert client.get("/desk/", follow_redirects=False).status_code == 303
        signed = client.post(path)
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/desk/" in cookie
        assert "Secure" not in cookie  # the desk's URL is http here
        assert client.get("/desk/").status_code == 200
        again = client.post(path)
        assert again.status_code == 400 and "does not work" in again.text
        assert client.get(path).status_code == 400
    token = path.rsplit("/", 1)[1]
    stored = desk.rows("SELECT token_hash FROM sign_in_links")
    assert len(stored) == 1 and stored[0][0] != token
    assert token.encode() not in desk.database.read_bytes()


def test_an_altered_or_expired_link_fails(desk: Service, smtp: SmtpServer) -> None:
    with desk.client() as client:
        ask_for_link(client, COORDINATOR)
        path = link_from(smtp, 1).removeprefix(desk.url)
        altered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
        assert client.post(altered).status_code == 400
        conn = sqlite3.connect(desk.database)
        conn.execute("UPDATE sign_in_links SET expires_at = ?", (time.time() - 1,))
        conn.commit()
        conn.close()
        assert client.get(path).status_code == 400
        expired = client.post(path)
        assert expired.status_code == 400 and "set-cookie" not in expired.headers
        assert client.get("/desk/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    "desk_url", ["https://desk.example.org/desk/", "HTTPS://Desk.Example.ORG:443/desk"]
)
def test_the_cookie_is_secure_when_the_desk_is_on_https(
    start_service, smtp: SmtpServer, desk_url: str
) -> None:
    """Written with capitals and the default port, the desk's address is the origin the
    browser sends: sign-in is not refused, and the link names the host as browsers do."""
    desk = start_service(smtp.port, FORMS_DESK_URL=desk_url)
    with httpx.Client(base_url=desk.url, headers={"Origin": "https://desk.example.org"}) as c:
        assert ask_for_link(c, COORDINATOR).status_code == 200
        link = link_from(smtp, 1)
        assert link.startswith("https://desk.example.org/desk/link/")
        signed = c.post(link.removeprefix("https://desk.example.org"))
    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]


def test_a_stranger_asking_for_a_coordinators_links_neither_floods_nor_locks_them_out(
    start_service, smtp: SmtpServer
) -> None:
    """Asking for a coordinator's link answers the same, always, from anywhere; at most
    three links work at once, so their inbox gets no more, and the newest one opens the
    desk; once they use one (or sign out everywhere), asking sends a new one."""
    desk = start_service(smtp.port, FORMS_TRUSTED_PROXIES="127.0.0.1")

    def ask(client: httpx.Client, address: str, place: str) -> httpx.Response:
        r = client.post(
            "/desk/sign-in", data={"email": address}, headers={"X-Forwarded-For": place}
        )
        assert r.status_code == 200 and "a link is on its way" in r.text
        return r

    def links() -> int:
        time.sleep(0.5)  # the emails go out in the background
        return len(smtp.inbox.messages)

    with desk.client() as client:
        for i in range(5):  # a stranger, from five places
            ask(client, COORDINATOR, f"10.77.0.{i}")
        assert links() == 3
        own = ask(client, COORDINATOR, "10.88.0.1")  # the coordinator, from home
        assert body_text(own) == body_text(ask(client, "x@example.net", "10.88.0.1"))
        assert links() == 3
        assert client.post(link_from(smtp, 3).removeprefix(desk.url)).status_code == 303
        ask(client, COORDINATOR, "10.88.0.1")
        assert links() == 4
        answers = [
            client.post(
                "/desk/sign-in",
                data={"email": f"p{i}@example.net"},
                headers={"X-Forwarded-For": "10.99.0.1"},
            ).status_code
            for i in range(11)
        ]
        assert answers == [200] * 10 + [429]  # ten from one client within the hour


def test_every_desk_page_without_a_session_goes_to_sign_in_and_shows_nothing(
    desk: Service, smtp: SmtpServer
) -> None:
    reference = submit(desk, name="Hidden Person", email="hidden@example.com")
    gets = ["/desk/", f"/desk/submissions/{reference}", f"/desk/submissions/{reference}/erase"]
    gets.append("/desk/sessions")
    posts = [
        f"/desk/submissions/{reference}/status",
        f"/desk/submissions/{reference}/notes",
        f"/desk/submissions/{reference}/erase",
        "/desk/export",
        "/desk/filter",
        "/desk/sign-out",
        "/desk/sign-out-everywhere",
    ]
    for cookies in ({}, {"desk_session": "made-up"}):
        with httpx.Client(base_url=desk.url, headers={"Origin": desk.url}, cookies=cookies) as c:
            for path in gets:
                r = c.get(path)
                assert (r.status_code, r.headers["location"]) == (303, "/desk/sign-in"), path
                assert r.content == b""
            for path in posts:
                r = c.post(path, data={"status": "closed", "note": "x"})
                assert (r.status_code, r.headers["location"]) == (303, "/desk/sign-in"), path
                assert r.content == b""
    assert desk.rows("SELECT status FROM submissions") == [("new",)]
    assert desk.rows("SELECT count(*) FROM notes") == [(0,)]


def test_a_link_followed_from_an_email_reloads_once_to_bring_the_strict_cookie(
    desk: Service, smtp: SmtpServer
) -> None:
    with desk.client() as client:
        r = client.get("/desk/?status=new&waiting=1", headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 200
    assert '<meta http-equiv="refresh" content="0; url=/desk/?status=new&amp;waiting=1">' in r.text


def test_posts_without_the_token_or_from_another_origin_are_refused_and_change_nothing(
    desk: Service, smtp: SmtpServer
) -> None:
    reference = submit(desk)
    client = sign_in(desk, smtp)
    token = csrf(client)
    attempts = [
        (f"/desk/submissions/{reference}/status", {"status": "closed"}),
        (f"/desk/submissions/{reference}/notes", {"note": "forged"}),
        (f"/desk/submissions/{reference}/erase", {}),
        ("/desk/export", {}),
        ("/desk/filter", {"search": "x"}),
        ("/desk/sign-out", {}),
        ("/desk/sign-out-everywhere", {}),
    ]
    for path, data in attempts:
        missing = client.post(path, data=data)
        wrong = client.post(path, data={**data, "csrf": token[:-1]})
        foreign = client.post(path, data={**data, "csrf": token}, headers={"Origin": EVIL})
        cross = client.post(
            path,
            data={**data, "csrf": token},
            headers={"Origin": "", "Sec-Fetch-Site": "cross-site"},
        )
        doubled = client.post(  # ours and another: which one a proxy believes is unknown
            path,
            data={**data, "csrf": token},
            headers=[("Origin", desk.url), ("Origin", EVIL)],
        )
        for r in (missing, wrong, foreign, cross, doubled):
            assert r.status_code == 403, (path, r.status_code)
            assert "Nothing was changed" in r.text
    assert desk.rows("SELECT status FROM submissions") == [("new",)]
    assert desk.rows("SELECT count(*) FROM notes") == [(0,)]
    assert desk.rows("SELECT count(*) FROM history") == [(0,)]
    assert desk.rows("SELECT search FROM desk_sessions") == [("",)]
    assert client.get("/desk/").status_code == 200  # still signed in
    client.close()


@pytest.mark.parametrize(
    "column, minutes", [("seen_at", 31), ("created_at", 12 * 60 + 1)], ids=["idle", "absolute"]
)
def test_an_expired_session_is_sent_back_to_sign_in(
    desk: Service, smtp: SmtpServer, column: str, minutes: int
) -> None:
    client = sign_in(desk, smtp)
    assert client.get("/desk/").status_code == 200
    conn = sqlite3.connect(desk.database)
    conn.execute(f"UPDATE desk_sessions SET {column} = {column} - ?", (minutes * 60,))  # noqa: S608
    conn.commit()
    conn.close()
    r = client.get("/desk/", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/desk/sign-in")
    assert desk.rows("SELECT count(*) FROM desk_sessions") == [(0,)]
    client.close()


def test_signing_out_ends_the_session_on_the_server(desk: Service, smtp: SmtpServer) -> None:
    client = sign_in(desk, smtp)
    cookie = client.cookies["desk_session"]
    r = client.post("/desk/sign-out", data={"csrf": csrf(client)})
    assert r.status_code == 200 and "signed out" in r.text
    assert 'desk_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    with httpx.Client(base_url=desk.url, cookies={"desk_session": cookie}) as replay:
        assert replay.get("/desk/").status_code == 303
    assert desk.rows("SELECT count(*) FROM desk_sessions") == [(0,)]
    client.close()


def test_a_coordinator_sees_their_other_sessions_and_signs_out_everywhere(
    desk: Service, smtp: SmtpServer
) -> None:
    """A phone left signed in shows on the desk with when it was last used; signing out
    everywhere ends it, this session, and the link still in the mailbox, and no colleague's."""
    here = sign_in(desk, smtp)
    phone = sign_in(desk, smtp)
    colleague = sign_in(desk, smtp, "second@example.org")
    assert "You are signed in as second@example.org here only" in body_text(
        colleague.get("/desk/sessions")
    )
    assert "signed in somewhere else" not in colleague.get("/desk/").text
    ask_for_link(here, COORDINATOR)
    unused = link_from(smtp, 4).removeprefix(desk.url)
    with sqlite3.connect(desk.database) as conn:  # the phone: last used 20 minutes ago
        conn.execute(
            "UPDATE desk_sessions SET seen_at = seen_at - 1200, created_at = created_at - 3600"
            " WHERE rowid = 2"
        )
    conn.close()
    [(created, seen)] = desk.rows("SELECT created_at, seen_at FROM desk_sessions WHERE rowid = 2")
    home = body_text(here.get("/desk/"))
    assert "You are also signed in somewhere else (1 other session)" in home
    page = here.get("/desk/sessions")
    shown = dict(re.findall(r"<li><strong>([^<]+)</strong>: (.+?)</li>", page.text))
    assert list(shown) == ["This browser", "Another session"]
    times = [readable for _, readable in TIME.findall(shown["Another session"])]
    assert times == [utc(created), utc(seen)]
    assert "id_hash" not in page.text and "csrf" not in body_text(page)

    token = csrf(here)
    for refused in (
        here.post("/desk/sign-out-everywhere"),
        here.post("/desk/sign-out-everywhere", data={"csrf": token}, headers={"Origin": EVIL}),
    ):
        assert refused.status_code == 403 and "Nothing was changed" in refused.text
    assert desk.rows("SELECT count(*) FROM desk_sessions") == [(3,)]

    r = here.post("/desk/sign-out-everywhere", data={"csrf": token})
    assert r.status_code == 200
    assert "You are signed out everywhere" in r.text and "1 other session of yours" in r.text
    assert 'desk_session=""' in r.headers["set-cookie"] or "Max-Age=0" in r.headers["set-cookie"]
    for client in (here, phone):
        gone = client.get("/desk/", follow_redirects=False)
        assert (gone.status_code, gone.headers["location"]) == (303, "/desk/sign-in")
    assert "desk_session" not in phone.cookies  # the dead cookie was dropped on the way
    assert colleague.get("/desk/").status_code == 200
    assert desk.rows("SELECT address FROM desk_sessions") == [("second@example.org",)]
    assert "does not work" in here.post(unused).text
    [line] = [x for x in desk.log().splitlines() if "signed out everywhere" in x]
    assert line.endswith("a coordinator signed out everywhere: 2 session(s) ended")
    for client in (here, phone, colleague):
        client.close()


def test_an_operator_lists_and_ends_a_coordinators_sessions_while_the_service_runs(
    desk: Service, smtp: SmtpServer
) -> None:
    mine = sign_in(desk, smtp)
    theirs = sign_in(desk, smtp, "second@example.org")
    listed = cli(desk, "sessions")
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert len(lines) == 2, listed.stdout
    assert {line.split()[0] for line in lines} == {COORDINATOR, "second@example.org"}
    for line in lines:
        assert re.fullmatch(rf"\S+  signed in {STAMP}  last used {STAMP}", line), line
    for secret in [*sum(desk.rows("SELECT id_hash, csrf FROM desk_sessions"), ())]:
        assert secret not in listed.stdout
    assert mine.cookies["desk_session"] not in listed.stdout

    neither = cli(desk, "end-sessions")
    both = cli(desk, "end-sessions", "second@example.org", "--all")
    for refused in (neither, both):
        assert refused.returncode == 2 and "nothing was ended" in refused.stderr
    assert cli(desk, "end-sessions", "not an address").returncode == 2
    assert desk.rows("SELECT count(*) FROM desk_sessions") == [(2,)]

    ended = cli(desk, "end-sessions", "Second@Example.org")
    assert ended.returncode == 0 and "Ended 1 desk session(s) of" in ended.stdout
    gone = theirs.get("/desk/", follow_redirects=False)
    assert (gone.status_code, gone.headers["location"]) == (303, "/desk/sign-in")
    assert mine.get("/desk/").status_code == 200
    assert cli(desk, "sessions").stdout.split()[0] == COORDINATOR

    stranger = cli(desk, "end-sessions", "someone@example.net")
    assert "Ended 0" in stranger.stdout
    assert "someone@example.net is not in this shell's FORMS_COORDINATORS." in stranger.stdout
    everyone = cli(desk, "end-sessions", "--all")
    assert "Ended 1 desk session(s) of every coordinator" in everyone.stdout
    assert mine.get("/desk/", follow_redirects=False).status_code == 303
    assert cli(desk, "sessions").stdout == "No desk sessions.\n"
    mine.close()
    theirs.close()


def test_the_session_commands_tell_the_truth_with_only_the_database_set(
    desk: Service, smtp: SmtpServer
) -> None:
    """An operator's shell with FORMS_DATABASE alone (as the README says the commands
    need) sees and ends what is stored; a note on FORMS_COORDINATORS only when it is set."""
    client = sign_in(desk, smtp, "second@example.org")
    bare = {k: v for k, v in desk.env.items() if k != "FORMS_COORDINATORS"}
    other = {**bare, "FORMS_COORDINATORS": "coordinators@example.org"}

    def run(env: dict[str, str], *args: str) -> str:
        done = cli(desk, *args, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert re.fullmatch(
        rf"second@example\.org  signed in {STAMP}  last used {STAMP}\n", run(bare, "sessions")
    )
    assert run(other, "sessions").endswith("  (not in this shell's FORMS_COORDINATORS)\n")
    ended = run(bare, "end-sessions", "second@example.org")
    assert ended.startswith("Ended 1 desk session(s) of second@example.org;")
    assert "FORMS_COORDINATORS" not in ended
    assert client.get("/desk/", follow_redirects=False).status_code == 303
    assert run(bare, "sessions") == "No desk sessions.\n"
    client.close()


def test_a_coordinator_with_an_idn_domain_signs_in_and_is_ended_in_either_spelling(
    start_service, smtp: SmtpServer
) -> None:
    """FORMS_COORDINATORS, the sign-in form and end-sessions may each spell the domain in
    Unicode or in punycode, in any case: it is one coordinator."""
    desk = start_service(smtp.port, FORMS_COORDINATORS="Ops@Exämple.org")
    unicode_spelt = sign_in(desk, smtp, "ops@exämple.org")
    ascii_spelt = sign_in(desk, smtp, "OPS@xn--exmple-cua.org")
    assert [m["To"] for m in smtp.inbox.messages] == ["Ops@xn--exmple-cua.org"] * 2
    assert unicode_spelt.get("/desk/").status_code == ascii_spelt.get("/desk/").status_code == 200
    ended = cli(desk, "end-sessions", "ops@EXÄMPLE.org")
    assert ended.returncode == 0, ended.stderr
    assert "Ended 2 " in ended.stdout and "not in FORMS_COORDINATORS" not in ended.stdout
    for client in (unicode_spelt, ascii_spelt):
        assert client.get("/desk/", follow_redirects=False).status_code == 303
        client.close()


def test_a_sign_in_forgets_the_sessions_nobody_signed_out_of(
    desk: Service, smtp: SmtpServer
) -> None:
    left = sign_in(desk, smtp)  # a browser closed without signing out, 31 minutes ago
    with sqlite3.connect(desk.database) as conn:
        conn.execute("UPDATE desk_sessions SET seen_at = seen_at - 31 * 60")
    conn.close()
    assert desk.rows("SELECT count(*) FROM desk_sessions") == [(1,)]
    colleague = sign_in(desk, smtp, "second@example.org")
    assert desk.rows("SELECT address FROM desk_sessions") == [("second@example.org",)]
    left.close()
    colleague.close()


def test_removing_an_address_from_the_coordinators_ends_its_sessions(
    start_service, smtp: SmtpServer, tmp_path
) -> None:
    first = start_service(smtp.port)
    client = sign_in(first, smtp, "second@example.org")
    cookie = client.cookies["desk_session"]
    client.close()
    first.stop()
    again = start_service(smtp.port, FORMS_COORDINATORS="coordinators@example.org")
    with httpx.Client(base_url=again.url, cookies={"desk_session": cookie}) as c:
        assert c.get("/desk/").status_code == 303


def test_a_client_hanging_up_mid_post_is_one_quiet_log_line(
    desk: Service, smtp: SmtpServer
) -> None:
    """Anyone may start a sign-in post and hang up: the log gets one INFO line each time,
    never an ERROR with a traceback (which anyone could then fill the log with)."""
    cookie = sign_in(desk, smtp).cookies["desk_session"]
    for path, extra in (
        ("/desk/sign-in", ""),
        ("/desk/filter", f"Cookie: desk_session={cookie}\r\n"),
    ):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {desk.url}\r\n{extra}"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        with socket.create_connection(("127.0.0.1", desk.port), timeout=5) as sock:
            sock.sendall(head.encode() + b"email=a")
    wait_until(lambda: desk.log().count("client went away") == 2, 10, "two log lines")
    time.sleep(0.5)
    log = desk.log()
    assert "ERROR" not in log and "Traceback" not in log, log
    assert log.count("INFO forms_service.desk: client went away before sending the whole form") == 2


def test_every_desk_page_is_no_store_noindex_and_locked_down(
    desk: Service, smtp: SmtpServer
) -> None:
    reference = submit(desk)
    client = sign_in(desk, smtp)
    pages = ["/desk/sign-in", "/desk/", f"/desk/submissions/{reference}"]
    pages += [f"/desk/submissions/{reference}/erase", "/desk/sessions"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-robots-tag"] == "noindex, nofollow"
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp and "<script" not in r.text
    export = client.post("/desk/export", data={"csrf": csrf(client)})
    assert export.headers["cache-control"] == "no-store"
    client.close()


def test_status_notes_history_and_export_are_recorded(desk: Service, smtp: SmtpServer) -> None:
    reference = submit(desk, name="=cmd|' /C calc'!A0", message="@SUM(1)")
    client = sign_in(desk, smtp)
    token = csrf(client)
    path = f"/desk/submissions/{reference}"
    assert client.post(f"{path}/status", data={"csrf": token, "status": "contacted"}).is_redirect
    assert client.post(f"{path}/notes", data={"csrf": token, "note": "Called <b>twice</b>"})
    page = client.get(path).text
    assert "Called &lt;b&gt;twice&lt;/b&gt;" in page
    assert "Status changed from New to Contacted (coordinators@example.org)" in page
    assert "Note added (coordinators@example.org)" in page
    assert (
        f"mailto:ada@example.com?subject=Your%20offer%20to%20volunteer%20%28{reference}%29" in page
    )
    export = client.post("/desk/export?status=contacted", data={"csrf": token})
    assert export.status_code == 200
    assert export.headers["content-disposition"].startswith("attachment")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{reference},")
    assert "'=cmd" in lines[1] and "'@SUM(1)" in lines[1]
    assert (
        client.post("/desk/export?status=closed", data={"csrf": token})
        .content.decode("utf-8-sig")
        .count("\n")
        == 1
    )
    history = desk.rows("SELECT actor, what FROM history ORDER BY id")
    assert history[-1] == (COORDINATOR, "Exported in a CSV file of 1 submission(s)")
    client.close()


def test_every_time_on_the_desk_is_on_the_organisations_clock_with_its_zone_named(
    start_service, smtp: SmtpServer
) -> None:
    """Phoenix keeps MST, seven hours behind UTC, all year: a coordinator reads every time
    with "MST" beside it, and the export holds the same moment with its offset."""
    desk = start_service(smtp.port, FORMS_TIMEZONE=PHOENIX)
    reference = submit(desk)
    client = sign_in(desk, smtp)
    token = csrf(client)
    path = f"/desk/submissions/{reference}"
    client.post(f"{path}/status", data={"csrf": token, "status": "contacted"})
    client.post(f"{path}/notes", data={"csrf": token, "note": "Called"})
    [(created_at,)] = desk.rows("SELECT created_at FROM submissions")
    received = datetime.fromtimestamp(created_at, ZoneInfo(PHOENIX))
    offset = received.isoformat(timespec="seconds")
    shown = f"{received:%-d %b %Y, %H:%M} MST"
    pages = {"list": client.get("/desk/"), "one": client.get(path)}
    # the list, then received, the note, and the history: received, status, note
    assert [t[1] for t in TIME.findall(pages["list"].text)] == [shown]
    times = TIME.findall(pages["one"].text)
    assert len(times) == 5 and times[0] == (offset, shown)
    for page in pages.values():
        assert not re.search(r"\d\d:\d\d(?! MST)", body_text(page)), "a time without its zone"
    for iso, readable in times:
        moment = datetime.fromisoformat(iso)
        assert moment.utcoffset() == timedelta(hours=-7)
        assert readable == f"{moment:%-d %b %Y, %H:%M} MST"
    export = client.post("/desk/export", data={"csrf": token}).content.decode("utf-8-sig")
    rows = list(csv.reader(export.splitlines()))
    assert rows[0][:3] == ["Reference", "Received", "Status"]
    assert rows[1][:2] == [reference, offset]
    assert datetime.fromisoformat(rows[1][1]).timestamp() == int(created_at)
    client.post(f"{path}/erase", data={"csrf": token})
    [(erased_at,)] = desk.rows("SELECT erased_at FROM erasures")
    erased = datetime.fromtimestamp(erased_at, ZoneInfo(PHOENIX))
    assert TIME.findall(client.get(path).text) == [
        (erased.isoformat(timespec="seconds"), f"{erased:%-d %b %Y, %H:%M} MST")
    ]
    client.close()


def test_erasing_one_person_leaves_only_the_record_of_the_erasure(
    desk: Service, smtp: SmtpServer
) -> None:
    keep = submit(desk, name="Kept Person", email="kept@example.com")
    gone = submit(desk, name="Zanzibar Quetzalcoatl", email="zq-unique@example.com")
    smtp.inbox.wait_for(4)  # coordinators' summary and acknowledgement for each
    client = sign_in(desk, smtp)
    token = csrf(client)
    path = f"/desk/submissions/{gone}"
    client.post(f"{path}/notes", data={"csrf": token, "note": "Zanzibar prefers evenings"})
    confirm = client.get(f"{path}/erase")
    assert "This cannot be undone" in confirm.text
    assert desk.rows("SELECT count(*) FROM submissions") == [(2,)]  # the page alone erases nothing
    r = client.post(f"{path}/erase", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == f"/desk/?erased={gone}"
    assert desk.rows("SELECT reference FROM submissions") == [(keep,)]
    assert desk.rows("SELECT count(*) FROM outbox") == [(2,)]
    assert desk.rows("SELECT count(*) FROM notes") == [(0,)]
    assert desk.rows("SELECT count(*) FROM history") == [(0,)]
    assert desk.rows("SELECT count(*) FROM acknowledgements") == [(1,)]
    [(reference, erased_by)] = desk.rows("SELECT reference, erased_by FROM erasures")
    assert (reference, erased_by) == (gone, COORDINATOR)
    files = [desk.database, desk.database.with_name(desk.database.name + "-wal")]
    for file in files:
        if file.exists():
            assert b"Zanzibar" not in file.read_bytes() and b"zq-unique" not in file.read_bytes()
    page = client.get(path)
    assert page.status_code == 404 and "was erased on" in page.text and COORDINATOR in page.text
    client.close()


def test_the_list_names_only_a_reference_that_was_erased(desk: Service, smtp: SmtpServer) -> None:
    """`?erased=` is anyone's to write in a link: the desk repeats no text from it, and
    names a reference only once it was really erased."""
    keep, gone = submit(desk, name="Kept Person"), submit(desk, name="Gone Person")
    client = sign_in(desk, smtp)
    r = client.post(f"/desk/submissions/{gone}/erase", data={"csrf": csrf(client)})
    assert client.get(r.headers["location"]).text.count(f"{gone} was erased.") == 1
    for planted in ("Call 555-0100 now", keep, "FAKE-0001"):
        page = client.get("/desk/", params={"erased": planted})
        assert page.status_code == 200 and "was erased" not in page.text
        assert "555-0100" not in page.text and "FAKE-0001" not in page.text
    client.close()


def test_both_exports_keep_a_contact_message_s_safety_instructions(
    desk: Service, smtp: SmtpServer
) -> None:
    """Whoever follows up from the file reads "text only, never leave a message", whichever
    export made it; both have the same columns in the same order, the same rows, and each
    row names its form."""
    submit(desk, name="Volunteer Row")
    with desk.client() as client:
        r = client.post(
            "/api/forms/contact",
            data=valid_contact(
                ways=["text"],
                email="",
                phone="+1 555 0100",
                leave_message="no",
                good_times="weekday mornings",
                bad_times="after 6pm",
            ),
            headers={"Accept": "application/json"},
        )
    assert r.status_code == 201, r.text
    client = sign_in(desk, smtp)
    desk_csv = client.post("/desk/export", data={"csrf": csrf(client)}).content.decode()
    cli_csv = cli(desk, "export").stdout
    client.close()
    for text in (desk_csv, cli_csv):
        rows = list(csv.DictReader(text.lstrip("\ufeff").splitlines()))
        contact = next(row for row in rows if row["Form"] == "contact")
        assert contact["ways"] == "text" and contact["phone"] == "'+1 555 0100"  # shown, never run
        assert contact["leave_message"] == "no"
        assert (contact["good_times"], contact["bad_times"]) == ("weekday mornings", "after 6pm")
        assert [row["Form"] for row in rows if row["name"] == "Volunteer Row"] == ["volunteer"]
    sheets = [list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) for text in (desk_csv, cli_csv)]
    assert sheets[0][0][:5] == ["Reference", "Received", "Status", "Form", "name"]
    assert sheets[0] == sheets[1] and "leave_message" in sheets[0][0]


def test_summary_emails_carry_none_of_the_submitted_values(desk: Service, smtp: SmtpServer) -> None:
    values = {
        "name": "Philippa Quennell-Marsh",
        "email": "pq.marsh@example.com",
        "phone": "+1 555 0199 321",
        "location": "Kalamazoo Michigan",
        "languages": "Esperanto and Tagalog",
        "message": "Unusual-sentence-for-the-test",
    }
    reference = submit(desk, help=["translation", "documents"], **values)
    message = next(m for m in smtp.inbox.wait_for(2) if m["To"] != values["email"])
    raw = smtp.inbox.raw[smtp.inbox.messages.index(message)]
    for value in values.values():
        for piece in (value, value.lower(), value.split("@")[0]):
            assert piece.encode() not in raw, piece
    assert "Reply-To" not in message
    text = text_part(message)
    assert f"{desk.url}/desk/submissions/{reference}" in text
    assert "Areas of help: Document preparation and organization; Translation or" in text


def test_the_list_pages_filters_and_searches_without_putting_words_in_the_address(
    desk: Service, smtp: SmtpServer
) -> None:
    from forms_service.storage import store, submissions

    conn = store.connect(desk.database)
    with store.transaction(conn):
        subs = [
            submissions.NewSubmission(
                "volunteer",
                {
                    "name": f"Person {i:03d}",
                    "email": f"p{i}@example.com",
                    "help": ["technology"] if i % 10 == 0 else ["admin"],
                    "consent": "yes",
                },
            )
            for i in range(120)
        ]
        submissions.insert_batch(conn, subs, time.time() - 5 * 86400, 0)
    conn.close()
    client = sign_in(desk, smtp)
    first = client.get("/desk/").text
    assert first.count('data-label="Reference"') == 50
    assert "120 submissions" in first
    assert first.count("4, overdue") == 50 or first.count("5, overdue") == 50
    older = re.search(r'href="/desk/\?before=(\d+)"', first)
    second = client.get(f"/desk/?before={older[1]}").text
    third = client.get(f"/desk/{re.search(r'href=./desk/(.before=[0-9]+)', second)[1]}").text
    assert third.count('data-label="Reference"') == 20 and "Older" not in third
    assert "before=" not in third.split("Newer")[-1]
    areas = client.get("/desk/?area=technology").text
    assert "12 submissions match" in areas
    r = client.post("/desk/filter", data={"csrf": csrf(client), "search": "person 07"})
    assert r.status_code == 303 and "07" not in r.headers["location"]
    found = client.get(r.headers["location"]).text
    assert "10 submissions match" in found
    client.close()


def test_a_look_alike_domain_is_ascii_in_the_export_and_the_commands_and_found_either_way(
    desk: Service, smtp: SmtpServer
) -> None:
    """Cyrillic a (U+0430) in apple.com: whatever a coordinator copies reads xn--, and searching
    the ASCII form the desk shows, or the Unicode one, or a part of either, finds it."""
    reference = submit(desk, name="Idn Person", email=LOOK_ALIKE)
    submit(desk, name="Plain Person", email="a@apple.com")
    client = sign_in(desk, smtp)
    token = csrf(client)
    for words in ("a@xn--pple-43d.com", "XN--PPLE-43D", LOOK_ALIKE, "\u0430pple"):
        r = client.post("/desk/filter", data={"csrf": token, "search": words})
        found = client.get(r.headers["location"]).text
        assert "1 submission" in found and reference in found, words
    client.post("/desk/filter", data={"csrf": token, "search": ""})
    export = client.post("/desk/export", data={"csrf": token})
    rows = list(csv.DictReader(export.content.decode("utf-8-sig").splitlines()))
    assert [row["email"] for row in rows] == ["a@xn--pple-43d.com", "a@apple.com"]
    exported = cli(desk, "export").stdout.lstrip("\ufeff").splitlines()
    assert [row["email"] for row in csv.DictReader(exported)] == [
        "a@xn--pple-43d.com",
        "a@apple.com",
    ]
    assert "<a@xn--pple-43d.com>" in cli(desk, "list").stdout
    shown = cli(desk, "show", reference).stdout
    assert f": a@xn--pple-43d.com (written {LOOK_ALIKE})\n" in shown
    client.close()


def test_the_daily_digest_sends_counts_and_links_only(start_service, smtp: SmtpServer) -> None:
    from forms_service.storage import store, submissions

    first = start_service(smtp.port)
    first.stop()  # the database now exists with its schema
    conn = store.connect(first.database)
    with store.transaction(conn):
        old = submissions.NewSubmission(
            "volunteer", {"name": "Digest Person", "email": "d@example.com"}
        )
        submissions.insert_batch(conn, [old], time.time() - 4 * 86400, 0)
        new = submissions.NewSubmission(
            "volunteer", {"name": "Fresh Person", "email": "f@example.com"}
        )
        submissions.insert_batch(conn, [new], time.time() - 3600, 0)
        conn.execute("UPDATE outbox SET status = 'sent'")
    conn.close()
    desk = start_service(smtp.port, FORMS_DIGEST_HOUR="0", FORMS_TIMEZONE="Pacific/Kiritimati")
    [digest] = smtp.inbox.wait_for(1)
    raw = smtp.inbox.raw[0]
    assert digest["Subject"] == "Volunteers today: 1 new, 1 waiting"
    text = text_part(digest)
    assert f"{desk.url}/desk/?status=new&waiting=1" in text
    for value in (b"Digest", b"Fresh", b"d@example.com", b"f@example.com"):
        assert value not in raw
    time.sleep(1.5)
    assert len(smtp.inbox.messages) == 1  # once a day
    wait_until(lambda: desk.rows("SELECT count(*) FROM digests") == [(1,)])


def test_origins_written_unlike_a_browser_s_still_take_its_posts(
    tmp_path: Path, site_dir: Path, smtp: SmtpServer
) -> None:
    """An operator writes the desk's address and the site's origin with a port's leading
    zero and a host in Unicode; a browser sends `:8103` and punycode in Origin. Every
    desk post, sign-in first, and every form post is checked against the settings."""
    service = InProcessService(tmp_path, site_dir, smtp.port, FORMS_EMAIL_DETAILS="summary")
    written = f"http://B\u00fccher.test:0{service.port}"  # Bücher.test
    service.env.update(FORMS_DESK_URL=f"{written}/desk/", FORMS_ALLOWED_ORIGINS=written)
    browser_s = {"Origin": f"http://xn--bcher-kva.test:{service.port}"}
    service.start()
    try:
        with httpx.Client(base_url=service.url, headers=browser_s, timeout=10) as client:
            asked = ask_for_link(client, COORDINATOR)
            posted = client.post(
                "/api/forms/volunteer", data=valid_form(), headers={"Accept": "application/json"}
            )
        assert asked.status_code == 200, asked.text
        assert posted.status_code == 201, posted.text
        assert link_from(smtp, 1).startswith(f"{browser_s['Origin']}/desk/link/")
    finally:
        service.stop()
