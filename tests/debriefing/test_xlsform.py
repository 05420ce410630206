"""XLSForm import and export: every language-column style, every refusal with its true reason, the round trip."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation
from pyxform.xls2xform import convert

from debriefing import structure as st
from debriefing.models import DebriefTemplate
from debriefing.standard import STRUCTURE
from debriefing.xlsform import XLSFormError, export_xlsform, import_xlsform
from debriefing.xlsform.archive import archive_problem, rows_problem
from tests.debriefing.xlsforms import REAL_WORLD, book

# Languages: (the column's language part, or None for a bare column; the code Haven keys it by).
STYLES: dict[str, dict[str, Any]] = {
    "codes": {"columns": [("en", "en"), ("my", "my")], "separator": "::"},
    "names and codes": {"columns": [("English (en)", "en"), ("Burmese (my)", "my")], "separator": "::"},
    "single colons": {"columns": [("English (en)", "en"), ("Burmese (my)", "my")], "separator": ":"},
    "a bare label only": {"columns": [(None, "default")], "separator": "::"},
    "a bare label beside English": {"columns": [(None, "default"), ("English (en)", "en")], "separator": "::"},
    "a bare label in the default language": {
        "columns": [(None, "en"), ("Burmese (my)", "my")], "separator": "::", "default": "English (en)",
    },
    "six languages": {
        "columns": [("English (en)", "en"), ("Burmese (my)", "my"), ("French (fr)", "fr"), ("Chinese (zh)", "zh"),
                    ("Swahili", "sw"), ("Karen", "Karen")],
        "separator": "::", "default": "Burmese (my)",
    },
}  # fmt: skip


def said(thing: str, code: str) -> str:
    """The text a test form holds for ``thing`` in the language ``code``."""
    return f"{thing} မြန်မာ" if code == "my" else f"{thing} [{code}]"


def styled_form(style: dict[str, Any]) -> bytes:
    """A two-section form with hints, choice lists, a bound, a long text and a repeat, in ``style``'s columns."""
    columns, sep = style["columns"], style["separator"]

    def heads(text: str) -> list[str]:
        return [text if part is None else f"{text}{sep}{part}" for part, _code in columns]

    def texts(thing: str) -> list[str]:
        return [said(thing, code) for _part, code in columns]

    def row(kind: str, name: str, *, hint: bool = False, **extra: str) -> list[Any]:
        hints = texts(f"{name} hint") if hint else [None] * len(columns)
        label = texts(name) if name else [None] * len(columns)
        return [kind, name, *label, *hints, extra.get("required"), extra.get("constraint"), extra.get("appearance")]

    survey = [
        ["type", "name", *heads("label"), *heads("hint"), "required", "constraint", "appearance"],
        row("begin_group", "unit"),
        row("text", "unit_name", hint=True, required="yes"),
        row("select_one branches", "branch", hint=True),
        row("select_multiple weapons", "weapons"),
        row("integer", "strength", constraint=". >= 0 and . <= 5000"),
        row("end_group", ""),
        row("begin_group", "events"),
        row("begin_repeat", "incident", hint=True),
        row("date", "incident_date", required="yes"),
        row("text", "account", appearance="multiline"),
        row("end_repeat", ""),
        row("end_group", ""),
    ]
    choices = [["list_name", "name", *heads("label")]]
    for list_name, values in (("branches", ["army", "police"]), ("weapons", ["mortars", "drones", "armour"])):
        choices += [[list_name, value, *texts(f"{list_name}.{value}")] for value in values]
    settings = [["form_title", "form_id"], ["Styled form", "styled_form"]]
    if style.get("default"):
        settings = [[*settings[0], "default_language"], [*settings[1], style["default"]]]
    return book({"survey": survey, "choices": choices, "settings": settings})


