"""The case after intake: section edits, family, needs, notes, follow-ups, consents over time, the summary."""

from __future__ import annotations

import datetime
import logging
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from defectors import record
from defectors.models import Case, CaseNote, Consent, FamilyMember, Need, RiskAssessment, ShredRequest, WithdrawalTask
from tests.conftest import login_with_mfa
from tests.factories import CaseFactory, UserFactory
from tests.vault.test_leaks import pg_dump, redis_contents

TODAY = datetime.date.today


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def last_event(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=f"defectors.case.{action}").latest("seq")


def sent(data: dict) -> dict:
    """``data`` with a fresh one-time token, as the page that adds a row carries (defectors.once)."""
    return {**data, "token": str(uuid.uuid4())}


def codes_in(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r"HV-[A-Z0-9]{4}-[A-Z0-9]{4}", response.content.decode()))


class TestSections:
    def test_opening_a_section_is_audited_and_a_change_records_field_names_and_the_reason(self, cw, case):
        url = f"/cases/{case.code}/edit/contact/"
        assert cw.get(url).status_code == 200
        assert last_event("identity_revealed").reason == "opened for editing: contact"
        response = cw.post(
            url, {"contact_channel": "", "current_location": "Secret Hideout 9", "change-reason": "moved"}, follow=True
        )
        assert "Saved." in response.content.decode()
        assert Case.objects.get(pk=case.pk).current_location == "Secret Hideout 9"
        event = last_event("section_edited")
        assert event.reason == "contact: current_location (moved)"
        assert "Hideout" not in event.reason

    def test_an_identifying_section_needs_a_reason_and_nothing_is_half_written(self, cw, case):
        response = cw.post(f"/cases/{case.code}/edit/contact/", {"current_location": "Somewhere"})
        assert response.status_code == 400
        assert Case.objects.get(pk=case.pk).current_location == ""
        assert "defectors.case.section_edited" not in actions()

    def test_over_long_text_is_refused_with_nothing_saved(self, cw, case):
        data = {"current_location": "x" * 201, "change-reason": "moved"}
        response = cw.post(f"/cases/{case.code}/edit/contact/", data)
        assert response.status_code == 400
        assert "at most 200 characters" in response.content.decode()
        assert Case.objects.get(pk=case.pk).current_location == ""

    def test_a_defection_date_in_the_future_is_refused(self, cw, case):
        future = (TODAY() + datetime.timedelta(days=3)).isoformat()
        response = cw.post(f"/cases/{case.code}/edit/defection/", {"defection_date": future, "change-reason": "fix"})
        assert response.status_code == 400
        assert Case.objects.get(pk=case.pk).defection_date is None

    def test_an_unknown_section_another_caseworkers_case_and_a_draft(self, cw, client_for, outsider, case):
        assert cw.get(f"/cases/{case.code}/edit/identity-card/").status_code == 404
        assert client_for(outsider).get(f"/cases/{case.code}/edit/service/").status_code == 404
        draft = CaseFactory(created_by=case.assigned_to, status=Case.Status.INTAKE)
        response = cw.get(f"/cases/{draft.code}/edit/service/")
        assert response["Location"] == f"/cases/{draft.code}/intake/identity/"

    def test_a_shredded_case_cannot_be_edited(self, cw, case):
        Case.objects.filter(pk=case.pk).update(shredded_at=timezone.now())
        response = cw.post(f"/cases/{case.code}/edit/risk/", {"threat_to_defector": "low"})
        assert response.status_code == 302
        assert Case.objects.get(pk=case.pk).threat_to_defector == ""

    def test_reassessing_risk_keeps_the_history_and_a_critical_level_marks_the_case_urgent(self, cw, case, caseworker):
        url = f"/cases/{case.code}/edit/risk/"
        cw.post(url, {"threat_to_defector": "medium", "threat_to_family": "low"})
        cw.post(url, {"threat_to_defector": "critical", "threat_to_family": "low"})
        case.refresh_from_db()
        assert case.urgency == Case.Urgency.URGENT
        history = list(RiskAssessment.objects.filter(case=case).values_list("threat_to_defector", flat=True))
        assert history == ["critical", "medium"]  # newest first, the earlier one kept
        cw.post(url, {"threat_to_defector": "critical", "threat_to_family": "low", "safety_plan": "plan"})
        assert RiskAssessment.objects.filter(case=case).count() == 2  # same levels: no new assessment
        page = cw.get(f"/cases/{case.code}/").content.decode()
        assert "person Critical" in page and "person Medium" in page

    def test_a_wrong_role_cannot_use_the_service(self, case, donor):
        with pytest.raises(PermissionDenied):
            record.edit_section(case=case, by=donor, section="risk", fields={"threat_to_defector": "low"})


