"""A section page as the debriefer reads it: which answers are required, where to go next, and the
reviewer's comment while the debrief is returned for changes."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from debriefing import services
from debriefing.models import DebriefSession, Review
from tests.debriefing.conftest import save

pytestmark = pytest.mark.django_db
COMMENT = "Sentinel comment 4471: which battalion held the bridge"


def complete(session: DebriefSession) -> None:
    """Answer every required question of the standard template."""
    save(session, "background", {"service_years": 6, "service_branch": "army"})
    save(session, "unit", {"unit_name": "LIB 52"})
    save(session, "operations", {"took_part": "no"})
    save(session, "violations", {"witnessed": "no"})
    save(session, "wellbeing", {"feeling": "fine"})


def returned(session: DebriefSession, supervisor: User, comment: str) -> None:
    services.submit_session(session=session, by=session.debriefer)
    services.review_session(session=session, by=supervisor, decision=Review.Decision.RETURN, comment=comment)


def page(dbc, session: DebriefSession, section: str) -> str:  # type: ignore[no-untyped-def]
    response = dbc.get(f"/debriefing/{session.pk}/{section}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_required_question_says_so_after_its_label_and_an_optional_one_does_not(dbc, session):
    html = page(dbc, session, "background")
    note = '<span class="required-note">(required before submitting)</span>'
    assert f'<label for="id_service_years">Years of service {note}</label>' in html
    assert f'<label for="id_service_branch">Branch {note}</label>' in html
    assert html.count(note) == 2  # years and branch: the rest of the section is optional
    # A draft is saved with required answers missing: no field carries the HTML required attribute.
    assert not re.search(r"<(?:input|select|textarea)\b[^>]*\brequired\b", html)


def test_a_required_question_inside_a_repeat_says_it_is_required_in_each_entry(dbc, session):
    html = page(dbc, session, "violations")
    note = '<span class="required-note">(required in each entry before submitting)</span>'
    assert f'<label for="id_incidents__0__incident_date">Incident 1: Date {note}</label>' in html
    assert '<label for="id_witnessed">Witnessed violations <span class="required-note">' in html


def test_labels_have_no_colon_after_them(dbc, session):
    html = page(dbc, session, "unit")
    labels = re.findall(r"<label for=\"id_[^\"]+\">(.*?)</label>", html)
    assert labels and not [label for label in labels if re.search(r"\s?:$|:\s*<span", label)], labels


def test_each_section_links_to_the_next_and_back_to_the_debrief(dbc, session):
    html = page(dbc, session, "background")
    nav = html[html.index("data-section-nav") :]
    nav = nav[: nav.index("</nav>")]
    assert f'href="/debriefing/{session.pk}/unit/"' in nav and "Next: Unit and command structure" in nav
    assert f'href="/debriefing/{session.pk}/">Back to the debrief</a>' in nav
    assert html.index("data-section-nav") > html.index("</form>")  # after the form's buttons


def test_the_last_section_links_to_the_submit_confirmation_while_editable(dbc, session):
    html = page(dbc, session, "wellbeing")
    assert "data-next-section" not in html
    assert f'<a href="/debriefing/{session.pk}/submit/" data-submit-link>Next: submit for review</a>' in html
    assert dbc.get(f"/debriefing/{session.pk}/submit/").status_code == 200


def test_a_submitted_debriefs_last_section_offers_no_submit(dbc, session):
    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    html = page(dbc, session, "wellbeing")
    assert "data-submit-link" not in html and "submit/" not in html
    assert html.count("Back to the debrief") == 1  # the read-only page's own button, not a second link


def test_a_returned_debriefs_section_shows_the_latest_comment_at_the_top(dbc, session, supervisor):
    complete(session)
    returned(session, supervisor, "An older comment 3302")
    returned(session, supervisor, COMMENT)
    html = page(dbc, session, "unit")
    assert "data-returned-comment" in html and COMMENT in html
    assert "An older comment 3302" not in html  # answered by submitting again
    assert html.index("data-returned-comment") < html.index("data-autosave ")  # above the form
    assert "returned by" in html


def test_no_comment_is_shown_before_a_return_nor_after_submitting_again(dbc, session, supervisor):
    assert "data-returned-comment" not in page(dbc, session, "unit")
    complete(session)
    returned(session, supervisor, COMMENT)
    services.submit_session(session=session, by=session.debriefer)
    html = page(dbc, session, "unit")
    assert "data-returned-comment" not in html and COMMENT not in html


def test_the_returned_section_page_costs_the_same_queries_whatever_the_number_of_returns(dbc, session, supervisor):
    complete(session)
    counts = []
    for number in range(3):
        returned(session, supervisor, f"{COMMENT} {number}")
        dbc.get(f"/debriefing/{session.pk}/unit/")  # warm the session row
        with CaptureQueriesContext(connection) as run:
            html = page(dbc, session, "unit")
        assert f"{COMMENT} {number}" in html
        counts.append(len(run))
    assert counts[0] == counts[1] == counts[2]