def every_text(structure: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
    """{(what, key): {code: text}} for every section label, label, hint and choice label."""
    found = {}
    for section in structure["sections"]:
        found[("section", section["key"])] = section["label"]
        for question in st.all_questions({"sections": [section]}):
            found[("label", question["key"])] = question["label"]
            if question["hint"]:
                found[("hint", question["key"])] = question["hint"]
            for choice in question.get("choices", []):
                found[("choice", f"{question['key']}.{choice['value']}")] = choice["label"]
    return found


def assert_round_trip(structure: dict[str, Any], name: str = "Form") -> None:
    """The export converts with pyxform, in every language, and imports back to the same structure."""
    exported = export_xlsform(name=name, version=3, structure=structure)
    xform = convert(exported, file_type=".xlsx").xform
    for language in st.languages(structure):
        if language["name"] != "default" and len(st.languages(structure)) > 1:
            assert f'lang="{language["name"]}"' in xform, language
    again = import_xlsform(exported)
    assert again.structure == structure
    assert again.name == name


@pytest.mark.parametrize("style", list(STYLES), ids=list(STYLES))
def test_every_language_column_style_keeps_every_text_in_every_language(style):
    form = import_xlsform(styled_form(STYLES[style]))
    codes = [code for _part, code in STYLES[style]["columns"]]
    assert [language["code"] for language in form.structure["languages"]] == codes
    texts = every_text(form.structure)
    lists = {"branch": "branches", "weapons": "weapons"}
    expected_things = {
        ("section", "unit"): "unit", ("section", "events"): "events",
        ("label", "unit_name"): "unit_name", ("hint", "unit_name"): "unit_name hint",
        ("label", "branch"): "branch", ("hint", "branch"): "branch hint", ("label", "weapons"): "weapons",
        ("label", "strength"): "strength", ("label", "incident"): "incident", ("hint", "incident"): "incident hint",
        ("label", "incident_date"): "incident_date", ("label", "account"): "account",
        **{("choice", f"{q}.{v}"): f"{lists[q]}.{v}"
           for q, values in (("branch", ["army", "police"]), ("weapons", ["mortars", "drones", "armour"]))
           for v in values},
    }  # fmt: skip
    assert set(texts) == set(expected_things)
    for where, thing in expected_things.items():
        assert texts[where] == {code: said(thing, code) for code in codes}, where
    (unit, events) = form.structure["sections"]
    assert [q["type"] for q in unit["questions"]] == ["text", "select_one", "select_multiple", "integer"]
    assert (unit["questions"][3]["min"], unit["questions"][3]["max"]) == (0, 5000)
    assert [q["type"] for q in events["questions"][0]["questions"]] == ["date", "long_text"]
    assert form.warnings == []
    assert_round_trip(form.structure, "Styled form")


def test_the_person_sees_their_language_and_else_the_forms_default():
    form = import_xlsform(styled_form(STYLES["six languages"]))  # default: Burmese
    section = form.structure["sections"][0]
    default = st.default_language(form.structure)
    assert default == "my"
    for active, shown in (("fr", "fr"), ("my", "my"), ("en", "en"), ("zh-hans", "zh"), ("de", "my")):
        with translation.override(active):
            field = st.form_field(section["questions"][0], default)
            assert field.label == said("unit_name", shown), active
            assert str(field.help_text) == said("unit_name hint", shown)
            branch = st.form_field(section["questions"][1], default)
            assert list(branch.choices)[1] == ("army", said("branches.army", shown))


def test_karen_with_no_code_is_kept_under_its_own_name_and_exported_as_it_was():
    form = import_xlsform(styled_form(STYLES["six languages"]))
    assert {"code": "Karen", "name": "Karen"} in form.structure["languages"]
    assert {"code": "sw", "name": "Swahili"} in form.structure["languages"]
    exported = book_sheets(export_xlsform(name="F", version=1, structure=form.structure))
    assert "label::Karen" in exported["survey"][0] and "label::Swahili" in exported["survey"][0]


def book_sheets(data: bytes) -> dict[str, list[list[Any]]]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}


def form(survey: list[list[Any]], *, choices: list[list[Any]] | None = None, settings: list[list[Any]] | None = None,
         sheet_names: tuple[str, str, str] = ("survey", "choices", "settings")) -> bytes:  # fmt: skip
    sheets = {sheet_names[0]: survey}
    if choices:
        sheets[sheet_names[1]] = choices
    sheets[sheet_names[2]] = settings or [["form_title", "form_id"], ["Field debrief", "field_debrief"]]
    return book(sheets)


