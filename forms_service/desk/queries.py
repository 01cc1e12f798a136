"""What the desk reads and changes in the database: the list, one submission, its
status, notes and history, the export and the erasure.

Generic over form definitions: a submission's name, email and areas of help are read
through its form, so another form's submissions appear in the same list.
The list pages by id (keyset), so the 2,000th page costs what the first does.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass

from ..forms.addresses import spellings
from ..forms.definitions import FORMS, STATUSES, Form
from ..forms.words import LANGUAGE_KEY, language, reply_in, say
from ..storage import store

PAGE_SIZE = 50
TYPED = frozenset({"text", "textarea"})
"""The kinds of field whose value is the person's own words, in their language."""
COUNT_LIMIT = 1000
# For each form with areas of help, the JSON path of that field, chosen inside SQL.
_AREAS_PATH = "CASE s.form {} ELSE NULL END".format(
    " ".join(f"WHEN '{f.slug}' THEN '$.{f.areas}'" for f in FORMS.values() if f.areas)
)
_COLUMNS = "s.id, s.reference, s.form, s.data, s.created_at, s.status"
_SEARCH = (
    "instr(lower(coalesce(json_extract(s.data, '$.name'), '')), ?)"
    " OR instr(lower(coalesce(json_extract(s.data, '$.email'), '')), ?)"
)
"""Words in the name or the email; asked once for each way of spelling them."""


@dataclass(frozen=True)
class Filters:
    form: str = ""
    status: str = ""
    area: str = ""
    waiting: bool = False
    search: str = ""


@dataclass(frozen=True)
class Submission:
    id: int
    reference: str
    form: Form
    data: dict[str, object]
    created_at: float
    status: str

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def first_name(self) -> str:
        return (self.name.split() or [""])[0]

    @property
    def email(self) -> str:
        return str(self.data.get("email", ""))

    @property
    def areas(self) -> list[str]:
        return self.form.areas_of(self.data)

    @property
    def statuses(self) -> dict[str, str]:
        """The statuses that fit its form, and the one it has even if it no longer does."""
        return {**dict(self.form.statuses), self.status: STATUSES.get(self.status, self.status)}

    @property
    def language(self) -> str:
        """The language they wrote in (the site's first for those stored before it was noted)."""
        return language(str(self.data.get(LANGUAGE_KEY)))

    @property
    def reply_in(self) -> str:
        """The language to reply in when it is not the desk's own (English); "" else."""
        return reply_in(self.language)

    def rows(self, names: Collection[str] = ()) -> list[tuple[str, str, str]]:
        """(label, value, lang) in form order, of the fields `names` only when given: lang
        is the language they wrote in for the words they typed, so a screen reader reads
        them in it; "" for the desk's own words (choices, yes or no), which are English."""
        return [
            (label, value, self.language if f.kind in TYPED and value != "-" else "")
            for f, (label, value) in self.form.field_rows(self.data)
            if not names or f.name in names
        ]

    @property
    def reach(self) -> list[tuple[str, str, str]]:
        """How and when it is safe to reply, as the person chose, as `rows` gives them."""
        return self.rows(self.form.reach)

    @property
    def may_email(self) -> bool:
        """An email address they gave, and (when the form asks) email among the safe ways."""
        ways = self.data.get("ways")
        return bool(self.email) and ("email" in ways if isinstance(ways, list) else True)

    @property
    def reply_subject(self) -> str:
        """The subject of a reply, in the language the person wrote in."""
        return say(self.form.reply_subject, self.language)

    def days_waiting(self, now: float) -> int | None:
        """Whole days since it arrived, while nobody has answered it yet."""
        return int((now - self.created_at) // 86400) if self.status == "new" else None


@dataclass(frozen=True)
class Page:
    rows: list[Submission]
    total: int  # COUNT_LIMIT + 1 stands for "more than COUNT_LIMIT"
    newer: int | None  # pass as after= to see the newer page
    older: int | None  # pass as before= to see the older page


def status_choices(form: str = "") -> dict[str, str]:
    """The statuses of one form, or of every form when none is chosen."""
    return dict(FORMS[form].statuses) if form in FORMS else STATUSES


def area_choices(form: str = "") -> list[tuple[str, str]]:
    """Every area of help (or who is writing) of one form or every form, once, in order."""
    seen: dict[str, str] = {}
    for form_def in [FORMS[form]] if form in FORMS else FORMS.values():
        field = form_def.field(form_def.areas)
        for value, label in field.choices if field else ():
            seen.setdefault(value, label)
    return list(seen.items())


def _submission(row: sqlite3.Row) -> Submission:
    return Submission(
        row["id"],
        row["reference"],
        FORMS[row["form"]],
        json.loads(row["data"]),
        row["created_at"],
        row["status"],
    )


def _where(filters: Filters, now: float, follow_up_days: int) -> tuple[str, list[object]]:
    clauses, params = ["1"], []
    if filters.form:
        clauses.append("s.form = ?")
        params.append(filters.form)
    if filters.status:
        clauses.append("s.status = ?")
        params.append(filters.status)
    if filters.waiting:
        clauses.append("s.status = 'new' AND s.created_at < ?")
        params.append(now - follow_up_days * 86400)
    if filters.area:
        clauses.append(f"EXISTS (SELECT 1 FROM json_each(s.data, {_AREAS_PATH}) WHERE value = ?)")
        params.append(filters.area)
    if filters.search:
        words = spellings(filters.search.strip().lower())
        clauses.append("(" + " OR ".join([_SEARCH] * len(words)) + ")")
        params += [w for w in words for _ in range(2)]
    return " AND ".join(clauses), params


def list_page(
    conn: sqlite3.Connection,
    filters: Filters,
    now: float,
    follow_up_days: int,
    before: int | None = None,
    after: int | None = None,
) -> Page:
    """One page of the list, newest first, before or after a given id."""
    where, params = _where(filters, now, follow_up_days)
    if after is not None:
        sql = f"SELECT {_COLUMNS} FROM submissions s WHERE {where} AND s.id > ?"
        sql += " ORDER BY s.id ASC LIMIT ?"
        rows = conn.execute(sql, [*params, after, PAGE_SIZE]).fetchall()[::-1]
    else:
        sql = f"SELECT {_COLUMNS} FROM submissions s WHERE {where} AND s.id < ?"
        sql += " ORDER BY s.id DESC LIMIT ?"
        rows = conn.execute(sql, [*params, before or 2**63 - 1, PAGE_SIZE]).fetchall()
    # Counting stops past COUNT_LIMIT: a filter on the JSON data scans rows to count them.
    total = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM submissions s WHERE {where} LIMIT ?)",
        [*params, COUNT_LIMIT + 1],
    ).fetchone()[0]
    page = [_submission(row) for row in rows]
    if not page:
        return Page([], total, None, None)

    def exists(condition: str, edge: int) -> bool:
        sql = f"SELECT 1 FROM submissions s WHERE {where} AND s.id {condition} ? LIMIT 1"
        return conn.execute(sql, [*params, edge]).fetchone() is not None

    first, last = page[0].id, page[-1].id
    return Page(
        page,
        total,
        newer=first if exists(">", first) else None,
        older=last if exists("<", last) else None,
    )


