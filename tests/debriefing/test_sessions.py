"""Debrief sessions: consent, autosave (dropped requests, stale tabs), submit, review, addenda, items."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from debriefing import services
from debriefing.models import Addendum, DebriefSession, IntelligenceItem, Review, SectionAnswers
from defectors.models import Consent
from defectors.record import withdraw_consent
from tests.factories import CaseFactory, schedule_debrief

pytestmark = pytest.mark.django_db
SECRET_ANSWER = "Sentinel Battalion 77341"


def autosave(client: Client, session: DebriefSession, section: str, data: dict, *, version: int, token: uuid.UUID):  # type: ignore[no-untyped-def]
    body = {**data, "version": str(version), "save_token": str(token)}
    return client.post(f"/debriefing/{session.pk}/{section}/", body, HTTP_X_AUTOSAVE="1")


def stored(session: DebriefSession, section: str) -> dict:  # type: ignore[type-arg]
    return SectionAnswers.objects.get(session=session, section=section).answers


def test_an_autosave_stores_the_answers_encrypted_and_reports_progress(dbc, session):
    response = autosave(
        dbc, session, "unit", {"unit_name": SECRET_ANSWER, "unit_strength": "400"}, version=0, token=uuid.uuid4()
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1 and response.json()["progress"] > 0
    assert stored(session, "unit") == {"unit_name": SECRET_ANSWER, "unit_strength": 400}
    session.refresh_from_db()
    assert (session.status, session.answered) == (DebriefSession.Status.IN_PROGRESS, 2)


def test_a_retried_save_whose_answer_was_lost_is_applied_once(dbc, session):
    token = uuid.uuid4()
    first = autosave(dbc, session, "unit", {"unit_name": "A"}, version=0, token=token)
    retry = autosave(dbc, session, "unit", {"unit_name": "A"}, version=0, token=token)  # the browser never saw `first`
    assert first.status_code == retry.status_code == 200
    assert retry.json()["version"] == 1
    assert SectionAnswers.objects.get(session=session, section="unit").version == 1


def test_a_retry_carrying_more_than_the_lost_save_is_stored_as_a_new_save(dbc, session):
    """The page never heard that its save arrived and sent the same token again with what it held by then."""
    token = uuid.uuid4()
    first = autosave(dbc, session, "unit", {"unit_name": "Light Infantry"}, version=0, token=token)
    more = {"unit_name": "Light Infantry Battalion 52", "commander": "Col. Sentinel"}
    retry = autosave(dbc, session, "unit", more, version=0, token=token)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["version"] == 2
    assert stored(session, "unit") == {"unit_name": "Light Infantry Battalion 52", "commander": "Col. Sentinel"}
    session.refresh_from_db()
    assert session.answered == 2
    again = autosave(dbc, session, "unit", more, version=0, token=token)  # and that one's answer lost too
    assert again.json()["version"] == 2
    assert SectionAnswers.objects.get(session=session, section="unit").version == 2
    assert AuditEvent.objects.filter(action="debriefing.session.section_saved").count() == 2


def test_the_save_button_after_a_lost_autosave_stores_the_form_as_it_is(dbc, session):
    """No script: the form's Save posts the token of an autosave that arrived unheard, with more text."""
    token = uuid.uuid4()
    autosave(dbc, session, "unit", {"unit_name": "Light"}, version=0, token=token)
    body = {"unit_name": "Light Infantry Battalion 52", "version": "0", "save_token": str(token)}
    response = dbc.post(f"/debriefing/{session.pk}/unit/", body)
    assert response.status_code == 302 and response["Location"] == session.get_absolute_url()
    assert stored(session, "unit") == {"unit_name": "Light Infantry Battalion 52"}
    assert dbc.post(f"/debriefing/{session.pk}/unit/", body).status_code == 302  # a double click
    assert SectionAnswers.objects.get(session=session, section="unit").version == 2


