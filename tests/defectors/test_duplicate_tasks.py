"""Possible duplicates: a task per match, outcomes recorded with their history, seen on the case."""

from __future__ import annotations

import datetime

import pytest

from audit.models import AuditEvent
from defectors import record, services
from defectors.models import Case, DuplicateAlert, DuplicateOutcome
from tests.factories import CaseFactory


@pytest.fixture
def alert(caseworker, make_user) -> DuplicateAlert:  # type: ignore[no-untyped-def]
    other = CaseFactory(created_by=make_user(username="zed"), service_number="SN-77")
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    return DuplicateAlert.objects.create(
        case=draft, matched_case=other, matched_on="service_number", raised_by=caseworker
    )


def test_every_match_raises_its_own_task(cw, caseworker, make_user):
    zed = make_user(username="zed")
    by_number = [CaseFactory(created_by=zed, service_number="SN-1") for _ in range(2)]
    by_name = CaseFactory(created_by=zed, full_name="Ko Twin", date_of_birth=datetime.date(1990, 1, 1))
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE, full_name="", service_number="")
    cw.post(f"/cases/{draft.code}/intake/identity/", {"full_name": "Ko Twin", "date_of_birth": "1990-01-01"})
    cw.post(f"/cases/{draft.code}/intake/service/", {"service_number": "SN-1"})
    matched = set(DuplicateAlert.objects.filter(case=draft).values_list("matched_case", flat=True))
    assert matched == {by_name.pk, *(case.pk for case in by_number)}


def test_a_supervisor_records_an_outcome_with_a_confirmation(sup, supervisor, alert):
    response = sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "same_person"}, follow=True)
    assert f"Outcome recorded for {alert.case.code}: Same person" in response.content.decode()
    alert.refresh_from_db()
    assert (alert.outcome, alert.resolved_by) == ("same_person", supervisor) and alert.resolved_at
    event = AuditEvent.objects.get(action="defectors.case.duplicate_outcome_recorded")
    assert event.object_ref == alert.case.code


def test_needs_follow_up_keeps_the_task_open_and_the_history(sup, supervisor, alert):
    sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "needs_follow_up"})
    alert.refresh_from_db()
    assert alert.resolved_at is None
    assert "Tasks (1 open)" in sup.get("/cases/").content.decode()
    sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "different_person"})
    assert list(DuplicateOutcome.objects.values_list("outcome", flat=True)) == ["needs_follow_up", "different_person"]
    assert "Tasks (1 open)" not in sup.get("/cases/").content.decode()


def test_a_double_submission_records_one_outcome(sup, alert):
    for _ in range(2):
        sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "different_person"})
    assert DuplicateOutcome.objects.count() == 1
    assert AuditEvent.objects.filter(action="defectors.case.duplicate_outcome_recorded").count() == 1


def test_a_forged_outcome_is_refused(sup, alert):
    response = sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "shred_it"}, follow=True)
    assert "Choose an outcome." in response.content.decode()
    assert not DuplicateOutcome.objects.exists()


def test_only_a_supervisor_records_an_outcome(caseworker, alert):
    with pytest.raises(services.PermissionDenied):
        services.record_duplicate_outcome(alert=alert, by=caseworker, outcome="same_person")


def test_the_caseworker_sees_the_outcome_on_the_case_without_the_other_case(cw, sup, alert):
    page = cw.get(f"/cases/{alert.case.code}/").content.decode()
    assert "a supervisor is checking it" in page
    sup.post(f"/cases/tasks/{alert.pk}/resolve/", {"outcome": "same_person"})
    page = cw.get(f"/cases/{alert.case.code}/").content.decode()
    assert "Same person: the cases are linked" in page and "sam" in page
    assert alert.matched_case.code not in page  # not theirs to see
    assert alert.matched_case.code in sup.get(f"/cases/{alert.case.code}/").content.decode()


def test_the_tasks_link_counts_open_tasks(sup, alert):
    assert "Tasks (1 open)" in sup.get("/cases/").content.decode()


def test_the_tasks_page_and_link_hold_duplicate_checks_and_withdrawals_together(sup, caseworker, alert):
    withdrawn = CaseFactory(created_by=caseworker)
    record.withdraw_consent(case=withdrawn, by=caseworker, kind="data_processing")
    page = sup.get("/cases/tasks/").content.decode()
    assert alert.case.code in page and withdrawn.code in page
    assert "Tasks (2 open)" in page
