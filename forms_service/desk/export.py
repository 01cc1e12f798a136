"""CSV exports that open cleanly in a spreadsheet: the coordinators' desk's and the
operators' `forms-service export`, one definition for both (`submissions_csv`), so a
form's submissions have the same columns in the same order whichever made the file.

No cell starts like a formula, text-direction controls show as [U+202E] markers, and
an email address has its domain in ASCII.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime

from .. import clock
from ..forms.addresses import ascii_form
from ..forms.definitions import FORMS, STATUSES, Field
from ..mail.emails import inert
from .queries import Submission

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EVERY_FIELD = list({f.name: f for form in FORMS.values() for f in form.fields}.values())
"""The columns of every export, the desk's and the operators': each form's fields once, in
form order, so a contact message keeps its ways back, whether a message may be left and
its good and bad times, and a row of either form fits the same sheet. A `Form` column
names each row's form."""


LEADING = ["Reference", "Received", "Status", "Form"]
"""The columns before the fields: the reference, when it arrived (ISO 8601 with the
offset, in FORMS_TIMEZONE), its status in the desk and its form."""


def submissions_csv(submissions: Iterable[Submission], timezone: str) -> str:
    """The export of these submissions, the desk's and the operators' alike."""
    return csv_document(EVERY_FIELD, LEADING, rows_for(submissions, timezone))


def rows_for(
    submissions: Iterable[Submission], timezone: str
) -> Iterator[tuple[list[str], dict[str, object]]]:
    """The export's leading columns and data for each submission; the time in ISO 8601
    with its offset, so a spreadsheet or a script reads it without knowing the zone."""
    for sub in submissions:
        received = clock.iso(clock.local(sub.created_at, timezone))
        yield (
            [sub.reference, received, STATUSES.get(sub.status, sub.status), sub.form.slug],
            sub.data,
        )


def spreadsheet_safe(value: str) -> str:
    """Stop a spreadsheet from running a cell that starts like a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def csv_document(
    fields: Sequence[Field],
    leading: list[str],
    rows: Iterable[tuple[list[str], Mapping[str, object]]],
) -> str:
    """One line per submission: the `leading` columns, then each of the fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow([*leading, *(f.name for f in fields)])
    for first, data in rows:
        values = [_cell(f, data.get(f.name, "")) for f in fields]
        writer.writerow([spreadsheet_safe(inert(v)) for v in [*first, *values]])
    return "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheets read UTF-8


def _cell(field: Field, value: object) -> str:
    """A field's value as one cell. An address in its ASCII form (domain in punycode):
    a mail merge or a copy from the sheet cannot reach a look-alike of apple.com
    written in Cyrillic letters, and the cell still holds one usable address."""
    if isinstance(value, list):
        return "; ".join(value)
    return ascii_form(str(value)) if field.kind == "email" and value else str(value)
