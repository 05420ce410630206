"""Guards that refuse a file from its own sizes before pyxform parses it.

pyxform reads and converts a whole workbook before anything can count its rows,
and that costs seconds per thousand rows of a web worker's time. So an upload is
first checked as a zip (sizes its directory declares), then its sheets' rows are
counted with openpyxl's streaming reader, stopping one row past the limit.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from pyxform import constants

MAX_ROWS = 5_000
# A 5,000-row form with a 250-character label and hint in each of 3 languages, a
# constraint and its message on every row expands to 16 MB of sheet XML (measured
# with openpyxl's writer; Excel's shared strings are smaller): 24 MB leaves a margin
# and bounds the time the row count below can take.
MAX_EXPANDED = 24 * 1024 * 1024
MAX_MEMBERS = 500
# Sheet XML compresses about 10:1 (40:1 when every label repeats); a bomb compresses hundreds to one.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024  # small members may compress well without harm
# As pyxform reads a sheet: its header ends after a run of 20 empty columns, its rows
# after a run of 60 empty rows.
HEADER_GAP = 20
EMPTY_RUN = 60
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature of an .xls (and of an old .doc)


def not_a_form() -> str:
    return _(
        "This file is not an XLSForm spreadsheet. Open the form in Excel, LibreOffice or KoboToolbox, "
        "save it as an Excel workbook (.xlsx) and import that file."
    )


def archive_problem(data: bytes) -> str | None:
    """Why this .xlsx must not be opened, or None.

    Uses the sizes the archive's central directory declares: Python's zipfile never
    inflates a member past its declared size (it stops and reports a bad CRC), so
    an archive cannot lie its way past this check.
    """
    if data.startswith(OLE2):
        return _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) and import that file.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return not_a_form()
    if len(members) > MAX_MEMBERS:
        return _("This spreadsheet holds too many parts (%(count)s) to be a form.") % {"count": len(members)}
    expanded = sum(member.file_size for member in members)
    if expanded > MAX_EXPANDED:
        return _("This spreadsheet expands to %(size)s MB, more than a form can be (at most %(limit)s MB).") % {
            "size": expanded // (1024 * 1024),
            "limit": MAX_EXPANDED // (1024 * 1024),
        }
    for member in members:
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            return _("This spreadsheet's part %(name)s expands %(ratio)s times: it is refused as a zip bomb.") % {
                "name": member.filename[:80],
                "ratio": member.file_size // max(member.compress_size, 1),
            }
    return None


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() == "")


def _row_count(sheet: ReadOnlyWorksheet, limit: int) -> int:
    """The sheet's rows below its header as pyxform would keep them, counted up to ``limit + 1``."""
    width, gap = 0, 0
    for index, value in enumerate(next(sheet.iter_rows(max_row=1, values_only=True), ())):
        if _filled(value):
            width, gap = index + 1, 0
        elif (gap := gap + 1) > HEADER_GAP:
            break
    if not width:
        return 0
    filled = 0
    for seen, row in enumerate(sheet.iter_rows(min_row=2, max_col=width, values_only=True), start=1):
        if any(_filled(value) for value in row):
            filled = seen
            if filled > limit:
                break
        elif seen - filled > EMPTY_RUN:
            break  # pyxform stops here too; a far-away row must not make us walk a million empty ones
    return filled


def rows_problem(data: bytes, limit: int = MAX_ROWS) -> str | None:
    """Why this workbook is too long to parse (a sheet pyxform reads has more than ``limit`` rows), or None.

    Call after ``archive_problem``: the time this takes is bounded by the archive's expanded size.
    """
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a zip that is not a workbook (KeyError, InvalidFileException)
        return not_a_form()
    try:
        names = book.sheetnames
        for name in names:
            if name.lower() not in constants.SUPPORTED_SHEET_NAMES and len(names) > 1:
                continue  # pyxform ignores it
            sheet = book[name]
            if not isinstance(sheet, ReadOnlyWorksheet):
                continue  # a chart sheet holds no rows
            if _row_count(sheet, limit) > limit:
                return _("The %(sheet)s sheet has more than %(limit)s rows: a form may have at most %(limit)s.") % {
                    "sheet": name[:40],
                    "limit": limit,
                }
    except Exception:  # a damaged sheet inside a valid zip
        return not_a_form()
    finally:
        book.close()
    return None
