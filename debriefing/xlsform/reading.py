"""Reading an XLSForm into a template structure, through pyxform's own parsing.

pyxform resolves what it already knows: sheet and header names in any case and
their aliases (``Form_Title``, ``relevance``, ``list_name``), legacy type
spellings (``select one from``, ``begin loop``, ``or specify other``) and the
grouping of language columns. This module then keeps each thing or refuses its
row, naming the column or type and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from pyxform import aliases, constants
from pyxform.errors import PyXFormError
from pyxform.parsing.sheet_headers import dealias_and_group_headers, process_header
from pyxform.question import MultipleChoiceQuestion, Option
from pyxform.survey import Survey
from pyxform.xls2json import RE_BEGIN_CONTROL, RE_END_CONTROL, RE_SELECT, dealias_types
from pyxform.xls2json_backends import get_xlsform
from pyxform.xls2xform import convert

from debriefing.structure import KEY, TAGS, check_structure
from debriefing.xlsform.archive import MAX_ROWS, archive_problem, not_a_form, rows_problem
from debriefing.xlsform.languages import UNNAMED, language_code
from debriefing.xlsform.lists import is_haven_list
from vault.normalise import from_zawgyi

# What a row of an unsupported type needs, said to the person who wrote the form.
UNSUPPORTED_TYPES = {
    "calculate": "calculations are not supported yet: remove the row",
    "geopoint": "GPS is not collected: use a state or region question (select_one region)",
    "geotrace": "GPS is not collected: use a state or region question (select_one region)",
    "geoshape": "GPS is not collected: use a state or region question (select_one region)",
    "start-geopoint": "GPS is not collected: remove the row",
    "background-geopoint": "GPS is not collected: remove the row",
    "photo": "media is not collected: remove the row",
    "image": "media is not collected: remove the row",
    "audio": "media is not collected: remove the row",
    "background-audio": "media is not collected: remove the row",
    "video": "media is not collected: remove the row",
    "file": "media is not collected: remove the row",
    "barcode": "barcodes are not supported: use text",
    "note": "notes are not supported yet: put the text in a question's hint",
    "time": "times are not supported yet: use date",
    "datetime": "times are not supported yet: use date",
    "range": "ranges are not supported yet: use integer with a constraint such as . >= 0 and . <= 10",
}
METADATA = {
    "start", "end", "today", "deviceid", "phonenumber", "username", "email", "audit", "simserial", "subscriberid",
}  # fmt: skip
RELEVANT_EQUALS = re.compile(r"^\$\{(\w+)\}\s*=\s*'([^']*)'$")
RELEVANT_SELECTED = re.compile(r"^selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\)$")
RELEVANT_ANY = re.compile(r"^\$\{(\w+)\}\s*!=\s*''$")
BOUND = re.compile(r"^\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)$")
SINGLE_COLON_TEXT = re.compile(r"^(label|hint)\s*:\s*(\S.*)$", re.IGNORECASE)
TRUE, FALSE = {"yes", "true", "true()"}, {"", "no", "false", "false()"}
# How pyxform says that no reader could open the file (its own wording, not meant for people).
UNREADABLE = "Argument 'definition' was not recognized"
TEXTS = ("label", "hint")  # the translatable columns Haven keeps
ROWS_NAMED = 20  # a warning names this many rows, then says how many more

# The columns (pyxform's names for them) each kind of row may hold, besides its texts.
Column = tuple[str, ...]
SECTION_COLUMNS: set[Column] = {("type",), ("name",)}
REPEAT_COLUMNS: set[Column] = {("type",), ("name",), ("bind", "required"), ("bind", "relevant"), ("tags",)}
QUESTION_COLUMNS: set[Column] = REPEAT_COLUMNS | {("bind", "constraint"), ("control", "appearance")}
CHOICE_COLUMNS: set[Column] = {(constants.LIST_NAME_S,), ("name",)}
SETTINGS_COLUMNS: set[Column] = {(constants.TITLE,), (constants.ID_STRING,), ("version",), ("default_language",)}


class XLSFormError(Exception):
    """A form Haven refuses; ``problems`` lists each offending row ("row 7: ...")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ImportedForm:
    name: str
    structure: dict[str, Any]
    warnings: list[str] = field(default_factory=list)  # what was kept but changed (a choice with no label)


@dataclass
class Sheet:
    """One sheet as pyxform reads it: raw rows, pyxform's grouped rows, and each raw column's meaning."""

    raw: Sequence[dict[str, str]]
    rows: Sequence[dict[str, Any]]
    columns: dict[str, Column]