def refused(data: bytes) -> list[str]:
    with pytest.raises(XLSFormError) as error:
        import_xlsform(data)
    return error.value.problems


HEAD = ["type", "name", "label::English (en)"]


def test_upper_case_headers_and_sheet_names_are_read_as_pyxform_reads_them():
    data = form(
        [["TYPE", "NAME", "LABEL::English (en)", "Hint::English (en)", "REQUIRED"],
         ["begin_group", "g", "G", None, None],
         ["select one from yn", "q", "Q", "A hint", "Yes"],
         ["select all that apply from yn", "m", "M", None, None],
         ["end group", None, None, None, None]],
        choices=[["List Name", "Name", "Label::English (en)"], ["yn", "y", "Yes"], ["yn", "n", "No"]],
        settings=[["Form_Title", "Form_ID"], ["Upper case", "upper"]],
        sheet_names=("SURVEY", "Choices", "Settings"),
    )  # fmt: skip
    imported = import_xlsform(data)
    assert imported.name == "Upper case"
    (section,) = imported.structure["sections"]
    q, m = section["questions"]
    assert (q["type"], q["label"], q["hint"], q["required"]) == ("select_one", {"en": "Q"}, {"en": "A hint"}, True)
    assert q["choices"] == [{"value": "y", "label": {"en": "Yes"}}, {"value": "n", "label": {"en": "No"}}]
    assert m["type"] == "select_multiple"
    assert_round_trip(imported.structure, "Upper case")


def test_a_groups_condition_is_refused_naming_it_never_dropped():
    problems = refused(form([
        ["type", "name", "label::English (en)", "relevant", "appearance", "required"],
        ["begin_group", "a", "A", None, None, None],
        ["select_one yn", "met", "Met?", None, None, None],
        ["end_group", None, None, None, None, None],
        ["begin_group", "b", "B", "${met} = 'y'", "field-list", None],
        ["text", "name_of", "Name", None, None, "yes"],
        ["end_group", None, None, None, None, None],
    ], choices=[["list_name", "name", "label::English (en)"], ["yn", "y", "Yes"], ["yn", "n", "No"]]))  # fmt: skip
    assert any(p.startswith("row 5: the group's 'relevant' column is not supported yet") for p in problems)
    assert any(p.startswith("row 5: the group's 'appearance' column is not supported yet") for p in problems)


@pytest.mark.parametrize(
    ("column", "value", "named"),
    [
        ("constraint_message", "Too big", "'constraint_message'"),
        ("required_message", "Needed", "'required_message'"),
        ("default", "x", "'default'"),
        ("read_only", "yes", "'read_only'"),
        ("choice_filter", "x = 1", "'choice_filter'"),
        ("media::image", "a.jpg", "'media::image'"),
        ("image", "a.jpg", "'image'"),
        ("disabled", "yes", "'disabled'"),
        ("parameters", "rows=4", "'parameters'"),
        ("calculation", "1 + 1", "'calculation'"),
        ("guidance_hint", "Ask gently", "'guidance_hint'"),
    ],
)
def test_a_column_haven_does_not_keep_yet_is_refused_on_its_row_by_name(column, value, named):
    problems = refused(form([
        [*HEAD, column],
        ["begin_group", "g", "G", None],
        ["text", "said", "Said", value],
        ["end_group", None, None, None],
    ]))  # fmt: skip
    assert any(p.startswith("row 3:") and named in p for p in problems), problems
    assert not any("type ''" in p for p in problems)


def test_a_choice_column_haven_does_not_keep_is_refused_by_name():
    problems = refused(form(
        [HEAD, ["begin_group", "g", "G"], ["select_one places", "p", "P"], ["end_group", None, None]],
        choices=[["list_name", "name", "label::English (en)", "state"], ["places", "a", "A", "kachin"]],
    ))  # fmt: skip
    assert problems == ["choices row 2: the 'state' column is not supported yet; clear it on this row"]


