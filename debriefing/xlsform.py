"""XLSForm (ODK, KoboToolbox) import and export of template structures.

Reading goes through pyxform (its workbook reader, and its own XLSForm-to-XForm
conversion must succeed); writing through openpyxl. A form that uses anything
Haven does not collect is refused with every offending row and what it needs,
never silently simplified.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.utils import translation
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from debriefing.structure import KEY, TAGS, check_structure
from defectors.models import Region

LANGUAGE_COLUMNS = {"en": "English (en)", "my": "Burmese (my)"}
SURVEY_COLUMNS = [
    "type", "name", "label::English (en)", "label::Burmese (my)", "hint::English (en)", "hint::Burmese (my)",
    "required", "relevant", "constraint", "appearance", "tags",
]  # fmt: skip
# What a row of an unsupported type needs, said to the person who wrote the form.
UNSUPPORTED_TYPES = {
    "calculate": "calculations are not supported: remove the row",
    "geopoint": "GPS is not collected: use a state or region question (select_one region)",
    "geotrace": "GPS is not collected: use a state or region question (select_one region)",
    "geoshape": "GPS is not collected: use a state or region question (select_one region)",
    "image": "media is not collected: remove the row",
    "audio": "media is not collected: remove the row",
    "video": "media is not collected: remove the row",
    "file": "media is not collected: remove the row",
    "barcode": "barcodes are not supported: use text",
    "note": "notes are not supported: put the text in a question's hint",
    "time": "times are not supported: use date",
    "datetime": "times are not supported: use date",
}
METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "username",
    "email",
    "audit",
    "simserial",
    "subscriberid",
}
SELECT = re.compile(r"^(select_one|select_multiple|select one|select multiple)\s+(\S+)$")
RELEVANT_EQUALS = re.compile(r"^\$\{(\w+)\}\s*=\s*'([^']*)'$")
RELEVANT_SELECTED = re.compile(r"^selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\)$")
RELEVANT_ANY = re.compile(r"^\$\{(\w+)\}\s*!=\s*''$")
BOUND = re.compile(r"^\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)$")
TRUE, FALSE = {"yes", "true", "true()"}, {"", "no", "false", "false()"}
MAX_ROWS = 5_000


class XLSFormError(Exception):
    """A form Haven refuses; ``problems`` lists each offending row ("row 7: ...")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportedForm:
    name: str
    structure: dict[str, Any]


def _language(column: str) -> str | None:
    """'en' or 'my' for a label or hint column (``label``, ``label::English (en)``, ``label::Burmese``)."""
    if "::" not in column:
        return "en"
    language = column.split("::", 1)[1].lower()
    if "(en)" in language or language.startswith("english"):
        return "en"
    if "(my)" in language or language.startswith(("burmese", "myanmar")):
        return "my"
    return None


def _texts(row: dict[str, str], kind: str) -> dict[str, str]:
    texts = {}
    for column, value in row.items():
        if column == kind or column.startswith(f"{kind}::"):
            language = _language(column)
            if language:
                texts[language] = value
    return texts


def _number(value: str) -> int | float:
    return float(value) if "." in value else int(value)


