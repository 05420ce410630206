"""CSV files as Haven serves them: the one way to write one and to answer with one.

Excel reads a CSV as UTF-8 only when it starts with a byte-order mark (without one,
Burmese text arrives as mojibake); LibreOffice and Python's ``utf-8-sig`` take the
mark off. A text cell that starts like a formula is prefixed with an apostrophe so
that a spreadsheet shows it rather than runs it (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils.functional import Promise

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """The rows as CSV in UTF-8 with a byte-order mark, every cell neutralised; None is empty."""
    buffer = io.StringIO()
    # Every cell quoted: Excel in a locale whose list separator is ";" splits an unquoted
    # "a;=1+1" into a second cell, a formula that was never neutralised.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow(["" if cell is None else neutralise(cell) for cell in row])
    return (BOM + buffer.getvalue()).encode()


def csv_response(content: bytes, *, filename: str) -> HttpResponse:
    """A download of ``content``, which must come from csv_bytes."""
    if not content.startswith(BOM.encode()):
        raise ValueError("CSV content must come from csv_bytes")  # a bare CSV would garble Burmese in Excel
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