def test_end_loop_is_refused_as_a_loop_not_as_metadata():
    problems = refused(form(
        [HEAD, ["begin_group", "g", "G"], ["begin loop over yn", "each", "Each"], ["text", "t", "T"],
         ["end loop", None, None], ["end_group", None, None]],
        choices=[["list_name", "name", "label::English (en)"], ["yn", "y", "Yes"]],
    ))  # fmt: skip
    assert problems == ["row 3: 'begin loop' is not supported yet; use begin_repeat"]


def test_or_specify_other_is_refused_with_what_to_do_instead():
    problems = refused(form(
        [HEAD, ["begin_group", "g", "G"], ["select_one yn or specify other", "q", "Q"], ["end_group", None, None]],
        choices=[["list_name", "name", "label::English (en)"], ["yn", "y", "Yes"]],
    ))  # fmt: skip
    assert len(problems) == 1 and problems[0].startswith("row 3: 'or specify other' is not supported yet")


def test_metadata_and_unsupported_types_name_their_type():
    problems = refused(form([
        HEAD, ["start", "start", None], ["begin_group", "g", "G"], ["end", "end", None], ["note", "n", "Read"],
        ["select_one_from_file places.csv", "f", "F"], ["end_group", None, None],
    ]))  # fmt: skip
    assert problems[0] == "row 2: type 'start': metadata is not collected; remove the row"
    assert problems[1] == "row 4: type 'end': metadata is not collected; remove the row"
    assert problems[2].startswith("row 5: type 'note': notes are not supported yet")
    assert problems[3] == "row 6: type 'select_one_from_file places.csv' is not supported yet"


def test_a_choice_with_no_label_shows_its_name_and_the_import_says_so():
    imported = import_xlsform(form(
        [HEAD, ["begin_group", "g", "G"], ["select_one places", "p", "P"], ["end_group", None, None]],
        choices=[["list_name", "name", "label::English (en)"], ["places", "north", "North"], ["places", "south", None]],
    ))  # fmt: skip
    choices = imported.structure["sections"][0]["questions"][0]["choices"]
    assert choices[1] == {"value": "south", "label": {"en": "south"}}
    assert imported.warnings == ["choices row 3: the choice 'south' has no label; its name is shown instead"]
    assert_round_trip(imported.structure)


def test_two_columns_for_one_text_in_one_language_are_refused_never_overwritten():
    bare_and_default = refused(form(
        [["type", "name", "label", "label::English (en)"], ["begin_group", "g", None, "G"],
         ["text", "t", "Bare text", "English text"], ["end_group", None, None, None]],
        settings=[["form_title", "default_language"], ["F", "English (en)"]],
    ))  # fmt: skip
    assert bare_and_default == [
        "row 3: the columns 'label', 'label::English (en)' all hold its label in English (en); keep one"
    ]
    two_spellings = refused(form(
        [["type", "name", "label::en", "label::English (en)"], ["begin_group", "g", "G", None],
         ["text", "t", "One", "Other"], ["end_group", None, None, None]],
    ))  # fmt: skip
    assert two_spellings == ["row 3: the columns 'label::en', 'label::English (en)' all hold its label in en; keep one"]


def test_a_single_colon_column_among_double_colon_ones_is_refused_with_its_spelling():
    problems = refused(form(
        [["type", "name", "label::English (en)", "label:French (fr)"], ["begin_group", "g", "G", "G fr"],
         ["text", "t", "T", "T fr"], ["end_group", None, None, None]],
    ))  # fmt: skip
    assert problems == [
        "survey sheet: write the column 'label:French (fr)' as 'label::French (fr)', with two colons like the "
        "form's other language columns"
    ]


def test_a_row_pyxform_would_skip_is_refused():
    problems = refused(form(
        [["type", "name", "label::English (en)", "hint::English (en)"], ["begin_group", "g", "G", None],
         [None, None, None, "A hint with no question"], ["end_group", None, None, None]],
    ))  # fmt: skip
    assert problems == ["row 3: this row has no type, so XLSForm skips it; give it a type or delete it"]


