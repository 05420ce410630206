"""CSV files (config/spreadsheets.py): a byte-order mark for Excel, formula cells neutralised, one way to serve."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.utils.translation import gettext_lazy

from config.spreadsheets import csv_bytes, csv_response, neutralise

ROOT = Path(__file__).resolve().parent.parent
BURMESE = "ရန်ကုန်တိုင်းဒေသကြီး"  # "Yangon Region"


def test_formula_cells_are_neutralised():
    values = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "", 5, True, gettext_lazy("=lazy")]
    expected = ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "", 5, True, "'=lazy"]
    assert [neutralise(v) for v in values] == expected


def test_the_file_starts_with_a_byte_order_mark_and_burmese_comes_back_intact():
    content = csv_bytes([["region", "victims", "note"], [BURMESE, 4, None], ["=cmd|' /C calc'!A0", "", 'a,b\n"c"']])
    assert content.startswith(b"\xef\xbb\xbf") and content.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [
        ["region", "victims", "note"], [BURMESE, "4", ""], ["'=cmd|' /C calc'!A0", "", "a,b\n\"c\""],
    ]  # fmt: skip


def test_an_empty_file_is_still_marked():
    assert csv_bytes([]) == b"\xef\xbb\xbf"


def test_the_response_says_utf_8_and_is_a_download():
    response = csv_response(csv_bytes([[BURMESE]]), filename="x.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response.content.decode("utf-8-sig") == f'"{BURMESE}"\r\n'


def test_every_cell_is_quoted_so_a_semicolon_splits_no_formula_out():
    # Excel where the list separator is ";" (German, French…) splits unquoted cells on it.
    text = csv_bytes([["Ko Aung;=2+5", "a;@SUM(1)", "plain"]]).decode("utf-8-sig")
    assert text == '"Ko Aung;=2+5","a;@SUM(1)","plain"\r\n'


def test_the_response_refuses_a_csv_written_some_other_way():
    with pytest.raises(ValueError):
        csv_response(f"{BURMESE}\r\n".encode(), filename="x.csv")


def test_no_other_module_writes_or_serves_a_csv():
    """Every CSV goes through config/spreadsheets.py, so none leaves without the mark or the neutralising."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "var", "node_modules"} or relative == Path("config/spreadsheets.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if "import csv" in text or "text/csv" in text:
            offenders.append(str(relative))
    assert offenders == []