def find(conn: sqlite3.Connection, reference: str) -> Submission | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM submissions s WHERE s.reference = ?", (reference.upper(),)
    ).fetchone()
    return _submission(row) if row else None


def erasure(conn: sqlite3.Connection, reference: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT reference, erased_at, erased_by FROM erasures WHERE reference = ?",
        (reference.upper(),),
    ).fetchone()


def notes(conn: sqlite3.Connection, submission_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT author, at, body FROM notes WHERE submission_id = ? ORDER BY id",
        (submission_id,),
    ).fetchall()


def history(conn: sqlite3.Connection, submission_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT actor, at, what FROM history WHERE submission_id = ? ORDER BY id",
        (submission_id,),
    ).fetchall()


def _record(conn: sqlite3.Connection, submission_id: int, actor: str, now: float, what: str):
    conn.execute(
        "INSERT INTO history (submission_id, actor, at, what) VALUES (?, ?, ?, ?)",
        (submission_id, actor, now, what),
    )


def set_status(
    conn: sqlite3.Connection, submission: Submission, status: str, actor: str, now: float
) -> bool:
    """Change the status and record who did it; False if it was that already."""
    with store.transaction(conn):
        cur = conn.execute(
            "UPDATE submissions SET status = ? WHERE id = ? AND status != ?",
            (status, submission.id, status),
        )
        if cur.rowcount:
            old, new = STATUSES.get(submission.status, submission.status), STATUSES[status]
            _record(conn, submission.id, actor, now, f"Status changed from {old} to {new}")
    return bool(cur.rowcount)


def add_note(
    conn: sqlite3.Connection, submission: Submission, body: str, actor: str, now: float
) -> None:
    with store.transaction(conn):
        conn.execute(
            "INSERT INTO notes (submission_id, author, at, body) VALUES (?, ?, ?, ?)",
            (submission.id, actor, now, body),
        )
        _record(conn, submission.id, actor, now, "Note added")


def export(
    conn: sqlite3.Connection, filters: Filters, actor: str, now: float, follow_up_days: int
) -> list[Submission]:
    """Every submission the filters match, oldest first; each one's history records it."""
    where, params = _where(filters, now, follow_up_days)
    with store.transaction(conn):
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM submissions s WHERE {where} ORDER BY s.id", params
        ).fetchall()
        conn.execute(
            "INSERT INTO history (submission_id, actor, at, what)"
            f" SELECT s.id, ?, ?, ? FROM submissions s WHERE {where}",
            [actor, now, f"Exported in a CSV file of {len(rows)} submission(s)", *params],
        )
    return [_submission(row) for row in rows]


def every_submission(conn: sqlite3.Connection) -> list[Submission]:
    """Every submission, oldest first, as `forms-service export` writes them (the
    operators' command notes nothing in their history)."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM submissions s ORDER BY s.id").fetchall()
    return [_submission(row) for row in rows]


def counts(conn: sqlite3.Connection, since: float, waiting_before: float) -> tuple[int, int]:
    """New submissions since a moment, and those still new from before the follow-up limit."""
    new = conn.execute(
        "SELECT count(*) FROM submissions WHERE created_at >= ?", (since,)
    ).fetchone()[0]
    waiting = conn.execute(
        "SELECT count(*) FROM submissions WHERE status = 'new' AND created_at < ?",
        (waiting_before,),
    ).fetchone()[0]
    return new, waiting