def _sheet(name: str, data: Any, header: Any, header_aliases: Any, known: set[str], **options: Any) -> Sheet:
    data, header = data or [], header or []
    grouped = dealias_and_group_headers(
        sheet_name=name, sheet_data=data, sheet_header=header, header_aliases=header_aliases, header_columns=known,
        **options,
    )  # fmt: skip
    raw_headers = list(header[0]) if header else []
    double = any("::" in h for h in raw_headers)
    columns = {
        h: process_header(header=h, use_double_colon=double, header_aliases=header_aliases, header_columns=known)[1]
        for h in raw_headers
    }
    return Sheet(raw=data, rows=grouped.data, columns=columns)


def _number(value: str) -> int | float:
    return float(value) if "." in value else int(value)


class _Reader:
    """Builds the structure from pyxform's rows, collecting every problem with its row number."""

    def __init__(self, survey: Sheet, choices: Sheet, default_language: str | None) -> None:
        self.survey, self.choices = survey, choices
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.zawgyi_rows: dict[str, dict[int, None]] = {"survey": {}, "choices": {}}  # ordered sets of row numbers
        self.languages: dict[str, str] = {}  # code -> the name the form gives it, in column order
        self.default_name = default_language or UNNAMED
        # Each language column, by (text, language code): two columns for one text are refused where both are filled.
        self.text_columns: dict[str, dict[tuple[str, str], list[str]]] = {}
        for sheet_name, sheet in (("survey", survey), ("choices", choices)):
            self.text_columns[sheet_name] = self._text_columns(sheet, sheet_name)
        if default_language:
            self.languages.setdefault(language_code(default_language), default_language)
        if default_language:
            self.default = language_code(default_language)
        else:  # as pyxform: the bare columns' language when there are any
            self.default = UNNAMED if UNNAMED in self.languages else next(iter(self.languages), UNNAMED)
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.rows_of: dict[str, list[int]] = {}
        self._read_choices()

    def problem(self, number: int, message: str) -> None:
        self.problems.append(_("row %(row)s: %(problem)s") % {"row": number, "problem": message})

    # Columns and languages

    def _text_columns(self, sheet: Sheet, sheet_name: str) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for header, tokens in sheet.columns.items():
            if tokens[0] in TEXTS and len(tokens) <= 2:
                language = tokens[1] if len(tokens) == 2 else self.default_name
                code = language_code(language)
                self.languages.setdefault(code, language)
                found.setdefault((tokens[0], code), []).append(header)
            elif tokens == (header,) and (match := SINGLE_COLON_TEXT.match(header)):
                self.problems.append(
                    _("%(sheet)s sheet: write the column %(column)r as '%(text)s::%(language)s', with two colons "
                      "like the form's other language columns") % {
                        "sheet": sheet_name, "column": header, "text": match[1].lower(), "language": match[2]}
                )  # fmt: skip
        return found

    def _check_columns(
        self, number: int, sheet_name: str, raw: dict[str, str], allowed: set[Column], whose: str
    ) -> None:
        """Refuse each filled column of this row that Haven does not keep (yet), by the name the form gives it."""
        sheet = self.survey if sheet_name == "survey" else self.choices
        for header, value in raw.items():
            tokens = sheet.columns.get(header, (header,))
            if value in (None, "") or tokens in allowed:
                continue
            if whose == "section" and tokens == ("bind", "required") and str(value).strip().lower() in FALSE:
                continue  # "required: no" on a group, as some tools write it, asks for nothing
            if tokens[0] in TEXTS and len(tokens) <= 2 and (tokens[0] == "label" or whose != "choice"):
                if whose == "section" and tokens[0] == "hint":
                    self.problem(
                        number, _("the group's %(column)r column is not supported yet; remove it") % {"column": header}
                    )
                continue
            if tokens == (header,) and SINGLE_COLON_TEXT.match(header):
                continue  # said once for the whole sheet
            if whose == "section" and tokens == ("bind", "relevant"):
                message = _("the group's %(column)r column is not supported yet; remove it, or give the condition "
                            "to each question of the group") % {"column": header}  # fmt: skip
            elif whose == "section":
                message = _("the group's %(column)r column is not supported yet; remove it") % {"column": header}
            else:
                message = _("the %(column)r column is not supported yet; clear it on this row") % {"column": header}
            if whose == "choice":
                self.problems.append(_("choices row %(row)s: %(problem)s") % {"row": number, "problem": message})
            else:
                self.problem(number, message)
        for (text, code), headers in self.text_columns[sheet_name].items():
            filled = [h for h in headers if raw.get(h) not in (None, "")]
            if len(filled) > 1:
                columns = ", ".join(repr(h) for h in filled)
                message = _("the columns %(columns)s all hold its %(text)s in %(language)s; keep one") % {
                    "columns": columns, "text": text, "language": self.languages[code]}  # fmt: skip
                if whose == "choice":
                    self.problems.append(_("choices row %(row)s: %(problem)s") % {"row": number, "problem": message})
                else:
                    self.problem(number, message)

    def _texts(self, number: int, row: dict[str, Any], kind: str, sheet: str = "survey") -> dict[str, str]:
        value = row.get(kind)
        if isinstance(value, str):
            texts = {language_code(self.default_name): value}
        elif isinstance(value, dict):
            texts = {language_code(name): text for name, text in value.items() if isinstance(text, str) and text}
        else:
            return {}
        # Phones show Unicode Burmese; a text typed in Zawgyi would show garbled, so it is converted.
        converted = {code: from_zawgyi(text) for code, text in texts.items()}
        if converted != texts:
            self.zawgyi_rows[sheet][number] = None
        return converted

    def zawgyi_warnings(self) -> list[str]:
        """One warning per sheet naming the rows whose texts were converted from Zawgyi."""
        warnings = []
        for sheet, rows in self.zawgyi_rows.items():
            numbers = list(rows)
            if not numbers:
                continue
            shown = ", ".join(str(number) for number in numbers[:ROWS_NAMED])
            if len(numbers) > ROWS_NAMED:
                shown += _(" and %(count)s more") % {"count": len(numbers) - ROWS_NAMED}
            where = _("rows %(rows)s") if sheet == "survey" else _("choices rows %(rows)s")
            warnings.append(
                _("%(where)s: text typed in Zawgyi was converted to Unicode; check in the preview that it reads "
                  "correctly") % {"where": where % {"rows": shown}}
            )  # fmt: skip
        return warnings

    def _label(self, number: int, row: dict[str, Any], key: str, what: str) -> dict[str, str]:
        label = self._texts(number, row, "label")
        if not label and key:
            label = {self.default: key}
            self.warnings.append(
                _("row %(row)s: the %(what)s %(key)r has no label; its name is shown instead")
                % {"row": number, "what": what, "key": key}
            )
        return label

    # Choices

    def _read_choices(self) -> None:
        for index, row in enumerate(self.choices.rows):
            raw = self.choices.raw[index]
            if not raw:
                continue
            number = row.get("__row", index + 2)
            self._check_columns(number, "choices", raw, CHOICE_COLUMNS, "choice")
            list_name = row.get(constants.LIST_NAME_S, "")
            self.lists.setdefault(list_name, []).append(
                {"value": row.get("name", ""), "label": self._texts(number, row, "label", "choices")}
            )
            self.rows_of.setdefault(list_name, []).append(number)

    def _options(self, list_name: str) -> list[dict[str, Any]]:
        options = []
        for option, number in zip(self.lists[list_name], self.rows_of[list_name], strict=True):
            if not option["label"]:
                option = {**option, "label": {self.default: option["value"]}}
                self.warnings.append(
                    _("choices row %(row)s: the choice %(name)r has no label; its name is shown instead")
                    % {"row": number, "name": option["value"]}
                )
            options.append(option)
        return options

    # Survey

    def read(self) -> dict[str, Any]:
        sections: list[dict[str, Any]] = []
        stack: list[dict[str, Any]] = []  # the open section, then the open repeat
        seen: set[str] = set()
        for index, row in enumerate(self.survey.rows):
            raw = self.survey.raw[index]
            number = index + 2
            if not raw:
                continue
            kind = str(row.get("type", ""))
            name = str(row.get("name", ""))
            if not kind:
                self.problem(number, _("this row has no type, so XLSForm skips it; give it a type or delete it"))
            elif aliases.settings_header.get(kind):
                self.problem(number, _("type %(type)r belongs on the settings sheet; move it there") % {"type": kind})
            elif RE_END_CONTROL.search(kind):
                if stack:
                    stack.pop()
            elif begin := RE_BEGIN_CONTROL.search(kind):
                control = aliases.control[begin["type"]]
                if control == constants.LOOP:
                    self.problem(number, _("'begin loop' is not supported yet; use begin_repeat"))
                    stack.append({"questions": [], "ignored": True})
                elif control == constants.GROUP and not stack:
                    self._check_columns(number, "survey", raw, SECTION_COLUMNS, "section")
                    self._check_key(number, name, seen)
                    section = {"key": name, "label": self._label(number, row, name, _("group")), "questions": []}
                    sections.append(section)
                    stack.append(section)
                elif control == constants.GROUP:
                    self.problem(
                        number, _("a group inside a group is not supported yet: sections are top-level groups")
                    )
                    stack.append({"questions": [], "ignored": True})
                elif len(stack) != 1 or stack[0].get("ignored"):
                    self.problem(number, _("a repeat must be directly inside a section (a top-level group)"))
                    stack.append({"questions": [], "ignored": True})
                else:
                    self._check_columns(number, "survey", raw, REPEAT_COLUMNS, "question")
                    repeat = self._question(number, row, "repeat", seen)
                    repeat["questions"] = []
                    stack[-1]["questions"].append(repeat)
                    stack.append(repeat)
            else:
                typed = self._typed(number, row, raw, kind, seen)
                if typed is None:
                    continue
                if not stack:
                    self.problem(number, _("put this question inside a group: each top-level group is a section"))
                    continue
                stack[-1]["questions"].append(typed)
        languages = [{"code": code, "name": name} for code, name in self.languages.items()]
        return {"languages": languages, "default_language": self.default, "sections": sections}

    def _check_key(self, number: int, name: str, seen: set[str]) -> None:
        if not KEY.match(name):
            self.problem(number, _("name %(name)r must be letters, digits and _ (at most 64)") % {"name": name})
        elif name in seen:
            self.problem(number, _("name %(name)r is used twice") % {"name": name})
        seen.add(name)

    def _question(self, number: int, row: dict[str, Any], kind: str, seen: set[str]) -> dict[str, Any]:
        name = str(row.get("name", ""))
        self._check_key(number, name, seen)
        bind = row.get("bind", {})
        required = str(bind.get("required", "")).strip().lower()
        if required not in TRUE | FALSE:
            self.problem(number, _("required must be yes or no (conditions are not supported yet)"))
        tags = str(row.get("tags", "")).split()
        if not set(tags) <= set(TAGS):
            self.problem(number, _("tags must be among %(tags)s") % {"tags": ", ".join(TAGS)})
        return {
            "key": name, "type": kind, "label": self._label(number, row, name, _("question")),
            "hint": self._texts(number, row, "hint"), "required": required in TRUE, "tags": tags,
            "relevant": self._relevant(number, str(bind.get("relevant", "")), seen),
        }  # fmt: skip

    def _relevant(self, number: int, expression: str, seen: set[str]) -> dict[str, Any] | None:
        expression = expression.strip()
        if not expression:
            return None
        rule: dict[str, Any]
        for pattern in (RELEVANT_EQUALS, RELEVANT_SELECTED):
            if match := pattern.match(expression):
                rule = {"key": match[1], "value": match[2]}
                break
        else:
            if match := RELEVANT_ANY.match(expression):
                rule = {"key": match[1], "value": None}
            else:
                self.problem(
                    number, _("relevant supports ${q} = 'value', selected(${q}, 'value') and ${q} != '' only (yet)")
                )
                return None
        if rule["key"] not in seen:
            self.problem(number, _("relevant names %(key)r, which is not an earlier question") % {"key": rule["key"]})
        return rule

    def _typed(
        self, number: int, row: dict[str, Any], raw: dict[str, str], kind: str, seen: set[str]
    ) -> dict[str, Any] | None:
        if kind in UNSUPPORTED_TYPES:
            self.problem(number, _("type %(type)r: %(why)s") % {"type": kind, "why": UNSUPPORTED_TYPES[kind]})
            return None
        if kind in METADATA:
            self.problem(number, _("type %(type)r: metadata is not collected; remove the row") % {"type": kind})
            return None
        appearance = str(row.get("control", {}).get("appearance", ""))
        if kind == "text":
            question = self._question(number, row, "long_text" if appearance == "multiline" else "text", seen)
        elif kind in ("date", "integer", "decimal"):
            question = self._question(number, row, kind, seen)
            if kind != "date":
                question["min"], question["max"] = None, None
            constraint = str(row.get("bind", {}).get("constraint", ""))
            for part in filter(None, (p.strip() for p in constraint.split(" and "))):
                if kind != "date" and (match := BOUND.match(part)):
                    question["min" if match[1] == ">=" else "max"] = _number(match[2])
                else:
                    self.problem(
                        number,
                        _("constraint %(part)r: only bounds such as . >= 0 and . <= 120 on numbers (yet)")
                        % {"part": part},
                    )
        elif select := RE_SELECT.search(kind):
            chosen = self._select(number, row, select, seen)
            if chosen is None:
                return None
            question = chosen
        else:
            self.problem(number, _("type %(type)r is not supported yet") % {"type": kind})
            return None
        self._check_columns(number, "survey", raw, QUESTION_COLUMNS, "question")
        if appearance and not (question["type"] == "long_text" and appearance == "multiline"):
            self.problem(
                number, _("appearance %(appearance)r is not supported yet; clear it") % {"appearance": appearance}
            )
        if row.get("bind", {}).get("constraint") and kind not in ("integer", "decimal", "date"):
            self.problem(number, _("constraints are supported on numbers only (yet); clear it"))
        return question

    def _select(self, number: int, row: dict[str, Any], select: re.Match[str], seen: set[str]) -> dict[str, Any] | None:
        command, list_name = select["select_command"], select["list_name"]
        kind = aliases.select[command]
        if select["specify_other"]:
            self.problem(
                number,
                _("%(spelling)r is not supported yet: add an 'other' choice and a text question shown when it is "
                  "chosen") % {"spelling": select["specify_other"]},
            )  # fmt: skip
            return None
        if command in aliases.select_from_file or kind not in (constants.SELECT_ONE, constants.SELECT_ALL_THAT_APPLY):
            self.problem(number, _("type %(type)r is not supported yet") % {"type": row.get("type")})
            return None
        if list_name not in self.lists:
            self.problem(number, _("choice list %(list)r is not on the choices sheet") % {"list": list_name})
            return None
        multiple = kind == constants.SELECT_ALL_THAT_APPLY
        options = self._options(list_name)
        for haven_kind in ("yes_no", "region"):
            if not multiple and list_name == haven_kind and is_haven_list(haven_kind, options):
                return self._question(number, row, haven_kind, seen)  # no word of the list is lost
        question = self._question(number, row, "select_multiple" if multiple else "select_one", seen)
        question["choices"] = options
        return question