def test_a_setting_haven_does_not_keep_is_refused_and_form_title_in_any_case_is_the_name():
    problems = refused(form(
        [HEAD, ["begin_group", "g", "G"], ["text", "t", "T"], ["end_group", None, None]],
        settings=[["Form_Title", "style", "instance_name"], ["F", "pages", "concat('a', 'b')"]],
    ))  # fmt: skip
    assert problems == [
        "settings: the 'style' column is not supported yet; remove it",
        "settings: the 'instance_name' column is not supported yet; remove it",
    ]


def test_yes_no_and_region_lists_become_havens_types_only_when_no_word_is_lost():
    from debriefing.xlsform.lists import region_labels

    regions = [["region", value, labels["en"], labels["my"]] for value, labels in region_labels().items()]
    head = ["list_name", "name", "label::English (en)", "label::Burmese (my)"]
    survey = [
        ["type", "name", "label::English (en)", "label::Burmese (my)"], ["begin_group", "g", "G", "ဂ"],
        ["select_one yes_no", "a", "A", "က"], ["select_one region", "r", "R", "ရ"], ["end_group", None, None, None],
    ]  # fmt: skip
    haven = import_xlsform(
        form(survey, choices=[head, ["yes_no", "yes", "Yes", "ဟုတ်"], ["yes_no", "no", "No", "မဟုတ်"], *regions])
    )
    assert [q["type"] for q in haven.structure["sections"][0]["questions"]] == ["yes_no", "region"]
    own = import_xlsform(
        form(survey, choices=[head, ["yes_no", "yes", "Yes", "ဟုတ်ကဲ့"], ["yes_no", "no", "No", "မဟုတ်"], *regions[:3]])
    )
    a, r = own.structure["sections"][0]["questions"]
    assert (a["type"], r["type"]) == ("select_one", "select_one")
    assert a["choices"][0]["label"] == {"en": "Yes", "my": "ဟုတ်ကဲ့"}
    assert_round_trip(haven.structure)
    assert_round_trip(own.structure)


def test_a_label_that_looks_like_a_formula_survives_the_export():
    structure = import_xlsform(
        form([HEAD, ["begin_group", "g", "G"], ["text", "t", "'=1+1"], ["end_group", None, None]])
    ).structure
    structure["sections"][0]["questions"][0]["label"] = {"en": '=HYPERLINK("http://x")'}
    assert_round_trip(structure)


@pytest.mark.parametrize("name", ["real world", "standard"])
def test_the_shipped_and_real_world_forms_round_trip(name):
    structure = STRUCTURE if name == "standard" else import_xlsform(REAL_WORLD).structure
    assert_round_trip(structure)


# Zip bombs


