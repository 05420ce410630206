"""Submit for review: confirmed on a page that shows what is unanswered and which answers no longer
apply; those answers stay in the draft until submit and are left out of the submitted record."""

from __future__ import annotations

import uuid

import pytest

from accounts.models import User
from audit.models import AuditEvent
from debriefing import services
from debriefing import structure as st
from debriefing.models import DebriefSession, SectionAnswers
from tests.debriefing.conftest import save

pytestmark = pytest.mark.django_db
OPERATIONS = "Sentinel operation 4417 at the river crossing"
ACCOUNT = "Sentinel account 9902: the village was burned"
OPERATIONS_LABEL = "Operations and airstrikes: Operations (where, when, who)"


def complete(session: DebriefSession) -> None:
    """Every required question answered; the operations answered "yes", with what they were."""
    save(session, "background", {"service_years": 6, "service_branch": "army"})
    save(session, "unit", {"unit_name": "Light Infantry Battalion 52"})
    save(session, "operations", {"took_part": "yes", "operations_detail": OPERATIONS})
    save(session, "violations", {"witnessed": "no"})
    save(session, "wellbeing", {"feeling": "tired"})


def stored(session: DebriefSession, section: str) -> dict:  # type: ignore[type-arg]
    return SectionAnswers.objects.get(session=session, section=section).answers


def url(session: DebriefSession) -> str:
    return f"/debriefing/{session.pk}/submit/"


def test_an_answer_that_no_longer_applies_is_named_kept_in_the_draft_and_left_out_at_submit(dbc, session):
    complete(session)
    save(session, "operations", {"took_part": "no", "operations_detail": OPERATIONS})  # changed their mind
    page = dbc.get(url(session))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-submit-dropping" in html and OPERATIONS_LABEL in html
    assert OPERATIONS not in html  # the question, never the answer
    assert stored(session, "operations")["operations_detail"] == OPERATIONS  # the draft keeps it until submit

    response = dbc.post(url(session), {"dropping": "operations/operations_detail"})
    assert response.status_code == 302 and response["Location"] == session.get_absolute_url()
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.SUBMITTED
    assert stored(session, "operations") == {"took_part": "no"}
    row = SectionAnswers.objects.get(session=session, section="operations")
    assert row.answered == 1 and row.version == 3
    assert session.answered == sum(SectionAnswers.objects.filter(session=session).values_list("answered", flat=True))

    services.review_session(session=session, by=User.objects.get(username="sam"), decision="approve", comment="")
    assert stored(session, "operations") == {"took_part": "no"}  # the approved record
    event = AuditEvent.objects.get(action="debriefing.session.submitted")
    assert event.object_ref == session.case.code
    assert event.reason == "dropped: operations/operations_detail"
    assert OPERATIONS not in str(list(AuditEvent.objects.values()))


def test_incident_entries_under_a_no_are_left_out_with_every_answer_in_them(dbc, session):
    complete(session)
    entries = [{"incident_date": "2023-04-11", "incident_account": ACCOUNT}]
    save(session, "violations", {"witnessed": "yes", "incidents": entries})
    save(session, "violations", {"witnessed": "no", "incidents": entries})
    html = dbc.get(url(session)).content.decode()
    assert "Human-rights violations witnessed: Incident" in html
    assert dbc.post(url(session), {"dropping": "violations/incidents"}).status_code == 302
    assert stored(session, "violations") == {"witnessed": "no"}


