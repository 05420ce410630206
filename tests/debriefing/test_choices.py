"""No silent default: every choice on a debrief page starts unanswered (an empty first option, nothing
preselected); a choice nobody touched is stored as no answer, and a required one is refused by name."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import pytest

from debriefing import services
from debriefing.models import SectionAnswers

pytestmark = pytest.mark.django_db


class Selects(HTMLParser):
    """Each <select> of a page: its name, its options' values and which are selected."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "select":
            self.selects.append({"name": attributes.get("name"), "values": [], "selected": []})
        elif tag == "option" and self.selects:
            select = self.selects[-1]
            select["values"].append(attributes.get("value"))  # type: ignore[attr-defined]
            if "selected" in attributes:
                select["selected"].append(attributes.get("value"))  # type: ignore[attr-defined]


def preset_choices(html: str) -> list[str]:
    """The selects that would send an answer nobody gave: no empty first option, or an answer preselected."""
    page = Selects()
    page.feed(html)
    assert page.selects, "no select on this page"
    return [
        f"{select['name']}: {select['values'][:2]} selected {select['selected']}"  # type: ignore[index]
        for select in page.selects
        if select["values"][0] != "" or set(select["selected"]) - {""}  # type: ignore[index, arg-type, operator]
    ]


def test_the_check_finds_a_preselected_or_first_option(dbc):
    assert preset_choices('<select name="a"><option value="x">X</option></select>') == ["a: ['x'] selected []"]
    html = '<select name="b"><option value="">—</option><option value="y" selected>Y</option></select>'
    assert preset_choices(html) == ["b: ['', 'y'] selected ['y']"]


def test_no_choice_on_a_debrief_page_is_answered_before_anyone_chooses(dbc, sup, session):
    urls = [f"/debriefing/{session.pk}/{section['key']}/" for section in session.template.sections]
    urls += [f"/debriefing/{session.pk}/items/new/", f"/debriefing/{session.pk}/incidents/new/"]
    found = []
    for url in urls:
        response = dbc.get(url)
        assert response.status_code == 200, url
        if b"<select" in response.content:
            found += [f"{url} {problem}" for problem in preset_choices(response.content.decode())]
    found += [f"schedule {problem}" for problem in preset_choices(sup.get("/debriefing/schedule/").content.decode())]
    assert found == []


def test_the_addendum_question_is_not_preset(sup, session, supervisor):
    from tests.debriefing.test_submit import complete

    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    services.review_session(session=session, by=supervisor, decision="approve", comment="")
    assert preset_choices(sup.get(session.get_absolute_url()).content.decode()) == []
    response = sup.post(f"/debriefing/{session.pk}/addendum/", {"question": "", "text": "a correction"}, follow=True)
    assert "Choose the question and write the correction." in response.content.decode()
    assert not session.addenda.exists()


def test_an_incident_with_no_region_chosen_is_refused_by_name_and_not_recorded(dbc, session):
    data = {"violation": "killing", "date_from": "2024-03-01", "region": "", "summary": "x"}
    response = dbc.post(f"/debriefing/{session.pk}/incidents/new/", data)
    assert response.status_code == 400
    assert "Choose the state or region where it happened." in response.content.decode()
    response = dbc.post(f"/debriefing/{session.pk}/incidents/new/", {**data, "region": "sagaing", "violation": ""})
    assert "Choose the violation." in response.content.decode()
    assert not session.incidents.exists()
    forged = dbc.post(f"/debriefing/{session.pk}/incidents/new/", {**data, "region": "atlantis"})
    assert forged.status_code == 400 and not session.incidents.exists()


def test_an_item_with_no_grade_chosen_is_refused_by_name(dbc, session):
    data = {"category": "", "summary": "x", "reliability": "", "credibility": ""}
    page = dbc.post(f"/debriefing/{session.pk}/items/new/", data).content.decode()
    for message in ("Choose the category.", "Choose how reliable the source is.", "Choose how credible"):
        assert message in page
    assert not session.items.exists()


def test_a_region_or_choice_left_untouched_is_saved_as_no_answer(dbc, session):
    body = {"base_region": "", "base_township": "Kalay", "version": "0", "save_token": str(uuid.uuid4())}
    assert dbc.post(f"/debriefing/{session.pk}/bases/", body, HTTP_X_AUTOSAVE="1").status_code == 200
    assert SectionAnswers.objects.get(session=session, section="bases").answers == {"base_township": "Kalay"}
    body = {"service_years": "4", "service_branch": "", "version": "0", "save_token": str(uuid.uuid4())}
    dbc.post(f"/debriefing/{session.pk}/background/", body, HTTP_X_AUTOSAVE="1")
    assert SectionAnswers.objects.get(session=session, section="background").answers == {"service_years": 4}
    page = dbc.get(f"/debriefing/{session.pk}/submit/").content.decode()
    assert "Service background: Branch" in page.split("data-submit-missing")[1]  # required: refused at submit