class _Reader:
    """Builds the structure from pyxform's rows, collecting every problem with its row number."""

    def __init__(self, survey: list[dict[str, str]], choices: list[dict[str, str]]) -> None:
        self.survey = survey
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.problems: list[str] = []
        for number, row in enumerate(choices, start=2):
            if not row:
                continue
            if any(column.startswith(("media::", "image", "audio", "video")) for column in row):
                self.problems.append(f"choices row {number}: media is not collected: remove the media column")
            self.lists.setdefault(row.get("list_name", ""), []).append(
                {"value": row.get("name", ""), "label": _texts(row, "label")}
            )

    def problem(self, number: int, message: str) -> None:
        self.problems.append(f"row {number}: {message}")

    def read(self) -> dict[str, Any]:
        sections: list[dict[str, Any]] = []
        stack: list[dict[str, Any]] = []  # the open section, then the open repeat
        seen: set[str] = set()
        for number, row in enumerate(self.survey, start=2):
            if not row:
                continue
            kind = " ".join(row.get("type", "").split())
            name = row.get("name", "")
            if kind in ("begin_group", "begin group"):
                if stack:
                    self.problem(number, "a group inside a group is not supported: sections are top-level groups")
                    stack.append({"key": name, "questions": [], "label": {}, "ignored": True})
                    continue
                section = {"key": name, "label": _texts(row, "label"), "questions": []}
                self._check_key(number, name, seen)
                sections.append(section)
                stack.append(section)
            elif kind in ("end_group", "end group", "end_repeat", "end repeat"):
                if stack:
                    stack.pop()
            elif kind in ("begin_repeat", "begin repeat"):
                question = self._question(number, row, "repeat", seen)
                question["questions"] = []
                if len(stack) != 1:
                    self.problem(number, "a repeat must be directly inside a section (a top-level group)")
                    stack.append({"questions": [], "ignored": True})
                    continue
                stack[-1]["questions"].append(question)
                stack.append(question)
            else:
                typed = self._typed(number, row, kind, seen)
                if typed is None:
                    continue
                if not stack:
                    self.problem(number, "put this question inside a group: each top-level group is a section")
                    continue
                stack[-1]["questions"].append(typed)
        return {"sections": sections}

    def _check_key(self, number: int, name: str, seen: set[str]) -> None:
        if not KEY.match(name):
            self.problem(number, f"name {name!r} must be letters, digits and _ (at most 64)")
        elif name in seen:
            self.problem(number, f"name {name!r} is used twice")
        seen.add(name)

    def _question(self, number: int, row: dict[str, str], kind: str, seen: set[str]) -> dict[str, Any]:
        name = row.get("name", "")
        self._check_key(number, name, seen)
        for column in row:
            if column.split("::")[0] not in {
                "type",
                "name",
                "label",
                "hint",
                "required",
                "relevant",
                "constraint",
                "appearance",
                "tags",
            }:
                self.problem(number, f"column {column!r} is not supported: clear it")
        required = row.get("required", "").strip().lower()
        if required not in TRUE | FALSE:
            self.problem(number, "required must be yes or no (conditions are not supported)")
        tags = row.get("tags", "").split()
        if not set(tags) <= set(TAGS):
            self.problem(number, f"tags must be among {', '.join(TAGS)}")
        question: dict[str, Any] = {
            "key": name, "type": kind, "label": _texts(row, "label"), "hint": _texts(row, "hint"),
            "required": required in TRUE, "tags": tags,
            "relevant": self._relevant(number, row.get("relevant", ""), seen),
        }  # fmt: skip
        appearance = row.get("appearance", "")
        if appearance and not (kind == "long_text" and appearance == "multiline"):
            self.problem(number, f"appearance {appearance!r} is not supported: clear it")
        return question

    def _relevant(self, number: int, expression: str, seen: set[str]) -> dict[str, Any] | None:
        expression = expression.strip()
        if not expression:
            return None
        for pattern in (RELEVANT_EQUALS, RELEVANT_SELECTED):
            if match := pattern.match(expression):
                rule = {"key": match[1], "value": match[2]}
                break
        else:
            if match := RELEVANT_ANY.match(expression):
                rule = {"key": match[1], "value": None}
            else:
                self.problem(number, "relevant supports ${q} = 'value', selected(${q}, 'value') and ${q} != '' only")
                return None
        if rule["key"] not in seen:
            self.problem(number, f"relevant names {rule['key']!r}, which is not an earlier question")
        return rule

    def _typed(self, number: int, row: dict[str, str], kind: str, seen: set[str]) -> dict[str, Any] | None:
        base = kind.split(" ")[0]
        if base in UNSUPPORTED_TYPES or base in METADATA:
            self.problem(
                number, f"type {kind!r}: {UNSUPPORTED_TYPES.get(base, 'metadata is not collected: remove the row')}"
            )
            return None
        if kind == "text":
            question = self._question(
                number, row, "long_text" if row.get("appearance") == "multiline" else "text", seen
            )
        elif kind in ("date", "integer", "decimal"):
            question = self._question(number, row, kind, seen)
            question["min"], question["max"] = None, None
            row = {**row}
            for part in filter(None, (p.strip() for p in row.pop("constraint", "").split(" and "))):
                if kind != "date" and (match := BOUND.match(part)):
                    question["min" if match[1] == ">=" else "max"] = _number(match[2])
                else:
                    self.problem(number, f"constraint {part!r}: only bounds such as . >= 0 and . <= 120 on numbers")
            if kind == "date":
                del question["min"], question["max"]
        elif match := SELECT.match(kind):
            multiple = "multiple" in match[1]
            list_name = match[2]
            if list_name.endswith("or_other") or "or_other" in kind:
                self.problem(number, "or_other is not supported: add an 'other' choice and a text question")
                return None
            options = self.lists.get(list_name)
            if not options:
                self.problem(number, f"choice list {list_name!r} is not on the choices sheet")
                return None
            values = [option["value"] for option in options]
            if not multiple and list_name == "yes_no" and values == ["yes", "no"]:
                question = self._question(number, row, "yes_no", seen)
            elif not multiple and list_name == "region":
                question = self._question(number, row, "region", seen)
                if set(values) - set(Region.values):
                    self.problem(number, f"the region list may hold only {', '.join(Region.values)}")
            else:
                question = self._question(number, row, "select_multiple" if multiple else "select_one", seen)
                question["choices"] = options
        else:
            self.problem(number, f"type {kind!r} is not supported")
            return None
        if row.get("constraint") and kind not in ("integer", "decimal", "date"):
            self.problem(number, "constraints are supported on numbers only: clear it")
        if row.get("choice_filter"):
            self.problem(number, "choice filters are not supported: clear choice_filter")
        return question


