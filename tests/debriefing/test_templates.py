"""Template versions and the XLSForm import and export."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from pyxform.xls2xform import convert

from debriefing import services
from debriefing.models import DebriefTemplate
from debriefing.xlsform import XLSFormError, export_xlsform, import_xlsform
from tests.debriefing.xlsforms import REAL_WORLD, SURVEY_HEADER, workbook
from tests.factories import CaseFactory, schedule_debrief, standard_template

pytestmark = pytest.mark.django_db


def test_the_migration_ships_the_standard_template_published():
    from importlib import import_module

    from django.apps import apps

    DebriefTemplate.objects.filter(sessions__isnull=True).delete()  # as before the migration ran
    import_module("debriefing.migrations.0002_standard_template").publish_standard(apps, None)
    shipped = DebriefTemplate.objects.get(name="Standard debrief", version=1)
    assert shipped.status == DebriefTemplate.Status.PUBLISHED and shipped.published_at


def test_the_standard_template_is_shipped_published_in_english_and_burmese():
    template = standard_template()
    assert template.status == DebriefTemplate.Status.PUBLISHED
    keys = [section["key"] for section in template.sections]
    assert keys == ["background", "unit", "bases", "operations", "weapons", "morale", "violations", "wellbeing"]
    for section in template.sections:
        assert section["label"]["en"] and section["label"]["my"]
        for question in section["questions"]:
            assert question["label"]["en"] and question["label"]["my"], question["key"]
    incidents = next(q for q in template.sections[6]["questions"] if q["key"] == "incidents")
    assert incidents["type"] == "repeat" and incidents["questions"]


def test_every_shipped_template_exports_to_an_xlsform_that_imports_back_the_same():
    standard_template()
    shipped = list(DebriefTemplate.objects.exclude(status=DebriefTemplate.Status.DRAFT))
    assert shipped
    for template in shipped:
        data = export_xlsform(name=template.name, version=template.version, structure=template.structure)
        convert(data, file_type=".xlsx")  # pyxform's own conversion accepts it
        imported = import_xlsform(data)
        assert imported.structure == template.structure
        assert imported.name == template.name


def test_a_real_world_shaped_form_imports_groups_repeats_choices_relevance_and_both_languages():
    form = import_xlsform(REAL_WORLD)
    assert form.name == "Field debrief"
    unit, abuses = form.structure["sections"]
    assert unit["label"] == {"en": "Unit", "my": "တပ်ရင်း"}
    name, deployed, where, strength = unit["questions"]
    assert (name["type"], name["required"], name["hint"]) == ("text", True, {"en": "As the person calls it"})
    assert deployed["type"] == "yes_no"
    assert where["type"] == "select_multiple"
    assert where["choices"][1] == {"value": "south", "label": {"en": "South", "my": "တောင်"}}
    assert where["relevant"] == {"key": "deployed", "value": "yes"}
    assert strength["type"] == "integer"
    (incident,) = abuses["questions"]
    assert incident["type"] == "repeat"
    # Two regions with the form's own labels: a choice question that keeps them, not Haven's full list.
    assert [q["type"] for q in incident["questions"]] == ["date", "select_one", "text"]
    assert incident["questions"][1]["choices"][0] == {
        "value": "sagaing",
        "label": {"en": "Sagaing Region", "my": "စစ်ကိုင်းတိုင်း"},
    }


def test_unsupported_features_are_refused_row_by_row_with_what_each_needs():
    header = [*SURVEY_HEADER, "constraint", "calculation", "choice_filter", "media::image"]
    data = workbook(
        [
            ["begin_group", "g", "G", "ဂ", None, None, None, None, None, None, None],  # row 2
            ["geopoint", "where", "Where", "ဘယ်", None, None, None, None, None, None, None],  # row 3
            ["calculate", "total", None, None, None, None, None, None, "1 + 1", None, None],  # row 4
            ["integer", "age", "Age", "အသက်", None, None, None, ". mod 2 = 0", None, None, None],  # row 5
            [
                "select_one places",
                "place",
                "Place",
                "နေရာ",
                None,
                None,
                None,
                None,
                None,
                "region = 'x'",
                None,
            ],  # row 6
            ["text", "said", "Said", "ပြော", None, None, "string-length(${age}) > 2", None, None, None, None],  # row 7
            ["text", "photo", "Photo", "ဓာတ်ပုံ", None, None, None, None, None, None, "a.jpg"],  # row 8
            ["end_group", None, None, None, None, None, None, None, None, None, None],
        ],
        header=header,
        choices=[["places", "a", "A", "က"]],
    )
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(data)
    problems = refused.value.problems
    assert any(p.startswith("row 3:") and "GPS" in p for p in problems)
    assert any(p.startswith("row 4:") and "calculations" in p for p in problems)
    assert any(p.startswith("row 5:") and "constraint" in p for p in problems)
    assert any(p.startswith("row 6:") and "choice_filter" in p for p in problems)
    assert any(p.startswith("row 7:") and "relevant" in p for p in problems)
    assert any(p.startswith("row 8:") and "media::image" in p for p in problems)


def test_a_question_outside_any_group_is_refused():
    data = workbook([["text", "loose", "Loose", "လွတ်", None, None, None]])
    with pytest.raises(XLSFormError) as refused:
        import_xlsform(data)
    assert refused.value.problems == ["row 2: put this question inside a group: each top-level group is a section"]


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(XLSFormError):
        import_xlsform(b"=cmd|' /C calc'!A0")


def test_importing_makes_a_draft_and_reimporting_replaces_the_draft(supervisor):
    first, _ = services.import_template(data=REAL_WORLD, by=supervisor)
    assert (first.version, first.status) == (1, DebriefTemplate.Status.DRAFT)
    again, _ = services.import_template(data=REAL_WORLD, by=supervisor)
    assert again.pk == first.pk
    services.publish_template(template=again, by=supervisor)
    newer, _ = services.import_template(data=REAL_WORLD, by=supervisor)
    assert (newer.version, newer.status) == (2, DebriefTemplate.Status.DRAFT)


def test_reimporting_a_published_form_says_the_published_version_stays_in_use_until_the_draft_is(sup, supervisor):
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile

    def imported() -> str:
        response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", REAL_WORLD)})
        assert response.status_code == 302
        return " ".join(str(message) for message in get_messages(response.wsgi_request))

    first = imported()
    assert "Imported as draft version 1" in first and "stays published" not in first  # nothing published yet
    services.publish_template(template=DebriefTemplate.objects.get(status="draft"), by=supervisor)
    second = imported()
    assert "Imported as draft version 2" in second
    assert "Version 1 stays published: debriefs already scheduled keep using it" in second
    assert "until it is published" in second
    again = imported()  # the draft replaced: still said
    assert "Imported as draft version 2" in again and "Version 1 stays published" in again


def test_a_published_template_cannot_be_published_again_and_a_draft_cannot_be_retired(supervisor):
    with pytest.raises(ValidationError):
        services.publish_template(template=standard_template(), by=supervisor)
    draft, _ = services.import_template(data=REAL_WORLD, by=supervisor)
    with pytest.raises(ValidationError):
        services.retire_template(template=draft, by=supervisor)


def test_a_session_stays_pinned_to_its_version_when_a_new_one_is_published(supervisor, debriefer):
    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    before = standard_template().structure
    newer = DebriefTemplate.objects.create(name="Standard debrief", version=2, structure={"sections": []})
    services.publish_template(template=newer, by=supervisor)
    services.retire_template(template=standard_template(), by=supervisor)
    session.refresh_from_db()
    assert session.template.version == 1 and session.template.structure == before


def test_a_retired_or_draft_template_cannot_start_a_session(supervisor, debriefer):
    draft, _ = services.import_template(data=REAL_WORLD, by=supervisor)
    with pytest.raises(ValidationError):
        services.schedule_session(
            case=CaseFactory(), debriefer=debriefer, template=draft, on=datetime.date.today(), by=supervisor
        )


def test_the_import_page_lists_the_refused_rows(sup):
    data = workbook([
        ["begin_group", "g", "G", "ဂ", None, None, None],
        ["geopoint", "where", "Where", "ဘယ်", None, None, None],
        ["end_group", None, None, None, None, None, None],
    ])  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = sup.post("/debriefing/templates/", {"xlsform": SimpleUploadedFile("form.xlsx", data)})
    assert response.status_code == 400
    assert "row 3:" in response.content.decode()
    assert not DebriefTemplate.objects.filter(status=DebriefTemplate.Status.DRAFT).exists()


def test_the_xlsform_download_is_the_templates_structure(sup):
    template = standard_template()
    response = sup.get(f"/debriefing/templates/{template.pk}/xlsform/")
    assert response.status_code == 200
    assert import_xlsform(response.content).structure == template.structure


def test_a_hint_from_an_imported_form_is_shown_as_text_never_as_html():
    from debriefing.structure import form_field

    hostile = '<meta http-equiv="refresh" content="0;url=https://evil.example/"><a href="x">sign in</a>'
    field = form_field({"type": "text", "label": {"en": "Name"}, "hint": {"en": hostile}})

    class One(forms.Form):
        pass

    form = One()
    form.fields["name"] = field
    html = str(form)
    assert "<meta" not in html and "<a href" not in html
    assert "&lt;meta http-equiv=&quot;refresh&quot;" in html