def test_opening_the_case_records_the_first_risk_assessment(caseworker):
    from defectors import services

    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE, threat_to_defector="high")
    services.submit_intake(case=draft, by=caseworker)
    first = RiskAssessment.objects.get(case=draft)
    assert (first.threat_to_defector, first.threat_to_family, first.assessed_by) == ("high", "", caseworker)


class TestFamily:
    def test_adding_changing_and_removing_a_member_is_audited_without_values(self, cw, case):
        base = f"/cases/{case.code}/family"
        cw.post(f"{base}/add/", sent({"relationship": "Brother", "name": "Secret Brother", "change-reason": "met him"}))
        member = FamilyMember.objects.get(case=case)
        assert member.name == "Secret Brother"
        changed = {"relationship": "Brother", "name": "Secret Brother", "location": "Mandalay"}
        cw.post(f"{base}/{member.pk}/", {**changed, "change-reason": "moved"})
        assert FamilyMember.objects.get(pk=member.pk).location == "Mandalay"
        assert last_event("family_member_changed").reason == "family: location (moved)"
        cw.post(f"{base}/{member.pk}/", {"remove": "1", "change-reason": "mistake"})
        assert not FamilyMember.objects.filter(case=case).exists()
        reasons = " ".join(event.reason for event in AuditEvent.objects.all())
        assert "Secret Brother" not in reasons and "Mandalay" not in reasons
        assert {"defectors.case.family_member_added", "defectors.case.family_member_removed"} <= set(actions())

    def test_a_member_of_another_case_is_not_found(self, cw, case, caseworker):
        other = CaseFactory(created_by=caseworker)
        theirs = record.add_family_member(case=other, by=caseworker, fields={"relationship": "Aunt"}, reason="x y")
        response = cw.post(f"/cases/{case.code}/family/{theirs.pk}/", {"remove": "1", "change-reason": "forged"})
        assert response.status_code == 404
        assert FamilyMember.objects.filter(pk=theirs.pk).exists()

    def test_no_reason_no_change(self, cw, case):
        response = cw.post(f"/cases/{case.code}/family/add/", sent({"relationship": "Brother"}))
        assert response.status_code == 400
        assert not FamilyMember.objects.filter(case=case).exists()

    def test_the_family_page_is_audited_when_opened(self, cw, case):
        cw.get(f"/cases/{case.code}/family/")
        assert last_event("identity_revealed").reason == "opened for editing: family"


class TestNeeds:
    def test_a_need_is_added_its_urgency_changed_and_marked_met(self, cw, case):
        cw.post(f"/cases/{case.code}/needs/add/", sent({"kind": "shelter", "urgency": "high", "note": "tonight"}))
        need = Need.objects.get(case=case)
        cw.post(f"/cases/{case.code}/needs/{need.pk}/", {"urgency": "low", "note": "tonight", "met": "on"})
        need = Need.objects.get(pk=need.pk)
        assert (need.urgency, need.met_on) == ("low", timezone.localdate())
        assert last_event("need_changed").reason == "shelter: urgency, met_on"

    def test_the_same_need_twice_is_refused_with_a_message(self, cw, case):
        cw.post(f"/cases/{case.code}/needs/add/", sent({"kind": "food", "urgency": "high"}))
        response = cw.post(f"/cases/{case.code}/needs/add/", sent({"kind": "food", "urgency": "low"}))
        assert response.status_code == 400
        assert "already recorded" in response.content.decode()
        assert Need.objects.get(case=case).urgency == "high"

    def test_forged_and_over_long_input(self, cw, case, caseworker):
        other = CaseFactory(created_by=caseworker)
        theirs = Need(case=other, kind="food", urgency="low")
        theirs.save()
        assert cw.post(f"/cases/{case.code}/needs/{theirs.pk}/", {"urgency": "critical"}).status_code == 404
        assert (
            cw.post(f"/cases/{case.code}/needs/add/", sent({"kind": "spaceship", "urgency": "low"})).status_code == 400
        )
        long_note = {"kind": "food", "urgency": "low", "note": "x" * 2001}
        assert cw.post(f"/cases/{case.code}/needs/add/", sent(long_note)).status_code == 400
        assert not Need.objects.filter(case=case).exists()