def bomb(*, member_size: int, name: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A valid .xlsx with one sheet padded by ``member_size`` bytes of blanks that compress to almost nothing."""
    source = zipfile.ZipFile(io.BytesIO(form([HEAD, ["begin_group", "g", "G"], ["end_group", None, None]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == name:
                content = content.replace(b"<sheetData>", b"<sheetData>" + b" " * member_size, 1)
            target.writestr(item.filename, content)
    return out.getvalue()


def test_a_zip_that_expands_past_a_sane_size_is_refused_before_parsing():
    data = bomb(member_size=120 * 1024 * 1024)
    assert len(data) < 1024 * 1024
    problems = refused(data)
    assert problems == [archive_problem(data)]
    assert "expands to 120 MB" in problems[0]


def test_a_member_that_expands_hundreds_of_times_is_refused():
    data = bomb(member_size=8 * 1024 * 1024)
    problems = refused(data)
    assert "zip bomb" in problems[0] and "xl/worksheets/sheet1.xml" in problems[0]


NOT_A_FORM = (
    "This file is not an XLSForm spreadsheet. Open the form in Excel, LibreOffice or KoboToolbox, save it as an "
    "Excel workbook (.xlsx) and import that file."
)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


WRONG_FILES = {
    "empty": b"",
    "csv": b"type,name\ntext,x\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64,
    "zip": zipped({"notes.txt": b"hello"}),
    "docx": zipped({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                               b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                             b'wordprocessingml/2006/main"><w:body/></w:document>',
    }),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(WRONG_FILES))
def test_a_file_that_is_not_a_workbook_is_refused_in_plain_words(kind):
    assert refused(WRONG_FILES[kind]) == [NOT_A_FORM]


def test_an_old_excel_file_is_asked_for_as_xlsx():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert refused(ole2) == [
        "This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) and import that file."
    ]


def test_pyxforms_own_words_for_a_file_it_cannot_read_are_never_shown(monkeypatch):
    """Had a file passed Haven's checks, pyxform's "Argument 'definition' was not recognized" is still translated."""
    monkeypatch.setattr("debriefing.xlsform.reading.rows_problem", lambda data, limit: None)
    assert refused(WRONG_FILES["docx"]) == [NOT_A_FORM]


@pytest.mark.django_db
def test_the_import_page_refuses_a_zip_renamed_xlsx_in_plain_words(sup):
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", WRONG_FILES["zip"])})
    page = response.content.decode()
    assert response.status_code == 400
    assert "This file is not an XLSForm spreadsheet." in page and "Argument" not in page


# Long forms: refused from their row count, before pyxform parses anything


def long_form(rows: int, *, sheet: str = "survey") -> bytes:
    questions = [["text", f"q{i}", f"Question {i}"] for i in range(rows - 2)]
    survey = [HEAD, ["begin_group", "g", "G"], *questions, ["end_group", None, None]]
    choices = [["list_name", "name", "label::English (en)"], ["places", "north", "North"]]
    if sheet == "choices":
        survey = [HEAD, ["begin_group", "g", "G"], ["select_one places", "p", "P"], ["end_group", None, None]]
        choices += [["places", f"c{i}", f"Choice {i}"] for i in range(rows - 1)]
    return form(survey, choices=choices)


# Timings below are this process's CPU time (the test client runs the view in-process): on a shared 2-core
# machine the wall clock also counts other processes' turns, and flaked at 3 s for a 0.6 s request.


@pytest.fixture
def pyxform_calls(monkeypatch) -> list[str]:
    """Each call into pyxform's reading and conversion, by name (a spy: pyxform still runs)."""
    from debriefing.xlsform import reading

    calls: list[str] = []
    for name in ("convert", "get_xlsform"):
        real = getattr(reading, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(reading, name, spy)
    return calls


@pytest.mark.parametrize("sheet", ["survey", "choices"])
def test_a_form_one_row_over_the_limit_is_refused_at_once_and_pyxform_never_runs(sheet, pyxform_calls):
    rows = 5_001
    data = long_form(rows, sheet=sheet)
    started = time.process_time()
    problems = refused(data)
    took = time.process_time() - started
    assert problems == [f"The {sheet} sheet has more than 5000 rows: a form may have at most 5000."]
    assert pyxform_calls == []
    assert took < 2, f"{rows} rows took {took:.1f}s to refuse"  # pyxform took 6-9 s for 5,001 rows


def test_the_row_limit_counts_every_row_up_to_the_last_filled_one(monkeypatch, pyxform_calls):
    monkeypatch.setattr("debriefing.xlsform.reading.MAX_ROWS", 4)
    inside = [HEAD, ["begin_group", "g", "G"], ["text", "a", "A"], [None, None, None], ["end_group", None, None]]
    assert import_xlsform(form(inside)).structure["sections"][0]["key"] == "g"
    assert pyxform_calls == ["convert", "get_xlsform"]
    over = [*inside[:-1], ["text", "b", "B"], ["end_group", None, None]]
    assert refused(form(over)) == ["The survey sheet has more than 4 rows: a form may have at most 4."]


def test_a_stray_cell_far_below_the_form_is_ignored_as_pyxform_ignores_it(monkeypatch):
    monkeypatch.setattr("debriefing.xlsform.reading.MAX_ROWS", 10)
    book_ = openpyxl.load_workbook(io.BytesIO(form([HEAD, ["begin_group", "g", "G"], ["text", "a", "A"],
                                                     ["end_group", None, None]])))  # fmt: skip
    book_["survey"].cell(row=900_000, column=1, value="text")
    buffer = io.BytesIO()
    book_.save(buffer)
    started = time.process_time()
    assert import_xlsform(buffer.getvalue()).structure["sections"][0]["key"] == "g"
    assert time.process_time() - started < 2


def test_a_long_form_in_three_languages_fits_the_size_limits():
    """5,000 rows with long labels and hints in three languages: what MAX_EXPANDED is measured against."""
    langs = {"English (en)": "Which unit were you in when you left, and who led it? " * 4,
             "Burmese (my)": "သင်ထွက်ခွာစဉ်က မည်သည့်တပ်ရင်းတွင် တာဝန်ထမ်းဆောင်ခဲ့သနည်း " * 4,
             "French (fr)": "Dans quelle unité serviez-vous quand vous êtes parti ? " * 4}  # fmt: skip
    header = ["type", "name", *(f"{text}::{name}" for text in ("label", "hint") for name in langs)]
    survey = [header, ["begin_group", "g", *["G"] * 6]]
    survey += [["integer", f"q{i}", *(f"{t}{i}" for t in langs.values()), *(f"{t}{i}" for t in langs.values())]
               for i in range(4_997)]  # fmt: skip
    survey += [["end_group", *[None] * 7]]
    data = form(survey)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sum(member.file_size for member in archive.infolist()) > 12 * 1024 * 1024
    assert archive_problem(data) is None
    assert rows_problem(data) is None


@pytest.mark.django_db
def test_the_form_is_read_before_the_import_opens_its_transaction(sup, monkeypatch):
    from debriefing.xlsform import reading

    depths: list[int] = []
    real = reading.convert

    def spy(*args: Any, **kwargs: Any) -> Any:
        depths.append(len(connection.atomic_blocks))
        return real(*args, **kwargs)

    monkeypatch.setattr(reading, "convert", spy)
    outside = len(connection.atomic_blocks)  # the test's own transaction
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", REAL_WORLD)})
    assert response.status_code == 302
    assert depths == [outside]


@pytest.mark.django_db
def test_the_import_page_refuses_a_long_form_quickly_and_keeps_nothing(sup, pyxform_calls):
    """The reviewers' 60,000 rows held a web worker 80 s before this check came first."""
    data = long_form(60_000)
    before = DebriefTemplate.objects.count()
    started = time.process_time()
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)})
    took = time.process_time() - started
    assert response.status_code == 400
    assert "The survey sheet has more than 5000 rows" in response.content.decode()
    assert pyxform_calls == [] and took < 2, f"{took:.1f}s"
    assert DebriefTemplate.objects.count() == before


