"""Writing a template structure as an XLSForm that pyxform converts and Haven imports back the same."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from debriefing.structure import all_questions, default_language, languages
from debriefing.xlsform.languages import UNNAMED
from debriefing.xlsform.lists import haven_labels


def _relevant_text(rule: dict[str, Any] | None, types: dict[str, str]) -> str:
    if not rule:
        return ""
    if rule.get("value") is None:
        return f"${{{rule['key']}}} != ''"
    if types.get(rule["key"]) == "select_multiple":
        return f"selected(${{{rule['key']}}}, '{rule['value']}')"
    return f"${{{rule['key']}}} = '{rule['value']}'"


def _append(sheet: Worksheet, values: list[Any]) -> None:
    """A row of plain values: a label that starts with = stays text, never a formula that reads back empty."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def export_xlsform(*, name: str, version: int, structure: dict[str, Any]) -> bytes:
    """The structure as an XLSForm workbook (.xlsx bytes), one label and hint column per language of the form."""
    codes = [language["code"] for language in languages(structure)]

    def header(text: str) -> list[str]:
        return [text if lang["name"] == UNNAMED else f"{text}::{lang['name']}" for lang in languages(structure)]

    def cells(texts: dict[str, str] | None) -> list[str]:
        return [(texts or {}).get(code, "") for code in codes]

    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append([
        "type", "name", *header("label"), *header("hint"), "required", "relevant", "constraint", "appearance", "tags",
    ])  # fmt: skip
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", *header("label")])
    types = {q["key"]: q["type"] for q in all_questions(structure)}
    lists_written: set[str] = set()

    def write_list(list_name: str, options: list[dict[str, Any]]) -> None:
        if list_name not in lists_written:
            lists_written.add(list_name)
            for option in options:
                _append(choices, [list_name, option["value"], *cells(option["label"])])

    def write(question: dict[str, Any]) -> None:
        kind = question["type"]
        constraint, appearance = "", ""
        if kind == "long_text":
            xls_type, appearance = "text", "multiline"
        elif kind in ("yes_no", "region"):
            xls_type = f"select_one {kind}"
            write_list(kind, [{"value": value, "label": label} for value, label in haven_labels(kind).items()])
        elif kind in ("select_one", "select_multiple"):
            xls_type = f"{kind} {question['key']}"
            write_list(question["key"], question["choices"])
        elif kind == "repeat":
            xls_type = "begin_repeat"
        else:
            xls_type = kind
            bounds = [
                f". >= {question['min']}" if question.get("min") is not None else "",
                f". <= {question['max']}" if question.get("max") is not None else "",
            ]
            constraint = " and ".join(filter(None, bounds))
        _append(survey, [
            xls_type, question["key"], *cells(question["label"]), *cells(question.get("hint")),
            "yes" if question.get("required") else "", _relevant_text(question.get("relevant"), types), constraint,
            appearance, " ".join(question.get("tags", [])),
        ])  # fmt: skip
        if kind == "repeat":
            for inner in question["questions"]:
                write(inner)
            survey.append(["end_repeat", question["key"]])

    for section in structure["sections"]:
        _append(survey, ["begin_group", section["key"], *cells(section["label"]), *cells({})])
        for question in section["questions"]:
            write(question)
        survey.append(["end_group", section["key"]])
    settings_sheet = workbook.create_sheet("settings")
    form_id = re.sub(r"[^a-z0-9_]", "_", name.lower())
    form_id = form_id if re.match(r"[a-z]", form_id) else f"haven_{form_id}"
    default = next((lang["name"] for lang in languages(structure) if lang["code"] == default_language(structure)), "")
    if default and default != UNNAMED:
        settings_sheet.append(["form_title", "form_id", "version", "default_language"])
        _append(settings_sheet, [name, form_id, str(version), default])
    else:
        settings_sheet.append(["form_title", "form_id", "version"])
        _append(settings_sheet, [name, form_id, str(version)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