class TestNotes:
    def test_notes_are_listed_newest_first_with_author_and_encrypted_at_rest(self, cw, case):
        cw.post(
            f"/cases/{case.code}/notes/add/", sent({"kind": "call", "happened_on": "2025-01-02", "text": "First call"})
        )
        cw.post(
            f"/cases/{case.code}/notes/add/", sent({"kind": "visit", "happened_on": "2025-03-04", "text": "Home visit"})
        )
        page = cw.get(f"/cases/{case.code}/?texts=show").content.decode()  # texts on request (the brake counts it)
        assert page.index("Home visit") < page.index("First call")
        assert "cora" in page
        assert actions().count("defectors.case.note_added") == 2

    @pytest.mark.parametrize(
        ("data", "problem"),
        [
            ({"kind": "call", "happened_on": "2999-01-01", "text": "x"}, "in the future"),
            ({"kind": "call", "happened_on": "2025-01-01", "text": "x" * 10_001}, "at most 10000 characters"),
            ({"kind": "call", "happened_on": "2025-01-01", "text": ""}, "required"),
            ({"kind": "gossip", "happened_on": "2025-01-01", "text": "x"}, "valid choice"),
        ],
    )
    def test_bad_notes_are_refused_with_the_reason(self, cw, case, data, problem):
        response = cw.post(f"/cases/{case.code}/notes/add/", sent(data))
        assert response.status_code == 400
        assert problem in response.content.decode()
        assert not CaseNote.objects.filter(case=case).exists()

    def test_the_author_may_change_a_note_for_a_short_while_then_it_is_append_only(self, cw, sup, case, caseworker):
        note = record.add_note(case=case, by=caseworker, kind="call", happened_on=TODAY(), text="Called")
        url = f"/cases/{case.code}/notes/{note.pk}/"
        cw.post(url, {"kind": "call", "happened_on": TODAY().isoformat(), "text": "Called twice"})
        assert CaseNote.objects.get(pk=note.pk).text == "Called twice"
        sup.post(url, {"kind": "call", "happened_on": TODAY().isoformat(), "text": "Supervisor rewrote it"})
        assert CaseNote.objects.get(pk=note.pk).text == "Called twice"
        CaseNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - CaseNote.EDIT_WINDOW * 2)
        response = cw.post(url, {"kind": "call", "happened_on": TODAY().isoformat(), "text": "Too late"}, follow=True)
        assert "add a new one" in response.content.decode()
        assert CaseNote.objects.get(pk=note.pk).text == "Called twice"
        assert actions().count("defectors.case.note_edited") == 1

    def test_a_note_sent_twice_is_written_once(self, cw, case):
        form = cw.get(f"/cases/{case.code}/notes/add/").content.decode()
        token = re.search(r'name="token" value="([0-9a-f-]{36})"', form).group(1)
        data = {"kind": "call", "happened_on": "2025-01-02", "text": "Called", "token": token}
        cw.post(f"/cases/{case.code}/notes/add/", data)
        cw.post(f"/cases/{case.code}/notes/add/", data)  # a double tap
        assert CaseNote.objects.filter(case=case).count() == 1
        assert actions().count("defectors.case.note_added") == 1

    def test_a_note_token_read_from_the_database_reaches_no_one_elses_note(self, sup, case, caseworker):
        """A form token is no credential (issue 17): another person sending it gets nothing back."""
        token = uuid.uuid4()
        record.add_note(case=case, by=caseworker, kind="call", happened_on=TODAY(), text="Called", token=token)
        data = {"kind": "call", "happened_on": "2025-01-02", "text": "Mine", "token": str(token)}
        response = sup.post(f"/cases/{case.code}/notes/add/", data)
        assert response.status_code == 403 and "Called" not in response.content.decode()
        assert CaseNote.objects.filter(case=case).count() == 1

    def test_a_note_of_another_case_is_not_found(self, cw, case, caseworker):
        other = CaseFactory(created_by=caseworker)
        theirs = record.add_note(case=other, by=caseworker, kind="call", happened_on=TODAY(), text="Theirs")
        response = cw.post(f"/cases/{case.code}/notes/{theirs.pk}/", {"kind": "call", "text": "forged"})
        assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_note_and_follow_up_texts_never_appear_in_the_clear(caplog):
    caplog.set_level(logging.DEBUG)
    caseworker = UserFactory(role=User.Role.CASEWORKER)
    case = CaseFactory(created_by=caseworker)
    client = login_with_mfa(Client(), caseworker)
    note, purpose = "Sentinel Note Text 83", "Sentinel Follow-up 83"
    client.post(f"/cases/{case.code}/notes/add/", sent({"kind": "visit", "happened_on": "2025-01-02", "text": note}))
    client.post(f"/cases/{case.code}/follow-up/", {"on": "2999-01-01", "purpose": purpose})
    page = client.get(f"/cases/{case.code}/?texts=show").content.decode()
    assert note in page and purpose in page  # really there to be found
    dump, cache = pg_dump(), redis_contents()
    assert case.code in dump
    for value in (note, purpose):
        assert value not in dump, f"{value!r} is in the database dump"
        assert value not in caplog.text, f"{value!r} is in the logs"
        assert value.encode() not in cache, f"{value!r} is in Redis"