# Zawgyi

ZAWGYI_WHERE = "\u1018\u101a\u1039\u1019\u103d\u102c\u101c\u1032"  # ဘယ်မှာလဲ ("where?") typed in Zawgyi
ZAWGYI_RIGHTS = "\u101c\u1030\u1094\u1021\u1001\u103c\u1004\u1037\u1039\u1031\u101b\u1038"  # myanmartools' test data


def test_burmese_typed_in_zawgyi_is_converted_to_unicode_and_its_rows_named():
    data = form(
        [
            ["type", "name", "label::English (en)", "label::Burmese (my)", "hint::Burmese (my)"],
            ["begin_group", "g", "Unit", "တပ်ရင်း", None],
            ["select_one places", "where", "Where?", ZAWGYI_WHERE, ZAWGYI_RIGHTS],
            ["text", "plain", "Plain", "တပ်ရင်းအမည်", None],
            ["end_group", None, None, None, None],
        ],
        choices=[
            ["list_name", "name", "label::English (en)", "label::Burmese (my)"],
            ["places", "north", "North", "အရှေ့"],
            ["places", "rights", "Rights", ZAWGYI_RIGHTS],
        ],
    )
    imported = import_xlsform(data)
    where, plain = imported.structure["sections"][0]["questions"]
    assert where["label"]["my"] == "ဘယ်မှာလဲ"
    assert where["hint"]["my"] == "လူ့အခွင့်ရေး"
    assert [choice["label"]["my"] for choice in where["choices"]] == ["အရှေ့", "လူ့အခွင့်ရေး"]
    assert plain["label"]["my"] == "တပ်ရင်းအမည်"  # Unicode is left as typed
    assert imported.warnings == [
        "rows 3: text typed in Zawgyi was converted to Unicode; check in the preview that it reads correctly",
        "choices rows 3: text typed in Zawgyi was converted to Unicode; check in the preview that it reads correctly",
    ]