def _settings(workbook: Any) -> tuple[dict[str, Any], list[str]]:
    settings = _sheet(
        "settings", workbook.settings, workbook.settings_header, aliases.settings_header, set(Survey.get_slot_names())
    )
    problems = []
    first = settings.raw[0] if settings.raw else {}
    for header, value in first.items():
        if value not in (None, "") and settings.columns.get(header) not in SETTINGS_COLUMNS:
            problems.append(_("settings: the %(column)r column is not supported yet; remove it") % {"column": header})
    return (settings.rows[0] if settings.rows else {}), problems


def import_xlsform(data: bytes) -> ImportedForm:
    """Read an XLSForm (.xlsx bytes) into a template structure.

    Raises XLSFormError listing every problem: a file that is not an .xlsx, a
    spreadsheet too large once unzipped or with a sheet of more than MAX_ROWS
    rows (all refused before pyxform runs), pyxform's own errors, and each row
    using a feature Haven does not support (yet), with what it needs.
    """
    # Refused from sizes first: pyxform parses the whole workbook before anything can count its rows.
    if problem := archive_problem(data) or rows_problem(data, MAX_ROWS):
        raise XLSFormError([problem])
    try:
        convert(data, file_type=".xlsx")  # pyxform's own conversion must accept the form
        workbook = get_xlsform(xlsform=data, file_type=".xlsx")
    except PyXFormError as error:
        if str(error).startswith(UNREADABLE):
            raise XLSFormError([not_a_form()]) from error
        raise XLSFormError([str(error)]) from error
    except Exception as error:  # a file that is not a workbook at all
        raise XLSFormError([not_a_form()]) from error
    settings, problems = _settings(workbook)
    default_language = settings.get("default_language") or None
    clean = aliases.yes_no.get(settings.get("clean_text_values", "yes"), True)
    survey = _sheet(
        "survey", workbook.survey, workbook.survey_header, aliases.survey_header,
        set(MultipleChoiceQuestion.get_slot_names()), default_language=default_language or UNNAMED,
        strip_whitespace=clean,
    )  # fmt: skip
    dealias_types(survey.rows)
    choices = _sheet(
        "choices", workbook.choices, workbook.choices_header, aliases.list_header, set(Option.get_slot_names()),
        default_language=default_language or UNNAMED, add_row_number=True,
    )  # fmt: skip
    reader = _Reader(survey, choices, default_language)
    structure = reader.read()
    problems += reader.problems
    problems = problems or check_structure(structure)
    if problems:
        raise XLSFormError(problems)
    name = from_zawgyi(str(settings.get(constants.TITLE) or settings.get(constants.ID_STRING) or ""))
    return ImportedForm(name=name, structure=structure, warnings=reader.warnings + reader.zawgyi_warnings())