def import_xlsform(data: bytes) -> ImportedForm:
    """Read an XLSForm (.xlsx bytes) into a template structure.

    Raises XLSFormError listing every problem: pyxform's own errors, and each row
    using a feature Haven does not support, with what it needs.
    """
    try:
        convert(data, file_type=".xlsx")  # pyxform's own conversion must accept the form
        workbook = get_xlsform(xlsform=data, file_type=".xlsx")
    except PyXFormError as error:
        raise XLSFormError([str(error)]) from error
    except Exception as error:  # a file that is not a workbook at all
        raise XLSFormError(["this is not an XLSForm spreadsheet (.xlsx)"]) from error
    survey = workbook.survey or []
    if len(survey) > MAX_ROWS:
        raise XLSFormError([f"a form may have at most {MAX_ROWS} rows"])
    reader = _Reader(survey, workbook.choices or [])
    structure = reader.read()
    problems = reader.problems or check_structure(structure)
    if problems:
        raise XLSFormError(problems)
    settings_row = (workbook.settings or [{}])[0]
    return ImportedForm(name=settings_row.get("form_title") or settings_row.get("form_id") or "", structure=structure)


def _relevant_text(rule: dict[str, Any] | None, types: dict[str, str]) -> str:
    if not rule:
        return ""
    if rule.get("value") is None:
        return f"${{{rule['key']}}} != ''"
    if types.get(rule["key"]) == "select_multiple":
        return f"selected(${{{rule['key']}}}, '{rule['value']}')"
    return f"${{{rule['key']}}} = '{rule['value']}'"


def export_xlsform(*, name: str, version: int, structure: dict[str, Any]) -> bytes:
    """The structure as an XLSForm workbook (.xlsx bytes) with English and Burmese columns."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Burmese (my)"])
    types = {q["key"]: q["type"] for s in structure["sections"] for q in s["questions"]}
    lists_written: set[str] = set()

    def write_list(list_name: str, options: list[dict[str, Any]]) -> None:
        if list_name not in lists_written:
            lists_written.add(list_name)
            for option in options:
                choices.append(
                    [list_name, option["value"], option["label"].get("en", ""), option["label"].get("my", "")]
                )

    def label_cells(labels: dict[str, str]) -> list[str]:
        return [labels.get("en", ""), labels.get("my", "")]

    def write(question: dict[str, Any]) -> None:
        kind = question["type"]
        constraint, appearance = "", ""
        if kind == "long_text":
            xls_type, appearance = "text", "multiline"
        elif kind == "yes_no":
            xls_type = "select_one yes_no"
            write_list(
                "yes_no",
                [
                    {"value": "yes", "label": {"en": "Yes", "my": "ဟုတ်"}},
                    {"value": "no", "label": {"en": "No", "my": "မဟုတ်"}},
                ],
            )
        elif kind == "region":
            xls_type = "select_one region"
            with translation.override("en"):
                english = {value: str(label) for value, label in Region.choices}
            with translation.override("my"):
                write_list(
                    "region",
                    [{"value": v, "label": {"en": english[v], "my": str(label)}} for v, label in Region.choices],
                )
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
        survey.append([
            xls_type, question["key"], *label_cells(question["label"]), *label_cells(question.get("hint", {})),
            "yes" if question.get("required") else "", _relevant_text(question.get("relevant"), types), constraint,
            appearance, " ".join(question.get("tags", [])),
        ])  # fmt: skip
        if kind == "repeat":
            for inner in question["questions"]:
                write(inner)
            survey.append(["end_repeat", question["key"]])

    for section in structure["sections"]:
        survey.append(["begin_group", section["key"], *label_cells(section["label"])])
        for question in section["questions"]:
            write(question)
        survey.append(["end_group", section["key"]])
    settings_sheet = workbook.create_sheet("settings")
    settings_sheet.append(["form_title", "form_id", "version", "default_language"])
    form_id = re.sub(r"[^a-z0-9_]", "_", name.lower()) or "haven_form"
    settings_sheet.append([name, form_id, str(version), LANGUAGE_COLUMNS["en"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
