"""Sign-in by emailed link, and the sessions it opens.

No passwords: a coordinator asks for a link, which works once, for 15 minutes.
Only hashes of links and session ids are stored, so a copy of the database opens
nothing. A session ends after FORMS_SESSION_IDLE_MINUTES without use, after
FORMS_SESSION_MAX_HOURS whatever happens, when its owner signs out (here or
everywhere), when an operator ends it (`forms-service end-sessions`), or as soon as the
address is no longer in FORMS_COORDINATORS. Besides its id's hash, a session holds the
address, its CSRF token, the search words and two times, when it began and when it was
last used: nothing about the device or where it is.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from ..forms.addresses import UnsafeAddress, canonical
from ..mail.emails import ORGANISATION
from ..settings import RateLimit, Settings
from ..storage import store

LINK_MINUTES = 15
COOKIE = "desk_session"
LIVE_LINKS = 3
"""Links that still work for one address at most: no new one while there are, so
whoever asks, its inbox gets at most this many in LINK_MINUTES, and its owner always
has a working link there (a stranger's requests fill their inbox, not lock them out)."""
LINKS_PER_CLIENT = RateLimit(10, 3600)


@dataclass(frozen=True)
class Session:
    id_hash: str
    address: str
    csrf: str
    search: str
    created_at: float


@dataclass(frozen=True)
class OpenSession:
    """What its owner or an operator may see of a session: never its id or CSRF token."""

    address: str
    created_at: float
    seen_at: float


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def coordinator(settings: Settings, address: str) -> str | None:
    """The address as FORMS_COORDINATORS spells it (its links and sessions carry that),
    if it is one of them however it is written: any case, domain in Unicode or ASCII."""
    try:
        wanted = canonical(address)
    except UnsafeAddress:
        return None
    return next((a for a in settings.coordinators if canonical(a) == wanted), None)


def _key(address: str | None) -> str | None:
    """What a stored address is compared with in SQL (lower(address), as rows stored
    before canonical forms may differ in case), or None for everyone."""
    return None if address is None else canonical(address)


def create_link(conn: sqlite3.Connection, address: str, now: float) -> str | None:
    """A new single-use token for this address, or None while LIVE_LINKS sent to it
    still work; links long expired are cleared on the way."""
    token = secrets.token_urlsafe(32)
    with store.transaction(conn):
        conn.execute("DELETE FROM sign_in_links WHERE expires_at < ?", (now - 86400,))
        live = conn.execute(
            "SELECT count(*) FROM sign_in_links"
            " WHERE lower(address) = ? AND used_at IS NULL AND expires_at > ?",
            (_key(address), now),
        ).fetchone()[0]
        if live >= LIVE_LINKS:
            return None
        conn.execute(
            "INSERT INTO sign_in_links (token_hash, address, expires_at) VALUES (?, ?, ?)",
            (digest(token), address, now + LINK_MINUTES * 60),
        )
    return token


def link_is_live(conn: sqlite3.Connection, token: str, now: float) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sign_in_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        (digest(token), now),
    ).fetchone()
    return row is not None


def sign_in_by_link(
    conn: sqlite3.Connection, token: str, settings: Settings, now: float
) -> str | None:
    """Spend the link, once, and open a session for the coordinator it was sent to: the
    new session's id (for the cookie), or None if the link is not valid now or the
    address is no longer a coordinator's. One transaction, as end_sessions is one: a
    sign-out everywhere comes wholly before (the link no longer works) or wholly after
    (the new session ends with the others), never in between to leave a session open."""
    with store.transaction(conn):
        row = conn.execute(
            "UPDATE sign_in_links SET used_at = ?"
            " WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING address",
            (now, digest(token), now),
        ).fetchone()
        if row is None or coordinator(settings, row[0]) is None:
            return None
        _clear_ended(conn, settings, now)
        return _new_session(conn, row[0], now)


def open_session(conn: sqlite3.Connection, address: str, now: float) -> str:
    """Start a session; return the id for the cookie (only its hash is kept)."""
    with store.transaction(conn):
        return _new_session(conn, address, now)


def _new_session(conn: sqlite3.Connection, address: str, now: float) -> str:
    session_id = secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO desk_sessions (id_hash, address, csrf, created_at, seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (digest(session_id), address, secrets.token_urlsafe(32), now, now),
    )
    return session_id


def is_live(settings: Settings, session: OpenSession, now: float) -> bool:
    """Neither idle nor open too long, and its owner still a coordinator, by the service's
    settings (an operator's shell may not have them: the commands judge nothing)."""
    return (
        now - session.seen_at < settings.session_idle_minutes * 60
        and now - session.created_at < settings.session_max_hours * 3600
        and coordinator(settings, session.address) is not None
    )


