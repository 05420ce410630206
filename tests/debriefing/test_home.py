"""The debriefer's home (/debriefing/): what to do when empty, what they may use, and debriefs returned
for changes shown first with the reviewer's comments."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Brake, User
from debriefing import services
from debriefing.models import DebriefSession, Review
from tests.factories import CaseFactory, schedule_debrief

pytestmark = pytest.mark.django_db
COMMENT = "Sentinel comment 8810: ask where the base moved"


def complete(session: DebriefSession) -> None:
    """Answer every required question, so that the session can be submitted."""
    answers = {
        "background": {"service_years": 6, "service_branch": "army"},
        "unit": {"unit_name": "LIB 52"},
        "operations": {"took_part": "no"},
        "violations": {"witnessed": "no"},
        "wellbeing": {"feeling": "fine"},
    }
    for section, given in answers.items():
        services.save_section(
            session=session, by=session.debriefer, section=section, answers=given, base_version=0, token=uuid.uuid4()
        )


def returned(session: DebriefSession, supervisor: User, comment: str = COMMENT) -> None:
    services.submit_session(session=session, by=session.debriefer)
    services.review_session(session=session, by=supervisor, decision=Review.Decision.RETURN, comment=comment)


def test_an_empty_home_says_who_schedules_debriefs_and_links_what_a_debriefer_may_use(client_for, debriefer):
    html = client_for(debriefer).get("/debriefing/").content.decode()
    assert "data-empty" in html and "A supervisor schedules each debrief" in html
    assert "Ask the supervisor who arranged the interview" in html
    for url in ["/accounts/2fa/", "/accounts/sessions/", "/accounts/password/change/"]:
        assert f'href="{url}"' in html, url
    assert "data-returned-debriefs" not in html
    assert "Schedule a debrief" not in html


def test_a_returned_debrief_is_shown_first_with_the_reviewers_comment(client_for, debriefer, supervisor, case):
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    complete(session)
    returned(session, supervisor, "An older comment 1101")
    services.submit_session(session=session, by=debriefer)
    services.review_session(session=session, by=supervisor, decision=Review.Decision.RETURN, comment=COMMENT)
    other = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)

    client = client_for(debriefer)
    html = client.get("/debriefing/").content.decode()
    notice = html[html.index("data-returned-debriefs") : html.index("</section>", html.index("data-returned-debriefs"))]
    assert "A debrief was returned to you for changes" in notice
    assert COMMENT in notice and "An older comment 1101" not in notice  # the reviewer's last word
    assert session.case.code in notice and other.case.code not in notice
    assert f'href="/debriefing/{session.pk}/"' in notice and supervisor.username in notice
    assert html.index("data-returned-debriefs") < html.index("<table")  # above the list
    assert "data-empty" not in html
    # The Debriefs link in the header counts it, on every page.
    assert "Debriefs (1 open)" in client.get("/accounts/2fa/").content.decode()

    # Submitted again: no longer waiting for the debriefer.
    services.submit_session(session=session, by=debriefer)
    html = client.get("/debriefing/").content.decode()
    assert "data-returned-debriefs" not in html and COMMENT not in html
    assert "Debriefs (1 open)" not in html


def test_another_debriefers_returned_debrief_is_never_shown(  # type: ignore[no-untyped-def]
    client_for, debriefer, outsider_debriefer, supervisor, case
):
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    complete(session)
    returned(session, supervisor)
    html = client_for(outsider_debriefer).get("/debriefing/").content.decode()
    assert COMMENT not in html and case.code not in html and "data-returned-debriefs" not in html
    assert "Debriefs (1 open)" not in html
    # Supervisors see the list as before, without the debriefer's notice.
    html = client_for(supervisor).get("/debriefing/").content.decode()
    assert "data-returned-debriefs" not in html and "Debriefs (" not in html


def test_a_braked_debriefer_sees_that_a_debrief_was_returned_but_not_the_comment(  # type: ignore[no-untyped-def]
    client_for, debriefer, supervisor, case
):
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    complete(session)
    returned(session, supervisor)
    Brake.objects.create(person=debriefer, tripped_at=timezone.now(), window="day", assigned=True, limit=1)
    html = client_for(debriefer).get("/debriefing/").content.decode()
    assert "data-returned-debriefs" in html and case.code in html
    assert COMMENT not in html


def home_queries(client, debriefer: User, supervisor: User, rows: int) -> int:  # type: ignore[no-untyped-def]
    for _ in range(rows):
        session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
        complete(session)
        returned(session, supervisor)
        schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    client.get("/debriefing/")  # warm the session row
    with CaptureQueriesContext(connection) as run:
        html = client.get("/debriefing/").content.decode()
    assert html.count("data-returned=") == DebriefSession.objects.filter(status="returned").count()
    assert html.count(COMMENT) == DebriefSession.objects.filter(status="returned").count()
    return len(run)


def test_the_debriefers_home_costs_the_same_queries_whatever_the_number_of_rows(client_for, debriefer, supervisor):
    # Django session, organisation key, user, MFA check (middleware); returned debriefs with their latest
    # review, case and key; is the brake on; the sessions; the header's Debriefs count; saving the session.
    client = client_for(debriefer)
    small = home_queries(client, debriefer, supervisor, 1)
    large = home_queries(client, debriefer, supervisor, 5)  # 6 returned, 12 sessions in all
    assert small == large