def test_a_lost_saves_token_cannot_overwrite_what_another_window_saved_since(dbc, session):
    token = uuid.uuid4()
    autosave(dbc, session, "unit", {"unit_name": "tab one"}, version=0, token=token)
    autosave(dbc, session, "unit", {"unit_name": "tab two"}, version=1, token=uuid.uuid4())
    late = autosave(dbc, session, "unit", {"unit_name": "tab one, more"}, version=0, token=token)
    assert late.status_code == 409 and late.json()["version"] == 2
    assert stored(session, "unit") == {"unit_name": "tab two"}
    same = autosave(dbc, session, "unit", {"unit_name": "tab one"}, version=0, token=token)
    assert same.status_code == 409  # not "saved": what is stored is another window's
    assert stored(session, "unit") == {"unit_name": "tab two"}


def test_a_stale_tab_does_not_overwrite_newer_answers(dbc, session):
    autosave(dbc, session, "unit", {"unit_name": "from tab one"}, version=0, token=uuid.uuid4())
    autosave(dbc, session, "unit", {"unit_name": "newer, tab one"}, version=1, token=uuid.uuid4())
    stale = autosave(dbc, session, "unit", {"unit_name": "old, tab two"}, version=1, token=uuid.uuid4())
    assert stale.status_code == 409
    assert stale.json()["version"] == 2
    assert stored(session, "unit") == {"unit_name": "newer, tab one"}


def test_repeat_entries_are_saved_and_a_forged_field_is_ignored(dbc, session):
    data = {
        "witnessed": "yes", "incidents__count": "2",
        "incidents__0__incident_date": "2023-04-11", "incidents__0__incident_account": "burned",
        "incidents__0__incident_region": "sagaing",
        "incidents__1__incident_date": "2023-05-02", "incidents__1__incident_account": "shot",
        "not_a_question": "forged",
    }  # fmt: skip
    assert autosave(dbc, session, "violations", data, version=0, token=uuid.uuid4()).status_code == 200
    answers = stored(session, "violations")
    assert set(answers) == {"witnessed", "incidents"}
    assert [entry["incident_account"] for entry in answers["incidents"]] == ["burned", "shot"]


def test_bad_input_is_refused_and_nothing_is_written(dbc, session):
    response = autosave(dbc, session, "background", {"service_years": "900"}, version=0, token=uuid.uuid4())
    assert response.status_code == 400
    assert not SectionAnswers.objects.filter(session=session).exists()
    response = autosave(dbc, session, "background", {"service_years": "3"}, version=0, token="not-a-uuid")  # type: ignore[arg-type]
    assert response.status_code == 400


def test_required_answers_are_enforced_at_submit_not_at_save(dbc, session):
    assert autosave(dbc, session, "background", {"training": "basic"}, version=0, token=uuid.uuid4()).status_code == 200
    dbc.post(f"/debriefing/{session.pk}/submit/")
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.IN_PROGRESS
    with pytest.raises(ValidationError) as missing:
        services.submit_session(session=session, by=session.debriefer)
    assert "Service background: Years of service" in missing.value.messages


def complete(session: DebriefSession) -> None:
    """Answer every required question of the standard template, as the debriefer."""
    answers = {
        "background": {"service_years": 6, "service_branch": "army"},
        "unit": {"unit_name": SECRET_ANSWER},
        "operations": {"took_part": "no"},
        "violations": {
            "witnessed": "yes",
            "incidents": [{"incident_date": "2023-04-11", "incident_account": "burned"}],
        },
        "wellbeing": {"feeling": "tired"},
    }
    for section, given in answers.items():
        services.save_section(
            session=session, by=session.debriefer, section=section, answers=given, base_version=0, token=uuid.uuid4()
        )


def test_a_required_question_inside_a_repeat_entry_is_enforced(session):
    complete(session)
    services.save_section(
        session=session, by=session.debriefer, section="violations", base_version=1, token=uuid.uuid4(),
        answers={"witnessed": "yes", "incidents": [{"incident_date": "2023-04-11"}]},
    )  # fmt: skip
    with pytest.raises(ValidationError) as missing:
        services.submit_session(session=session, by=session.debriefer)
    assert missing.value.messages == ["Human-rights violations witnessed: Incident 1: What happened"]


