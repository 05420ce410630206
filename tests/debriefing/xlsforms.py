"""Build XLSForm workbooks for tests, shaped like forms from KoboToolbox and ODK."""

from __future__ import annotations

import io
from typing import Any

import openpyxl

SURVEY_HEADER = [
    "type",
    "name",
    "label::English (en)",
    "label::Burmese (my)",
    "hint::English (en)",
    "required",
    "relevant",
]


def workbook(
    survey: list[list[Any]],
    *,
    header: list[str] = SURVEY_HEADER,
    choices: list[list[Any]] = (),  # type: ignore[assignment]
    choices_header: list[str] = ["list_name", "name", "label::English (en)", "label::Burmese (my)"],  # noqa: B006
    title: str = "Field debrief",
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(header)
    for row in survey:
        sheet.append(row)
    choice_sheet = book.create_sheet("choices")
    choice_sheet.append(choices_header)
    for row in choices:
        choice_sheet.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([title, "field_debrief", "2024061001", "English (en)"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# A form as a humanitarian team would write it in KoboToolbox: groups, a repeat,
# choice lists, a relevance condition and two languages.
REAL_WORLD = workbook(
    [
        ["begin_group", "unit_info", "Unit", "တပ်ရင်း", None, None, None],
        ["text", "unit_name", "Unit name", "တပ်ရင်းအမည်", "As the person calls it", "yes", None],
        ["select_one yes_no", "deployed", "Deployed in the last year?", "တပ်ဖြန့်ခံရသလား", None, "yes", None],
        ["select_multiple places", "where", "Where?", "ဘယ်မှာလဲ", None, "no", "${deployed} = 'yes'"],
        ["integer", "strength", "Strength", "အင်အား", None, None, None],
        ["end_group", None, None, None, None, None, None],
        ["begin_group", "abuses", "Abuses witnessed", "ချိုးဖောက်မှုများ", None, None, None],
        ["begin_repeat", "incident", "Incident", "ဖြစ်ရပ်", None, None, None],
        ["date", "incident_date", "Date", "ရက်စွဲ", None, "yes", None],
        ["select_one region", "incident_region", "State or region", "ပြည်နယ်/တိုင်း", None, None, None],
        ["text", "incident_account", "What happened", "ဘာဖြစ်ခဲ့သလဲ", None, "yes", None],
        ["end_repeat", None, None, None, None, None, None],
        ["end_group", None, None, None, None, None, None],
    ],
    choices=[
        ["yes_no", "yes", "Yes", "ဟုတ်"],
        ["yes_no", "no", "No", "မဟုတ်"],
        ["places", "north", "North", "မြောက်"],
        ["places", "south", "South", "တောင်"],
        ["region", "sagaing", "Sagaing Region", "စစ်ကိုင်းတိုင်း"],
        ["region", "magway", "Magway Region", "မကွေးတိုင်း"],
    ],
)


def book(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook of these sheets, each given as rows, the first row its header (sheet names kept as given)."""
    made = openpyxl.Workbook()
    made.remove(made.active)
    for name, rows in sheets.items():
        sheet = made.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    made.save(buffer)
    return buffer.getvalue()
