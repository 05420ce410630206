"""A supervisor approves or declines assistance above its currency's limit; whoever recorded it is told."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from support import services
from support.models import Assistance, Notification
from tests.factories import CaseFactory

TODAY = datetime.date.today()
SENTINEL = "SENTINEL-DECLINE-REASON"
ALREADY = "This assistance has already been decided: nothing was changed."


def url(case, action: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/support/cases/{case.code}/{action}"


def record(case, by, amount: str = "9000") -> Assistance:  # type: ignore[no-untyped-def]
    """Emergency cash above the THB limit, recorded by ``by`` (a caseworker's waits for a supervisor)."""
    return services.record_assistance(
        case=case, by=by,
        fields={"kind": "cash", "amount": Decimal(amount), "currency": "THB", "given_on": TODAY, "purpose": "Rent"},
    )  # fmt: skip


def decline(client, item: Assistance, reason: str = SENTINEL):  # type: ignore[no-untyped-def]
    return client.post(url(item.case, f"assistance/{item.pk}/decline/"), {"reason": reason})


def approve(client, item: Assistance):  # type: ignore[no-untyped-def]
    return client.post(url(item.case, f"assistance/{item.pk}/approve/"))


def unchanged(item: Assistance) -> None:
    """Still waiting, with nothing written about a decision."""
    item.refresh_from_db()
    assert item.awaiting_approval
    assert (item.approved_by_id, item.declined_by_id, item.decline_reason) == (None, None, "")
    assert not Notification.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["support.assistance.approved", "support.assistance.declined"])


class TestApprove:
    def test_the_supervisor_approves_and_the_caseworker_is_told(self, sup, cw, case, caseworker, supervisor):
        item = record(case, caseworker)
        response = approve(sup, item)
        assert response.status_code == 302 and response["Location"] == url(case) + "#assistance"
        item.refresh_from_db()
        assert (item.approved_by, item.declined_at) == (supervisor, None)
        note = Notification.objects.get()
        assert (note.user, note.kind, note.case, note.object_id) == (
            caseworker, Notification.Kind.ASSISTANCE_APPROVED, case, item.pk
        )  # fmt: skip
        assert 'data-unread="1"' in cw.get("/support/").content.decode()
        page = cw.get("/support/notifications/").content.decode()
        assert f'Assistance approved: <a href="/support/cases/{case.code}/#assistance">' in page
        assert f"decided on {TODAY.isoformat()}" in page
        assert f"Approved by {supervisor.username} on {TODAY.isoformat()}" in cw.get(url(case)).content.decode()

    def test_a_supervisors_own_entry_is_approved_and_tells_no_one(self, case, supervisor):
        item = record(case, supervisor)
        assert not item.awaiting_approval and item.approved_by == supervisor
        assert not Notification.objects.exists()

    def test_approving_twice_says_already_decided_and_tells_once(self, sup, case, caseworker):
        item = record(case, caseworker)
        first = sup.post(url(case, f"assistance/{item.pk}/approve/"), follow=True)
        assert "Assistance approved." in first.content.decode()
        approved_at = Assistance.objects.get().approved_at
        page = sup.post(url(case, f"assistance/{item.pk}/approve/"), follow=True).content.decode()
        assert ALREADY in page and "Assistance approved." not in page
        assert Assistance.objects.get().approved_at == approved_at
        assert Notification.objects.count() == 1
        assert AuditEvent.objects.filter(action="support.assistance.approved").count() == 1


