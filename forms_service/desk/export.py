"""CSV exports that open cleanly in a spreadsheet: for the CLI and the coordinators' desk.

No cell starts like a formula, text-direction controls show as [U+202E] markers, and
an email address has its domain in ASCII.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from ..forms.addresses import ascii_form
from ..forms.definitions import FORMS, Field
from ..mail.emails import inert

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EVERY_FIELD = list({f.name: f for form in FORMS.values() for f in form.fields}.values())
"""The columns of every export, the desk's and the operators': each form's fields once, in
form order, so a contact message keeps its ways back, whether a message may be left and
its good and bad times, and a row of either form fits the same sheet. A `Form` column
names each row's form."""


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