def test_a_form_in_unicode_burmese_gets_no_zawgyi_warning():
    assert import_xlsform(REAL_WORLD).warnings == []


# The page


@pytest.mark.django_db
def test_the_import_says_how_many_sections_and_questions_came_in_per_language(sup):
    data = styled_form(STYLES["six languages"])
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)}, follow=True)
    page = response.content.decode()
    assert (
        "2 sections, 7 questions; labels in English (7 of 7), Burmese (7 of 7), French (7 of 7), Chinese (7 of 7), "
        "Swahili (7 of 7), Karen (7 of 7); hints in English (3 of 3), Burmese (3 of 3), French (3 of 3), "
        "Chinese (3 of 3), Swahili (3 of 3), Karen (3 of 3); choice labels in English (5 of 5), Burmese (5 of 5), "
        "French (5 of 5), Chinese (5 of 5), Swahili (5 of 5), Karen (5 of 5)." in page
    )
    template = DebriefTemplate.objects.get(name="Styled form")
    assert template.structure["default_language"] == "my"


@pytest.mark.django_db
def test_the_import_says_which_hints_and_choices_lack_a_language(sup):
    data = form(
        [
            ["type", "name", "label::English (en)", "label::Burmese (my)", "hint::English (en)", "hint::Burmese (my)"],
            ["begin_group", "g", "G", "ဂ", None, None],
            ["select_one places", "p", "Place", "နေရာ", "Where it was", None],
            ["text", "t", "Text", "စာ", "In full", "အပြည့်အစုံ"],
            ["integer", "n", "Number", "နံပါတ်", None, None],
            ["end_group", None, None, None, None, None],
        ],
        choices=[
            ["list_name", "name", "label::English (en)", "label::Burmese (my)"],
            ["places", "north", "North", "မြောက်"],
            ["places", "south", "South", None],
        ],
    )
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)}, follow=True)
    assert (
        "1 section, 3 questions; labels in English (3 of 3), Burmese (3 of 3); hints in English (2 of 2), "
        "Burmese (1 of 2); choice labels in English (2 of 2), Burmese (1 of 2)." in response.content.decode()
    )


@pytest.mark.django_db
def test_the_import_page_shows_the_warning_for_a_choice_with_no_label(sup):
    data = form(
        [HEAD, ["begin_group", "g", "G"], ["select_one places", "p", "P"], ["end_group", None, None]],
        choices=[["list_name", "name", "label::English (en)"], ["places", "north", None]],
    )
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)}, follow=True)
    assert "the choice &#x27;north&#x27; has no label; its name is shown instead" in response.content.decode()


@pytest.mark.django_db
def test_the_import_page_refuses_a_zip_bomb_with_its_reason(sup):
    data = bomb(member_size=60 * 1024 * 1024)
    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)})
    assert response.status_code == 400
    assert "expands to 60 MB" in response.content.decode()
    assert not DebriefTemplate.objects.filter(status=DebriefTemplate.Status.DRAFT).exists()


def test_a_group_that_says_it_is_not_required_is_read_as_any_other():
    end = ["end_group", None, None, None]
    imported = import_xlsform(
        form([[*HEAD, "required"], ["begin_group", "g", "G", "false"], ["text", "t", "T", "no"], end])
    )
    assert imported.structure["sections"][0]["key"] == "g"
    assert refused(form([[*HEAD, "required"], ["begin_group", "g", "G", "yes"], ["text", "t", "T", None], end])) == [
        "row 2: the group's 'required' column is not supported yet; remove it"
    ]