def test_answers_that_changed_since_the_page_was_shown_are_not_dropped_unseen(dbc, session):
    complete(session)
    assert "data-submit-dropping" not in dbc.get(url(session)).content.decode()
    save(session, "operations", {"took_part": "no", "operations_detail": OPERATIONS})  # another window, meanwhile
    response = dbc.post(url(session), {"dropping": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The answers changed since this page was shown" in html and OPERATIONS_LABEL in html
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.IN_PROGRESS
    assert stored(session, "operations")["operations_detail"] == OPERATIONS
    # Forged: a ref that would not be dropped is refused the same way.
    assert dbc.post(url(session), {"dropping": "unit/unit_name"}).status_code == 400
    assert stored(session, "unit") == {"unit_name": "Light Infantry Battalion 52"}


def test_the_confirmation_lists_what_is_unanswered_and_refuses_while_a_required_answer_is_missing(dbc, session):
    save(session, "background", {"service_years": 6})
    page = dbc.get(url(session)).content.decode()
    assert "Service background: Branch" in page.split("data-submit-missing")[1].split("</section>")[0]
    assert "Service background: Training received" in page.split("data-submit-unanswered")[1]
    main = page.split("<main")[1].split("</main>")[0]
    assert 'type="submit"' not in main  # nothing to press until it can be submitted
    assert dbc.post(url(session), {"dropping": ""}).status_code == 400
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.IN_PROGRESS
    assert not AuditEvent.objects.filter(action="debriefing.session.submitted").exists()


def test_a_double_submit_submits_once(dbc, session):
    complete(session)
    for _ in range(2):
        assert dbc.post(url(session), {"dropping": ""}).status_code == 302
    assert AuditEvent.objects.filter(action="debriefing.session.submitted").count() == 1


def test_a_draft_tab_cannot_save_dropped_answers_back_after_submit(dbc, session):
    complete(session)
    save(session, "operations", {"took_part": "no", "operations_detail": OPERATIONS})
    dbc.post(url(session), {"dropping": "operations/operations_detail"})
    body = {"took_part": "no", "operations_detail": OPERATIONS, "version": "2", "save_token": str(uuid.uuid4())}
    response = dbc.post(f"/debriefing/{session.pk}/operations/", body, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 400
    assert stored(session, "operations") == {"took_part": "no"}


def test_a_windows_old_token_cannot_overwrite_a_section_after_submit_and_return(dbc, session, supervisor):
    """A window's last token survives nowhere: submit clears it on every section, changed or not."""
    token = uuid.uuid4()
    answers = {
        "background": {"service_years": "6", "service_branch": "army"}, "unit": {"unit_name": "Sentinel unit 5521"},
        "operations": {"took_part": "no"}, "violations": {"witnessed": "no"}, "wellbeing": {"feeling": "tired"},
    }  # fmt: skip
    for section, data in answers.items():
        body = {**data, "version": "0", "save_token": str(token)}
        assert dbc.post(f"/debriefing/{session.pk}/{section}/", body, HTTP_X_AUTOSAVE="1").status_code == 200
    assert dbc.post(url(session), {"dropping": ""}).status_code == 302
    rows = SectionAnswers.objects.filter(session=session)
    assert {(row.version, row.save_token) for row in rows} == {(2, None)}
    replay = {"unit_name": "Sentinel overwrite 7730", "version": "1", "save_token": str(token)}
    assert dbc.post(f"/debriefing/{session.pk}/unit/", replay, HTTP_X_AUTOSAVE="1").status_code == 400
    services.review_session(session=session, by=supervisor, decision="return", comment="fix")
    assert {(row.version, row.save_token) for row in SectionAnswers.objects.filter(session=session)} == {(2, None)}
    for base in ("0", "1"):
        replay["version"] = base
        assert dbc.post(f"/debriefing/{session.pk}/unit/", replay, HTTP_X_AUTOSAVE="1").status_code == 409
    assert stored(session, "unit") == {"unit_name": "Sentinel unit 5521"}


def test_the_missing_required_questions_link_to_their_sections(dbc, session):
    save(session, "background", {"service_years": 6})
    missing = dbc.get(url(session)).content.decode().split("data-submit-missing")[1].split("</section>")[0]
    assert f'<a href="/debriefing/{session.pk}/background/">Service background: Branch</a>' in missing
    assert f'<a href="/debriefing/{session.pk}/violations/">' in missing


def test_the_optional_questions_part_never_says_every_question_is_answered_while_one_is_missing(dbc, session):
    for section, answers in {
        "background": {"service_years": 6, "training": "basic"},
        "unit": {"unit_name": "u", "commander": "c", "unit_strength": 4, "command_chain": "y"},
        "bases": {"base_region": "sagaing", "base_township": "Kalay", "deployments": "z"},
        "operations": {"took_part": "no", "airstrikes_known": "no"},
        "weapons": {"weapons_held": ["small_arms"], "supply_routes": "r"},
        "morale": {"morale_level": "high", "others_willing": 3},
        "violations": {"witnessed": "no"}, "wellbeing": {"feeling": "fine", "wants_support": "no"},
    }.items():  # fmt: skip
        save(session, section, answers)
    page = dbc.get(url(session)).content.decode()
    assert "Service background: Branch" in page.split("data-submit-missing")[1].split("</section>")[0]
    optional = page.split("data-submit-unanswered")[1].split("</section>")[0]
    assert "Optional questions without an answer" in optional
    assert "every optional question that applies has an answer" in optional
    assert "Every question that applies has an answer" not in page and "Not answered (not required)" not in page


def test_other_people_cannot_open_or_send_the_confirmation(client_for, outsider_debriefer, supervisor, session):
    complete(session)
    assert client_for(outsider_debriefer).post(url(session), {"dropping": ""}).status_code == 404
    assert client_for(supervisor).post(url(session), {"dropping": ""}).status_code == 403
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.IN_PROGRESS


CHAIN = {
    "sections": [
        {
            "key": "s",
            "label": {"en": "S"},
            "questions": [
                {"key": "a", "type": "yes_no", "label": {"en": "A"}},
                {"key": "b", "type": "text", "label": {"en": "B"}, "relevant": {"key": "a", "value": "yes"}},
                {"key": "c", "type": "text", "label": {"en": "C"}, "relevant": {"key": "b", "value": None}},
                {
                    "key": "r",
                    "type": "repeat",
                    "label": {"en": "R"},
                    "questions": [
                        {"key": "kind", "type": "text", "label": {"en": "Kind"}},
                        {"key": "x", "type": "text", "label": {"en": "X"}, "relevant": {"key": "kind", "value": "x"}},
                    ],
                },
            ],
        }
    ]
}


def test_an_answer_that_applied_only_through_a_dropped_one_goes_too():
    answers = {"s": {"a": "no", "b": "b", "c": "c", "r": [{"kind": "y", "x": "1"}, {"x": "2"}]}}
    kept, dropped = st.without_irrelevant(CHAIN, answers)
    assert kept == {"s": {"a": "no", "r": [{"kind": "y"}]}}
    assert [d.ref for d in dropped] == ["s/b", "s/r/1/x", "s/r/2/x", "s/c"]
    assert [d.label for d in dropped][:2] == ["S: B", "S: R 1: X"]
    assert answers["s"]["b"] == "b"  # the draft's own answers are not changed
    assert st.without_irrelevant(CHAIN, {"s": {"a": "yes", "b": "b", "c": "c"}}) == (
        {"s": {"a": "yes", "b": "b", "c": "c"}},
        [],
    )