class TestFollowUps:
    def test_a_follow_up_is_set_with_its_purpose_and_audited_without_it(self, cw, case):
        day = TODAY() + datetime.timedelta(days=3)
        response = cw.post(f"/cases/{case.code}/follow-up/", {"on": day.isoformat(), "purpose": "Check shelter"})
        assert response.status_code == 302
        case = Case.objects.get(pk=case.pk)
        assert (case.next_follow_up, case.follow_up_purpose) == (day, "Check shelter")
        assert last_event("follow_up_set").reason == day.isoformat()

    def test_a_past_date_or_no_purpose_is_refused(self, cw, case):
        yesterday = (TODAY() - datetime.timedelta(days=1)).isoformat()
        assert cw.post(f"/cases/{case.code}/follow-up/", {"on": yesterday, "purpose": "x"}).status_code == 400
        assert cw.post(f"/cases/{case.code}/follow-up/", {"on": "2999-01-01"}).status_code == 400
        assert Case.objects.get(pk=case.pk).next_follow_up is None

    def test_overdue_follow_ups_are_marked_filtered_and_sorted(self, sup, caseworker):
        today = TODAY()
        late = CaseFactory(created_by=caseworker, next_follow_up=today - datetime.timedelta(days=2))
        soon = CaseFactory(created_by=caseworker, next_follow_up=today + datetime.timedelta(days=3))
        later = CaseFactory(created_by=caseworker, next_follow_up=today + datetime.timedelta(days=30))
        closed = CaseFactory(created_by=caseworker, status="closed", next_follow_up=today - datetime.timedelta(days=9))
        assert codes_in(sup.get("/cases/", {"follow_up": "overdue"})) == {late.code}
        assert codes_in(sup.get("/cases/", {"follow_up": "this_week"})) == {soon.code}
        page = sup.get("/cases/").content.decode()
        assert page.count("data-overdue") == 1
        ordered = re.findall(r"HV-[A-Z0-9]{4}-[A-Z0-9]{4}", sup.get("/cases/", {"sort": "follow_up"}).content.decode())
        assert (
            ordered.index(closed.code) < ordered.index(late.code) < ordered.index(soon.code) < ordered.index(later.code)
        )
        assert set(Case.objects.follow_up_overdue(today=today)) == {late}
        assert set(Case.objects.follow_up_due_within(start=today, end=today + datetime.timedelta(days=6))) == {soon}