def _rows(conn: sqlite3.Connection, address: str | None) -> list[sqlite3.Row]:
    """The sessions of one address (however written), or everyone's when it is None, by
    address, most recently used first."""
    return conn.execute(
        "SELECT id_hash, address, created_at, seen_at FROM desk_sessions"
        " WHERE ?1 IS NULL OR lower(address) = ?1 ORDER BY address, seen_at DESC",
        (_key(address),),
    ).fetchall()


def _shown(row: sqlite3.Row) -> OpenSession:
    return OpenSession(row["address"], row["created_at"], row["seen_at"])


def _clear_ended(conn: sqlite3.Connection, settings: Settings, now: float) -> None:
    """Forget the sessions that can no longer be used (timed out, or of a former
    coordinator) that nobody signed out of: the table keeps nobody's comings and goings
    longer than a session lasts, and stays a handful of rows. Run at each sign-in."""
    rows = _rows(conn, None)
    ended = [(row["id_hash"],) for row in rows if not is_live(settings, _shown(row), now)]
    conn.executemany("DELETE FROM desk_sessions WHERE id_hash = ?", ended)


def stored_sessions(conn: sqlite3.Connection, address: str | None = None) -> list[OpenSession]:
    """For operators: every session the database holds, whoever's; the database, not the
    operator's shell, knows who is signed in. One past its time is refused at its next
    use and forgotten at the next sign-in."""
    return [_shown(row) for row in _rows(conn, address)]


def other_sessions(
    conn: sqlite3.Connection, session: Session, settings: Settings, now: float
) -> list[OpenSession]:
    """The owner's live sessions besides this one, so they can tell whether someone else
    (a lost phone, a shared computer) is signed in as them."""
    rows = [row for row in _rows(conn, session.address) if row["id_hash"] != session.id_hash]
    return [s for s in map(_shown, rows) if is_live(settings, s, now)]


def end_sessions(
    conn: sqlite3.Connection, now: float, address: str | None = None
) -> list[OpenSession]:
    """End every session of one address (however written), or everyone's when it is
    None, and spend the sign-in links sent to it and not used yet, so that a lost phone
    opens nothing even from its mailbox. Returns the sessions ended, as stored."""
    with store.transaction(conn):
        ended = stored_sessions(conn, address)
        conn.execute(
            "DELETE FROM desk_sessions WHERE ?1 IS NULL OR lower(address) = ?1",
            (_key(address),),
        )
        conn.execute(
            "UPDATE sign_in_links SET used_at = ?1"
            " WHERE used_at IS NULL AND (?2 IS NULL OR lower(address) = ?2)",
            (now, _key(address)),
        )
    return ended


def load_session(
    conn: sqlite3.Connection, session_id: str, settings: Settings, now: float
) -> Session | None:
    """The live session for this cookie, its idle clock restarted; None (and the row gone)
    once it has timed out or its owner is no longer a coordinator."""
    id_hash = digest(session_id)
    with store.transaction(conn):
        row = conn.execute(
            "SELECT address, csrf, search, created_at, seen_at FROM desk_sessions"
            " WHERE id_hash = ?",
            (id_hash,),
        ).fetchone()
        if row is None:
            return None
        if not is_live(settings, _shown(row), now):
            conn.execute("DELETE FROM desk_sessions WHERE id_hash = ?", (id_hash,))
            return None
        conn.execute("UPDATE desk_sessions SET seen_at = ? WHERE id_hash = ?", (now, id_hash))
    return Session(id_hash, row["address"], row["csrf"], row["search"], row["created_at"])


def end_session(conn: sqlite3.Connection, session: Session) -> None:
    with store.transaction(conn):
        conn.execute("DELETE FROM desk_sessions WHERE id_hash = ?", (session.id_hash,))


def remember_search(conn: sqlite3.Connection, session: Session, search: str) -> None:
    """The search words stay on the server, never in an address the browser keeps."""
    with store.transaction(conn):
        conn.execute(
            "UPDATE desk_sessions SET search = ? WHERE id_hash = ?", (search, session.id_hash)
        )


def link_email(settings: Settings, address: str, token: str) -> EmailMessage:
    link = f"{settings.desk}link/{token}"
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{ORGANISATION} coordinators' desk <{settings.mail_from}>"
    msg["To"] = address
    msg["Subject"] = "Your link to sign in to the coordinators' desk"
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        "Someone, probably you, asked to sign in to the coordinators' desk.\n\n"
        f'Open this link and press "Sign in":\n\n{link}\n\n'
        f"It works once, within {LINK_MINUTES} minutes. If you did not ask for it,"
        " you can ignore this email: nobody can sign in without the link.\n"
    )
    return msg