def test_no_debriefing_consent_means_no_start(dbc, case, debriefer, supervisor):
    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor, consent=False)
    response = autosave(dbc, session, "unit", {"unit_name": "x"}, version=0, token=uuid.uuid4())
    assert response.status_code == 400
    assert not SectionAnswers.objects.filter(session=session).exists()
    assert b"no debriefing consent" in dbc.get(session.get_absolute_url()).content


def test_a_withdrawn_consent_stops_editing_and_is_shown_on_the_session(dbc, session, case, caseworker):
    autosave(dbc, session, "unit", {"unit_name": "before"}, version=0, token=uuid.uuid4())
    withdraw_consent(case=case, by=caseworker, kind=Consent.Kind.DEBRIEFING)
    response = autosave(dbc, session, "unit", {"unit_name": "after"}, version=1, token=uuid.uuid4())
    assert response.status_code == 400
    assert stored(session, "unit") == {"unit_name": "before"}
    assert b"data-editing-stopped" in dbc.get(session.get_absolute_url()).content
    with pytest.raises(ValidationError):
        services.record_item(
            session=session,
            by=session.debriefer,
            fields={"category": "unit", "summary": "x", "reliability": "A", "credibility": "1"},
        )


def test_return_with_comments_then_approve_then_the_answers_never_change(dbc, sup, session, supervisor):
    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    assert sup.post(f"/debriefing/{session.pk}/review/", {"decision": "return", "comment": ""}).status_code == 400
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.SUBMITTED  # a return needs a comment
    sup.post(
        f"/debriefing/{session.pk}/review/",
        {"decision": "return", "comment": "Sentinel comment 5521: ask about the base"},
    )
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.RETURNED
    assert Review.objects.get(session=session).comment == "Sentinel comment 5521: ask about the base"
    assert b"Sentinel comment 5521" in dbc.get(session.get_absolute_url()).content

    services.save_section(
        session=session,
        by=session.debriefer,
        section="bases",
        answers={"base_township": "Kalay"},
        base_version=0,
        token=uuid.uuid4(),
    )
    services.submit_session(session=session, by=session.debriefer)
    sup.post(f"/debriefing/{session.pk}/review/", {"decision": "approve"})
    session.refresh_from_db()
    assert session.status == DebriefSession.Status.APPROVED and session.approved_at
    response = autosave(dbc, session, "unit", {"unit_name": "changed"}, version=1, token=uuid.uuid4())
    assert response.status_code == 400
    assert stored(session, "unit") == {"unit_name": SECRET_ANSWER}


def test_an_addendum_is_shown_beside_the_original_answer(dbc, sup, session):
    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    with pytest.raises(ValidationError):  # not before approval: then the answer itself is changed
        services.add_addendum(session=session, by=session.debriefer, question="unit_name", text="x")
    services.review_session(session=session, by=User.objects.get(username="sam"), decision="approve", comment="")
    dbc.post(f"/debriefing/{session.pk}/addendum/", {"question": "unit_name", "text": "It was the 2nd battalion"})
    page = sup.get(session.get_absolute_url()).content.decode()
    original, addendum = page.index(SECRET_ANSWER), page.index("It was the 2nd battalion")
    assert original < addendum < original + 600
    assert "dara" in page[addendum - 200 : addendum]  # who, beside it
    assert stored(session, "unit") == {"unit_name": SECRET_ANSWER}


def test_no_addendum_after_consent_to_debriefing_is_withdrawn(dbc, sup, session, case, caseworker):
    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    services.review_session(session=session, by=User.objects.get(username="sam"), decision="approve", comment="")
    withdraw_consent(case=case, by=caseworker, kind=Consent.Kind.DEBRIEFING)
    assert DebriefSession.objects.get(pk=session.pk).status == DebriefSession.Status.APPROVED
    response = dbc.post(
        f"/debriefing/{session.pk}/addendum/", {"question": "unit_name", "text": "Sentinel late"}, follow=True
    )
    assert "Consent to debriefing was withdrawn" in response.content.decode()
    assert not Addendum.objects.filter(session=session).exists()


