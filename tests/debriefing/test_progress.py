"""Progress counts the questions that apply (is_relevant, as the form, submit and review read it):
an answer to a question that no longer applies counts neither way, and a finished debrief is 100%."""

from __future__ import annotations

import uuid

import pytest

from debriefing import services
from debriefing.models import DebriefSession, SectionAnswers
from tests.debriefing.conftest import save

pytestmark = pytest.mark.django_db
ALWAYS = 19  # the standard template's 22 questions less the three shown only after a "yes"

EVERY_ANSWER = {
    "background": {"service_years": 6, "service_branch": "army", "training": "basic"},
    "unit": {"unit_name": "Battalion 52", "commander": "x", "unit_strength": 400, "command_chain": "y"},
    "bases": {"base_region": "sagaing", "base_township": "Kalay", "deployments": "z"},
    "operations": {"took_part": "no", "airstrikes_known": "no"},
    "weapons": {"weapons_held": ["small_arms"], "supply_routes": "r"},
    "morale": {"morale_level": "high", "others_willing": 3},
    "violations": {"witnessed": "no"},
    "wellbeing": {"feeling": "fine", "wants_support": "no"},
}


def counts(session: DebriefSession) -> tuple[int, int, int]:
    session.refresh_from_db()
    return session.answered, session.questions, session.progress_percent


def test_a_new_debrief_counts_only_the_questions_shown_without_a_condition(session):
    assert counts(session) == (0, ALWAYS, 0)


def test_a_yes_adds_the_question_it_opens_and_a_no_takes_it_and_its_answer_away(session):
    save(session, "operations", {"took_part": "yes", "operations_detail": "Sentinel op"})
    assert counts(session)[:2] == (2, ALWAYS + 1)
    # The draft keeps the detail in case the answer changes back; progress does not count it.
    save(session, "operations", {"took_part": "no", "operations_detail": "Sentinel op", "airstrikes_known": "no"})
    assert counts(session)[:2] == (2, ALWAYS)
    assert SectionAnswers.objects.get(session=session, section="operations").answered == 2


def test_every_question_that_applies_answered_is_100_percent_before_and_after_submit(dbc, session):
    for section, answers in EVERY_ANSWER.items():
        save(session, section, answers)
    save(session, "operations", {**EVERY_ANSWER["operations"], "airstrikes": "a draft answer that no longer applies"})
    assert counts(session) == (ALWAYS, ALWAYS, 100)
    page = dbc.get(session.get_absolute_url()).content.decode()
    assert f"{ALWAYS} / {ALWAYS}" in page and "2 / 4" not in page
    assert "2 / 2" in page  # the operations section: two questions apply, both answered
    assert "data-progress>100%" in dbc.get(f"/debriefing/{session.pk}/operations/").content.decode()
    services.submit_session(session=session, by=session.debriefer)
    assert counts(session) == (ALWAYS, ALWAYS, 100)


def test_a_condition_on_another_sections_answer_is_counted_from_that_answer(session):
    save(session, "violations", {"witnessed": "yes", "incidents": [{"incident_account": "burned"}]})
    assert counts(session)[:2] == (2, ALWAYS + 1)
    save(session, "violations", {"witnessed": "no", "incidents": [{"incident_account": "burned"}]})
    assert counts(session)[:2] == (1, ALWAYS)


def test_an_autosave_reports_the_progress_of_the_questions_that_apply(dbc, session):
    body = {"took_part": "no", "airstrikes_known": "no", "operations_detail": "kept in the draft"}
    body |= {"version": "0", "save_token": str(uuid.uuid4())}
    response = dbc.post(f"/debriefing/{session.pk}/operations/", body, HTTP_X_AUTOSAVE="1")
    assert response.json()["progress"] == round(100 * 2 / ALWAYS)