class TestConsentsOverTime:
    def test_a_consent_is_given_later_withdrawn_on_its_real_date_and_given_again(self, cw, case):
        base = f"/cases/{case.code}/consents/testimony"
        cw.post(f"{base}/give/", sent({"given_on": "2025-01-10", "method": "written"}))
        cw.post(f"{base}/withdraw/", {"testimony-withdrawn_on": "2025-02-01"})
        cw.post(f"{base}/give/", sent({"given_on": "2025-03-01", "method": "verbal"}))
        rows = list(Consent.objects.filter(case=case, kind="testimony").values_list("given_on", "withdrawn_on"))
        assert rows == [
            (datetime.date(2025, 3, 1), None),
            (datetime.date(2025, 1, 10), datetime.date(2025, 2, 1)),
        ]
        assert actions().count("defectors.case.consent_given") == 2
        assert "withdrawn on 2025-02-01" in cw.get(f"/cases/{case.code}/").content.decode()

    def test_impossible_dates_are_refused(self, cw, case):
        base = f"/cases/{case.code}/consents/testimony"
        future = (TODAY() + datetime.timedelta(days=1)).isoformat()
        assert cw.post(f"{base}/give/", sent({"given_on": future, "method": "written"})).status_code == 400
        cw.post(f"{base}/give/", sent({"given_on": "2025-01-10", "method": "written"}))
        cw.post(f"{base}/withdraw/", {"testimony-withdrawn_on": future})
        cw.post(f"{base}/withdraw/", {"testimony-withdrawn_on": "2025-01-01"})  # before it was given
        assert Consent.objects.get(case=case, kind="testimony").withdrawn_on is None
        cw.post(f"{base}/withdraw/", {"testimony-withdrawn_on": "2025-02-01"})
        response = cw.post(
            f"{base}/give/", sent({"given_on": "2025-01-20", "method": "written"})
        )  # before the withdrawal
        assert response.status_code == 400
        assert cw.post(f"/cases/{case.code}/consents/anything/give/", sent({})).status_code == 404

    def test_withdrawing_data_processing_marks_the_case_and_gives_a_supervisor_a_task(self, cw, sup, case):
        today = TODAY()  # the factory's consent was given today
        cw.post(f"/cases/{case.code}/consents/data_processing/withdraw/", {"data_processing-withdrawn_on": today})
        case = Case.objects.get(pk=case.pk)
        assert case.processing_withdrawn_on == today
        assert "Close the case" in cw.get(f"/cases/{case.code}/").content.decode()
        task = WithdrawalTask.objects.get(case=case)
        assert case.code in sup.get("/cases/tasks/").content.decode()
        cw.post(f"/cases/tasks/withdrawals/{task.pk}/decide/", {"decision": "shred", "reason": "asked"})
        assert not ShredRequest.objects.filter(case=case).exists()  # a caseworker may not decide (403)
        sup.post(f"/cases/tasks/withdrawals/{task.pk}/decide/", {"decision": "shred", "reason": "person asked"})
        assert ShredRequest.objects.filter(case=case, decided_at__isnull=True).exists()
        task.refresh_from_db()
        assert task.outcome == WithdrawalTask.Outcome.SHRED_REQUESTED
        assert case.code not in sup.get("/cases/tasks/").content.decode()

    def test_a_supervisor_may_keep_the_closed_record_with_a_reason(self, sup, case, caseworker):
        record.withdraw_consent(case=case, by=caseworker, kind="data_processing")
        task = WithdrawalTask.objects.get(case=case)
        sup.post(f"/cases/tasks/withdrawals/{task.pk}/decide/", {"decision": "keep", "reason": ""})
        assert WithdrawalTask.objects.get(pk=task.pk).decided_at is None  # no reason, no decision
        sup.post(f"/cases/tasks/withdrawals/{task.pk}/decide/", {"decision": "keep", "reason": "legal hold"})
        assert WithdrawalTask.objects.get(pk=task.pk).outcome == WithdrawalTask.Outcome.KEPT
        assert not ShredRequest.objects.filter(case=case).exists()
        assert last_event("withdrawal_decided").reason == "kept: legal hold"


class TestSupervisorsList:
    def test_filter_by_caseworker_and_unassigned(self, sup, case, outsider, supervisor):
        theirs = CaseFactory(created_by=outsider)
        nobodys = CaseFactory(created_by=supervisor, assigned_to=None)
        assert codes_in(sup.get("/cases/", {"caseworker": outsider.username})) == {theirs.code}
        assert codes_in(sup.get("/cases/", {"caseworker": "-"})) == {nobodys.code}
        assert codes_in(sup.get("/cases/", {"caseworker": "nobody-by-that-name"})) == set()

    def test_a_caseworker_has_no_caseworker_filter(self, cw, case):
        assert 'name="caseworker"' not in cw.get("/cases/").content.decode()

    def test_a_discarded_draft_is_shown_as_discarded_not_closed(self, sup, caseworker):
        from defectors import services

        draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
        services.discard_intake(case=draft, by=caseworker)
        row = re.search(rf"{draft.code}.*?</tr>", sup.get("/cases/").content.decode(), re.S)
        assert row and "Discarded draft" in row.group(0) and "Closed" not in row.group(0)


class TestSummary:
    def test_the_summary_has_no_identity_until_revealed_with_a_reason(self, cw, case):
        page = cw.get(f"/cases/{case.code}/summary/").content.decode()
        assert "Secret" not in page and "BA-424242" not in page
        assert "css/print.css" in page
        assert "defectors.case.identity_revealed" not in actions()
        assert cw.post(f"/cases/{case.code}/summary/", {"reason": ""}).content.decode().count("Ko Secret Name") == 0
        response = cw.post(f"/cases/{case.code}/summary/", {"reason": "printing for the shelter"})
        assert "Ko Secret Name" in response.content.decode()
        assert "no-store" in response["Cache-Control"]
        assert last_event("identity_revealed").reason == "printing for the shelter"

    def test_another_caseworkers_case_has_no_summary(self, client_for, outsider, case):
        assert client_for(outsider).get(f"/cases/{case.code}/summary/").status_code == 404
