"""The review: a refused decision keeps what the reviewer chose and wrote, with the error at its field;
a return the debriefer answered by submitting again reads as an earlier one."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from debriefing import services
from debriefing.models import DebriefSession, Review, SectionAnswers
from tests.factories import schedule_debrief

pytestmark = pytest.mark.django_db
FIRST = "Sentinel first return 3301: ask about the base"
SECOND = "Sentinel second return 4402: the dates"


@pytest.fixture
def session(case, debriefer, supervisor) -> DebriefSession:  # type: ignore[no-untyped-def]
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    for section, answers in {
        "background": {"service_years": 6, "service_branch": "army"}, "unit": {"unit_name": "Battalion 52"},
        "operations": {"took_part": "no"}, "violations": {"witnessed": "no"}, "wellbeing": {"feeling": "tired"},
    }.items():  # fmt: skip
        services.save_section(
            session=session, by=debriefer, section=section, answers=answers, base_version=0, token=uuid.uuid4()
        )
    services.submit_session(session=session, by=debriefer)
    return session


def review(client: Client, session: DebriefSession, **data: str):  # type: ignore[no-untyped-def]
    return client.post(f"/debriefing/{session.pk}/review/", data)


def review_form(page: str) -> str:
    return page.split('id="review"')[1].split("</form>")[0]


def test_a_return_without_a_comment_shows_the_error_at_the_comment_and_keeps_the_decision(sup, session):
    response = review(sup, session, decision="return", comment="  ")
    form = review_form(response.content.decode())
    assert response.status_code == 400
    assert re.search(r'<input[^>]*value="return"[^>]*checked', form)
    assert not re.search(r'<input[^>]*value="approve"[^>]*checked', form)
    error = form.index("Say what needs changing")
    assert form.index("Comments for the debriefer") < error < form.index("<textarea")
    assert not Review.objects.filter(session=session).exists()
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.SUBMITTED


def test_no_decision_is_refused_at_the_decision_and_keeps_the_comment(sup, session):
    response = review(sup, session, comment="Sentinel half-written 9910")
    form = review_form(response.content.decode())
    assert response.status_code == 400
    assert "Choose approve or return." in form and "Sentinel half-written 9910" in form
    assert not Review.objects.filter(session=session).exists()


def test_a_debriefer_cannot_review(dbc, session):
    assert review(dbc, session, decision="approve").status_code in (403, 404)
    assert not Review.objects.filter(session=session).exists()


def test_a_review_of_a_debrief_no_longer_submitted_is_refused_with_a_message(sup, session, supervisor):
    services.review_session(session=session, by=supervisor, decision="return", comment=FIRST)
    response = review(sup, session, decision="approve")
    assert response.status_code == 302
    assert Review.objects.filter(session=session).count() == 1


def test_a_return_answered_by_submitting_again_reads_as_an_earlier_one(dbc, sup, session, supervisor):
    services.review_session(session=session, by=supervisor, decision="return", comment=FIRST)
    page = dbc.get(session.get_absolute_url()).content.decode()
    assert FIRST in page and "data-review-earlier" not in page  # returned now: the current word
    row = SectionAnswers.objects.get(session=session, section="unit")
    services.save_section(
        session=session, by=session.debriefer, section="unit", answers={"unit_name": "Battalion 53"},
        base_version=row.version, token=uuid.uuid4(),
    )  # fmt: skip
    services.submit_session(session=session, by=session.debriefer)
    page = sup.get(session.get_absolute_url()).content.decode()
    earlier = page.split("data-review-earlier")[1].split("</div>")[0]
    assert "Earlier return" in earlier and FIRST in earlier
    services.review_session(session=session, by=supervisor, decision="return", comment=SECOND)
    page = dbc.get(session.get_absolute_url()).content.decode()
    assert page.count("data-review-earlier") == 1 and FIRST in page.split("data-review-earlier")[1]
    current = page.split(SECOND)[0].rsplit("data-review", 1)[1]
    assert "Earlier return" not in current and "Returned" in current