class TestDecline:
    def test_the_supervisor_sees_approve_and_decline_the_caseworker_neither(self, sup, cw, case, caseworker):
        item = record(case, caseworker)
        decline_url = url(case, f"assistance/{item.pk}/decline/")
        assert decline_url in sup.get(url(case)).content.decode()
        page = cw.get(url(case)).content.decode()
        assert decline_url not in page and "/approve/" not in page and "Awaiting a supervisor" in page

    def test_the_decline_page_asks_for_the_reason_and_opens_nothing_sealed(self, sup, case, caseworker):
        item = record(case, caseworker)
        response = sup.get(url(case, f"assistance/{item.pk}/decline/"))
        page = response.content.decode()
        assert response.status_code == 200
        assert "9000.00 THB" in page and 'name="reason"' in page
        assert "Rent" not in page  # the purpose is sealed: this page has no need of it

    def test_the_supervisor_declines_with_a_reason_and_the_caseworker_is_told(
        self, sup, cw, case, caseworker, supervisor
    ):
        item = record(case, caseworker)
        response = decline(sup, item, f"  {SENTINEL}: no funds this month  ")
        assert response.status_code == 302 and response["Location"] == url(case) + "#assistance"
        item.refresh_from_db()
        assert (item.declined_by, item.approved_at, item.awaiting_approval) == (supervisor, None, False)
        assert item.decline_reason == f"{SENTINEL}: no funds this month"
        raw = Assistance.objects.filter(pk=item.pk).values_list("decline_reason", flat=True).get()
        assert SENTINEL.encode() not in bytes(raw)  # sealed with the case's key
        note = Notification.objects.get()
        assert (note.user, note.kind, note.case, note.object_id) == (
            caseworker, Notification.Kind.ASSISTANCE_DECLINED, case, item.pk
        )  # fmt: skip
        assert 'data-unread="1"' in cw.get("/support/").content.decode()
        assert f'Assistance declined: <a href="/support/cases/{case.code}/#assistance">' in (
            cw.get("/support/notifications/").content.decode()
        )
        page = cw.get(url(case)).content.decode()
        assert f"Declined by {supervisor.username} on {TODAY.isoformat()}: {SENTINEL}: no funds this month" in page

    def test_the_reason_is_in_no_plain_column_of_the_audit(self, sup, case, caseworker):
        item = record(case, caseworker)
        decline(sup, item)
        event = AuditEvent.objects.get(action="support.assistance.declined")
        assert event.object_ref == case.code
        plain = AuditEvent.objects.values_list("action", "object_ref", "actor_username", "request_id", "sealed_reason")
        assert not [row for row in plain if any(SENTINEL in str(value) for value in row)]
        # Nor sealed with the organisation's key: it is about the person and must go with a shred.
        assert SENTINEL not in (event.reason or "")

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_decline_without_a_reason_is_refused_and_writes_nothing(self, sup, case, caseworker, reason):
        item = record(case, caseworker)
        response = decline(sup, item, reason)
        assert response.status_code == 400
        assert "Give the reason." in response.content.decode()
        unchanged(item)

    def test_an_oversized_reason_is_refused_and_writes_nothing(self, sup, case, caseworker):
        item = record(case, caseworker)
        assert decline(sup, item, "x" * 1_001).status_code == 400
        unchanged(item)

    def test_declining_twice_says_already_decided_and_keeps_the_first(self, sup, case, caseworker):
        item = record(case, caseworker)
        decline(sup, item, "first")
        page = sup.post(url(case, f"assistance/{item.pk}/decline/"), {"reason": "second"}, follow=True)
        assert ALREADY in page.content.decode()
        assert Assistance.objects.get().decline_reason == "first"
        assert Notification.objects.count() == 1
        assert AuditEvent.objects.filter(action="support.assistance.declined").count() == 1

    def test_approving_after_a_decline_says_already_decided(self, sup, case, caseworker):
        item = record(case, caseworker)
        decline(sup, item)
        page = sup.post(url(case, f"assistance/{item.pk}/approve/"), follow=True).content.decode()
        assert ALREADY in page
        item.refresh_from_db()
        assert item.approved_at is None and item.declined_at is not None
        assert list(Notification.objects.values_list("kind", flat=True)) == [Notification.Kind.ASSISTANCE_DECLINED]

    def test_declining_after_an_approval_says_already_decided(self, sup, case, caseworker):
        item = record(case, caseworker)
        approve(sup, item)
        assert ALREADY in sup.get(url(case, f"assistance/{item.pk}/decline/"), follow=True).content.decode()
        page = sup.post(url(case, f"assistance/{item.pk}/decline/"), {"reason": "late"}, follow=True)
        assert ALREADY in page.content.decode()
        item.refresh_from_db()
        assert item.declined_at is None and item.decline_reason == ""
        assert list(Notification.objects.values_list("kind", flat=True)) == [Notification.Kind.ASSISTANCE_APPROVED]

    def test_the_service_rechecks_under_its_lock(self, case, caseworker, supervisor):
        """A page shown before another supervisor decided still holds the old row: the service reads it again."""
        item = record(case, caseworker)
        stale = Assistance.objects.get(pk=item.pk)
        services.approve_assistance(assistance=item, by=supervisor)
        with pytest.raises(services.AlreadyDecided):
            services.decline_assistance(assistance=stale, by=supervisor, reason="late")
        assert Assistance.objects.get(pk=item.pk).declined_at is None

    def test_the_service_refuses_a_caseworker_and_a_blank_reason(self, case, caseworker, supervisor):
        item = record(case, caseworker)
        with pytest.raises(PermissionDenied):
            services.decline_assistance(assistance=item, by=caseworker, reason="mine")
        with pytest.raises(ValidationError):
            services.decline_assistance(assistance=item, by=supervisor, reason=" ")
        unchanged(item)


class TestOtherRoles:
    @pytest.mark.parametrize("persona", ["caseworker", "outsider", "debriefer", "donor", "auditor", "admin"])
    def test_no_one_else_may_approve_or_decline(self, request, client_for, case, caseworker, persona):
        item = record(case, caseworker)
        client = client_for(request.getfixturevalue(persona))
        assert client.get(url(case, f"assistance/{item.pk}/decline/")).status_code == 403
        assert decline(client, item).status_code == 403
        assert approve(client, item).status_code == 403
        unchanged(item)

    def test_another_cases_entry_is_not_found_under_this_case(self, sup, case, caseworker):
        other = CaseFactory(created_by=caseworker)
        item = record(other, caseworker)
        assert sup.post(url(case, f"assistance/{item.pk}/decline/"), {"reason": "x"}).status_code == 404
        assert sup.post(url(case, f"assistance/{item.pk}/approve/")).status_code == 404
        unchanged(item)


def test_a_shredded_case_s_assistance_is_neither_approved_nor_declined(case, caseworker, supervisor, admin):
    from defectors import services as case_services

    item = record(case, caseworker)
    request = case_services.request_shred(case=case, by=supervisor, reason="Raid")
    case_services.decide_shred(shred_request=request, by=admin, approve=True)
    for decide in (
        lambda: services.approve_assistance(assistance=item, by=supervisor),
        lambda: services.decline_assistance(assistance=item, by=supervisor, reason="no funds"),
    ):
        with pytest.raises(ValidationError):
            decide()
    item.refresh_from_db()
    assert item.approved_at is None and item.declined_at is None
    assert not Notification.objects.filter(kind__startswith="assistance").exists()