def test_an_urgent_item_notifies_the_supervisors_at_once(dbc, sup, session):
    data = {
        "category": "airstrike",
        "summary": "Strike on the village school at dawn",
        "urgent": "on",
        "reliability": "B",
        "credibility": "2",
    }
    assert dbc.post(f"/debriefing/{session.pk}/items/new/", data).status_code == 302
    home = sup.get("/debriefing/").content.decode()
    assert "Strike on the village school at dawn" in home and "data-urgent-items" in home
    item = IntelligenceItem.objects.get(session=session)
    sup.post(f"/debriefing/items/{item.pk}/seen/")
    assert "Strike on the village school" not in sup.get("/debriefing/").content.decode()
    assert [e.reason for e in AuditEvent.objects.filter(action="debriefing.item.recorded")] == ["urgent"]


def test_the_admiralty_grades_are_shown_with_their_meanings(dbc, session):
    page = dbc.get(f"/debriefing/{session.pk}/items/new/").content.decode()
    assert "B: usually reliable" in page and "6: truth cannot be judged" in page


def test_an_incident_with_bad_dates_is_refused(dbc, session):
    data = {"violation": "torture", "date_from": "2024-03-05", "date_to": "2024-03-01", "region": "sagaing"}
    assert dbc.post(f"/debriefing/{session.pk}/incidents/new/", data).status_code == 400
    assert not session.incidents.exists()


def test_the_debriefer_sees_the_case_code_and_never_the_name(dbc, session, case):
    for url in ["/debriefing/", session.get_absolute_url(), f"/debriefing/{session.pk}/unit/"]:
        page = dbc.get(url).content.decode()
        assert case.code in page
        assert "Ko Secret Name" not in page and "BA-424242" not in page


def test_the_caseworker_sees_that_a_debrief_exists_and_its_status_never_its_content(cw, case, session):
    complete(session)
    page = cw.get(f"/debriefing/cases/{case.code}/").content.decode()
    assert "In progress" in page
    assert SECRET_ANSWER not in page
    assert cw.get(session.get_absolute_url()).status_code == 403


def test_another_debriefer_gets_404(client_for, outsider_debriefer, session):
    client = client_for(outsider_debriefer)
    assert client.get(session.get_absolute_url()).status_code == 404
    response = autosave(client, session, "unit", {"unit_name": "forged"}, version=0, token=uuid.uuid4())
    assert response.status_code == 404
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_scheduling_a_debrief(sup, case, debriefer, caseworker):
    from tests.factories import standard_template

    data = {
        "case_code": case.code,
        "debriefer": debriefer.username,
        "template": standard_template().pk,
        "scheduled_for": "2026-12-01",
    }
    response = sup.post("/debriefing/schedule/", data)
    session = DebriefSession.objects.get(case=case)
    assert response["Location"] == session.get_absolute_url()
    assert sup.post("/debriefing/schedule/", {**data, "debriefer": caseworker.username}).status_code == 200
    assert sup.post("/debriefing/schedule/", {**data, "case_code": "HV-AAAA-AAAA"}).status_code == 200
    assert DebriefSession.objects.count() == 1


@pytest.mark.parametrize("answers", [5, 50])
def test_the_review_page_costs_the_same_queries_whatever_the_number_of_answers(
    sup, session, answers, django_assert_num_queries
):
    # Django session, organisation key, user, MFA check (middleware); the debrief with its case, key,
    # template and debriefer; section rows; addenda; consent; reviews; items; incidents; testimony consent; the
    # header's open Tasks count, unread notifications and open brakes; the exfiltration brake's gate
    # (savepoint, the person's lock, an open brake?, the last day's reads, the upsert, release); no
    # saving of the Django session (renewed less than a minute ago).
    complete(session)
    entries = [{"incident_date": "2023-04-11", "incident_account": f"entry {n}"} for n in range(answers)]
    services.save_section(
        session=session,
        by=session.debriefer,
        section="violations",
        answers={"witnessed": "yes", "incidents": entries},
        base_version=1,
        token=uuid.uuid4(),
    )
    sup.get(session.get_absolute_url())  # warm the session row
    with django_assert_num_queries(QUERIES_FOR_REVIEW):
        assert sup.get(session.get_absolute_url()).status_code == 200


QUERIES_FOR_REVIEW = 21


def test_a_shredded_case_stops_the_debrief_and_its_answers_read_as_gone(dbc, sup, session, case):
    from django.utils import timezone

    from vault.services import shred

    autosave(dbc, session, "unit", {"unit_name": SECRET_ANSWER}, version=0, token=uuid.uuid4())
    shred(owner=case)
    case.shredded_at = timezone.now()
    case.save(update_fields=["shredded_at"])
    response = autosave(dbc, session, "unit", {"unit_name": "after"}, version=1, token=uuid.uuid4())
    assert response.status_code == 400
    page = sup.get(session.get_absolute_url())
    assert page.status_code == 200 and SECRET_ANSWER not in page.content.decode()


def test_an_item_or_incident_form_sent_twice_records_one(dbc, session):
    item = {"category": "unit", "summary": "twice", "reliability": "B", "credibility": "2"}
    incident = {"violation": "killing", "date_from": "2024-03-01", "region": "sagaing"}
    for kind, data in (("items", item), ("incidents", incident)):
        token = str(uuid.uuid4())
        for _ in range(2):
            assert dbc.post(f"/debriefing/{session.pk}/{kind}/new/", {**data, "form_token": token}).status_code == 302
    assert session.items.count() == 1 and session.incidents.count() == 1
    assert AuditEvent.objects.filter(action="debriefing.item.recorded").count() == 1


def test_a_form_token_from_another_session_is_refused(dbc, session, debriefer, supervisor):
    other = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    token = str(uuid.uuid4())
    item = {"category": "unit", "summary": "once", "reliability": "B", "credibility": "2", "form_token": token}
    assert dbc.post(f"/debriefing/{session.pk}/items/new/", item).status_code == 302
    assert dbc.post(f"/debriefing/{other.pk}/items/new/", item).status_code == 400
    assert other.items.count() == 0


@pytest.mark.parametrize(
    "typed",
    ["hv-{a}-{b}", " HV {a} {b} ", "HV{a}{b}", "hv–{a}—{b}", "ＨＶ-{a}-{b}"],
)
def test_a_case_code_is_found_however_it_was_typed(typed, case):
    from debriefing.forms import ScheduleForm

    a, b = case.code[3:7], case.code[8:]
    form = ScheduleForm(data={"case_code": typed.format(a=a.lower() if typed.islower() else a, b=b)})
    form.is_valid()
    assert form.cleaned_data["case_code"] == case.code


def test_myanmar_digits_in_a_case_code_are_read_as_digits():
    from debriefing.forms import ScheduleForm

    form = ScheduleForm(data={"case_code": "HV-၃၄၆၇-၈၉AB"})
    form.is_valid()
    assert form.cleaned_data["case_code"] == "HV-3467-89AB"
    for wrong in ("HV-AAAA-AAA", "XX-AAAA-AAAA", "HV-AAAA-AAAI", "HV-AAAA-AAAA-A", "HV-ကခဂဃ-AAAA"):
        form = ScheduleForm(data={"case_code": wrong})
        form.is_valid()
        assert "case code is HV and two groups" in str(form.errors["case_code"]), wrong


def test_scheduling_without_a_debriefing_consent_says_the_debrief_cannot_start_yet(sup, debriefer, caseworker):
    from tests.factories import standard_template

    case = CaseFactory(created_by=caseworker, consent=False)
    data = {
        "case_code": case.code.lower().replace("-", " "),
        "debriefer": debriefer.username,
        "template": standard_template().pk,
        "scheduled_for": "2026-12-01",
    }
    page = sup.post("/debriefing/schedule/", data, follow=True).content.decode()
    assert DebriefSession.objects.filter(case=case).exists()
    assert "no debriefing consent yet" in page
