"""The case list and case page: need-to-know, audited reveal, assignment, status, consents, shredding."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from defectors import services
from defectors.models import Case, Consent, ShredRequest
from defectors.services import has_consent
from tests.factories import CaseFactory
from vault.fields import SHREDDED


def codes_in(response) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(r"HV-[A-Z0-9]{4}-[A-Z0-9]{4}", response.content.decode()))


class TestList:
    def test_a_caseworker_sees_only_assigned_cases_and_no_names(self, cw, case, outsider):
        other = CaseFactory(created_by=outsider)
        response = cw.get("/cases/")
        assert codes_in(response) == {case.code}
        assert other.code not in response.content.decode()
        assert "Secret" not in response.content.decode()

    def test_a_supervisor_sees_every_case(self, sup, case, outsider):
        other = CaseFactory(created_by=outsider)
        assert codes_in(sup.get("/cases/")) == {case.code, other.code}

    def test_filters_narrow_the_list(self, sup, caseworker):
        police = CaseFactory(created_by=caseworker, branch=Case.Branch.POLICE)
        closed = CaseFactory(created_by=caseworker, status=Case.Status.CLOSED)
        old = CaseFactory(created_by=caseworker, intake_month=datetime.date(2021, 3, 1))
        assert codes_in(sup.get("/cases/", {"branch": "police"})) == {police.code}
        assert codes_in(sup.get("/cases/", {"status": "closed"})) == {closed.code}
        assert codes_in(sup.get("/cases/", {"intake_month": "2021-03"})) == {old.code}
        assert codes_in(sup.get("/cases/", {"urgency": "urgent"})) == set()

    def test_search_by_service_number_is_exact_after_normalisation(self, sup, case):
        CaseFactory(service_number="BA-424243")
        assert codes_in(sup.post("/cases/", {"service_number": " ba-424242 "})) == {case.code}
        assert codes_in(sup.post("/cases/", {"service_number": "BA-4242"})) == set()

    def test_search_by_name_needs_the_date_of_birth(self, sup, case):
        found = sup.post("/cases/", {"full_name": "ko secret name", "date_of_birth": "1995-05-17"})
        assert codes_in(found) == {case.code}
        response = sup.post("/cases/", {"full_name": "Ko Secret Name"})
        assert "needs the date of birth" in response.content.decode()
        assert codes_in(response) == set()

    def test_a_caseworker_cannot_find_another_caseworkers_case_by_search(self, cw, outsider):
        theirs = CaseFactory(created_by=outsider, service_number="BA-999999")
        assert theirs.code not in cw.post("/cases/", {"service_number": "BA-999999"}).content.decode()

    def test_each_search_is_audited_with_the_fields_searched_never_their_values(self, sup, case):
        sup.post("/cases/", {"service_number": "BA-424242"})
        event = AuditEvent.objects.get(action="defectors.case.searched")
        assert event.actor_username == "sam" and event.reason == "service_number: 1 found"
        assert "424242" not in event.reason

    def test_search_terms_travel_only_in_the_request_body(self, sup, case):
        page = sup.get("/cases/").content.decode()
        form = page[page.index("Find a person") :]
        assert '<form method="post"' in form[: form.index("</form>")]
        assert "service_number" not in page[: page.index("Find a person")]  # not in the GET filter form

    def test_the_list_is_paginated(self, sup, caseworker):
        CaseFactory.create_batch(30, created_by=caseworker)
        assert len(codes_in(sup.get("/cases/"))) == 25
        assert len(codes_in(sup.get("/cases/", {"page": 2}))) == 5

    def test_the_list_runs_the_same_queries_for_10_and_200_cases(self, sup, caseworker, django_assert_num_queries):
        CaseFactory.create_batch(10, created_by=caseworker, consent=False)
        # session, the organisation key (sessions are sealed), user, MFA check, the caseworkers
        # (filter), count, open duplicate alerts, open tasks (the Tasks link: duplicate checks and
        # withdrawals, one query), unread notifications (the header), open brakes (the banner), page of
        # cases with caseworkers (no session save: renewed less than a minute ago)
        with django_assert_num_queries(11) as ten:
            sup.get("/cases/")
        CaseFactory.create_batch(190, created_by=caseworker, consent=False)
        with django_assert_num_queries(len(ten.captured_queries)):
            sup.get("/cases/")


class TestCasePage:
    def test_the_page_shows_the_summary_not_the_identity(self, cw, case):
        page = cw.get(f"/cases/{case.code}/").content.decode()
        assert case.code in page and "Army" in page
        assert "Secret" not in page and "424242" not in page

    def test_reveal_writes_the_audit_event_then_shows_the_identity(self, cw, case):
        response = cw.post(f"/cases/{case.code}/reveal/", {"reason": "follow-up call"})
        assert response.status_code == 200
        assert "Ko Secret Name" in response.content.decode() and "BA-424242" in response.content.decode()
        event = AuditEvent.objects.get(action="defectors.case.identity_revealed")
        assert (event.object_ref, event.reason, event.actor_username) == (case.code, "follow-up call", "cora")
        assert "no-store" in response["Cache-Control"]

    def test_the_identity_page_shows_each_value_in_its_state(self, cw, case):
        from django.db import connection

        from defectors.models import FamilyMember

        case.was_armed, case.brought_weapons, case.years_of_service = False, True, 0
        case.save()
        FamilyMember.objects.create(case=case, relationship="Mother", at_risk=False)
        with connection.cursor() as cursor:  # one value moved into another field: damaged
            cursor.execute("UPDATE defectors_case SET circumstances = full_name WHERE id = %s", [case.pk])
        page = cw.post(f"/cases/{case.code}/reveal/", {"reason": "follow-up"}).content.decode()
        facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", page))
        assert (facts["Armed"], facts["Brought weapons"], facts["Years of service"]) == ("No", "Yes", "0")
        assert "Not recorded" in facts["Brought documents"] and "Not recorded" in facts["Where they are"]
        assert facts["At risk"] == "No" and facts["Full name"] == "Ko Secret Name"
        assert "Damaged" in page
        damaged = AuditEvent.objects.get(action="vault.record.damaged")
        assert (damaged.object_ref, damaged.reason) == (f"defectors.Case:{case.pk}", "circumstances")

    def test_reveal_needs_a_reason(self, cw, case):
        response = cw.post(f"/cases/{case.code}/reveal/", {"reason": " "}, follow=True)
        assert "Give the reason" in response.content.decode()
        assert "Ko Secret Name" not in response.content.decode()
        assert not AuditEvent.objects.filter(action="defectors.case.identity_revealed").exists()

    def test_if_the_audit_event_cannot_be_written_nothing_is_shown(self, cw, case, monkeypatch):
        def broken(**kwargs):  # type: ignore[no-untyped-def]
            raise RuntimeError("audit store unavailable")

        monkeypatch.setattr("defectors.services.log_event", broken)
        cw.raise_request_exception = False
        response = cw.post(f"/cases/{case.code}/reveal/", {"reason": "follow-up"})
        assert response.status_code == 500
        assert "Secret" not in response.content.decode()

    def test_editing_identity_is_audited_with_the_fields_changed(self, cw, case):
        assert cw.get(f"/cases/{case.code}/identity/edit/").status_code == 200
        data = {"full_name": "Ko New Name", "date_of_birth": "1995-05-17", "change-reason": "typo in name"}
        response = cw.post(f"/cases/{case.code}/identity/edit/", data)
        assert response.status_code == 302
        assert Case.objects.get(pk=case.pk).full_name == "Ko New Name"
        event = AuditEvent.objects.get(action="defectors.case.identity_edited")
        assert event.reason.startswith("typo in name: ") and "full_name" in event.reason
        assert "New Name" not in event.reason

    def test_an_edited_name_is_found_by_search_and_the_old_one_is_not(self, cw, case):
        data = {"full_name": "Ko Renamed", "date_of_birth": "1995-05-17", "change-reason": "typo in name"}
        cw.post(f"/cases/{case.code}/identity/edit/", data)
        assert codes_in(cw.post("/cases/", {"full_name": "ko renamed", "date_of_birth": "1995-05-17"})) == {case.code}
        assert codes_in(cw.post("/cases/", {"full_name": "Ko Secret Name", "date_of_birth": "1995-05-17"})) == set()

    def test_a_supervisor_assigns_a_case_and_it_is_audited(self, sup, case, outsider):
        sup.post(f"/cases/{case.code}/assign/", {"caseworker": "otto"})
        assert Case.objects.get(pk=case.pk).assigned_to == outsider
        assert AuditEvent.objects.get(action="defectors.case.assigned").reason == "cora -> otto"

    @pytest.mark.parametrize("forged", ["sam", "nobody", ""])
    def test_a_forged_assignee_is_refused(self, sup, case, forged, supervisor):
        response = sup.post(f"/cases/{case.code}/assign/", {"caseworker": forged}, follow=True)
        assert "Choose an active caseworker" in response.content.decode()
        assert Case.objects.get(pk=case.pk).assigned_to.username == "cora"

    def test_a_caseworker_cannot_assign(self, cw, case):
        assert cw.post(f"/cases/{case.code}/assign/", {"caseworker": "cora"}).status_code == 403

    def test_a_case_is_closed_with_a_reason_and_reopened(self, cw, case):
        response = cw.post(f"/cases/{case.code}/status/", {"status": "closed", "reason": ""}, follow=True)
        assert "Give the reason for closing" in response.content.decode()
        cw.post(f"/cases/{case.code}/status/", {"status": "closed", "reason": "x" * 5001})
        assert Case.objects.get(pk=case.pk).status == Case.Status.ACTIVE
        cw.post(f"/cases/{case.code}/status/", {"status": "closed", "reason": "Resettled safely"})
        case = Case.objects.get(pk=case.pk)
        assert case.status == Case.Status.CLOSED and case.closing_reason == "Resettled safely"
        cw.post(f"/cases/{case.code}/status/", {"status": "reopened"})
        assert Case.objects.get(pk=case.pk).status == Case.Status.REOPENED
        reasons = [
            event.reason for event in AuditEvent.objects.filter(action="defectors.case.status_changed").order_by("seq")
        ]
        assert reasons == ["closed", "reopened"]  # the closing reason stays encrypted on the case

    def test_an_impossible_status_change_is_explained(self, cw, case):
        response = cw.post(f"/cases/{case.code}/status/", {"status": "intake"}, follow=True)
        assert "cannot go from" in response.content.decode()
        assert Case.objects.get(pk=case.pk).status == Case.Status.ACTIVE

    def test_a_withdrawn_consent_takes_effect(self, cw, case, caseworker):
        Consent.objects.create(
            case=case, kind="debriefing", given_on=datetime.date.today(), method="written", recorded_by=caseworker
        )
        assert has_consent(case, "debriefing")
        today = {"debriefing-withdrawn_on": datetime.date.today().isoformat()}
        cw.post(f"/cases/{case.code}/consents/debriefing/withdraw/", today)
        cw.post(f"/cases/{case.code}/consents/debriefing/withdraw/", today)  # a double click changes nothing more
        assert not has_consent(case, "debriefing")
        assert AuditEvent.objects.filter(action="defectors.case.consent_withdrawn").count() == 1
        assert "withdrawn on" in cw.get(f"/cases/{case.code}/").content.decode()

    def test_the_case_page_runs_a_fixed_number_of_queries(self, cw, case, caseworker, django_assert_num_queries):
        for kind in ("debriefing", "testimony", "referral_sharing"):
            Consent.objects.create(
                case=case, kind=kind, given_on=datetime.date.today(), method="verbal", recorded_by=caseworker
            )
        # session, the organisation key (sessions are sealed), user, MFA check, the case, consents
        # with recorders, notes with authors, needs, family count, possible duplicates (none), open
        # shred request, the assigned caseworker, risk history, unread notifications (the header)
        # (no session save: renewed less than a minute ago)
        with django_assert_num_queries(14):
            cw.get(f"/cases/{case.code}/")
        # The same, and the exfiltration brake's count for the notes' texts: its transaction (a
        # savepoint here, and its release), the person's advisory lock, an open brake?, the one
        # aggregate over the person's last day, the ledger's upsert.
        with django_assert_num_queries(14 + 6):
            cw.get(f"/cases/{case.code}/?texts=show")


class TestShredding:
    def test_a_supervisor_requests_and_an_admin_approves(self, sup, case, admin_client):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})  # double submit
        request = ShredRequest.objects.get()
        assert admin_client.get("/cases/shred-requests/").content.decode().count(case.code) == 1
        admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", {"decision": "approve", "code": case.code})
        case = Case.objects.get(pk=case.pk)
        assert case.shredded_at is not None and case.full_name is SHREDDED
        assert Case.objects.filter(service_number_index__isnull=False, pk=case.pk).count() == 0
        page = sup.get(f"/cases/{case.code}/").content.decode()
        assert "Shredded" in page and "Reveal identity" not in page
        actions = set(AuditEvent.objects.filter(object_ref=case.code).values_list("action", flat=True))
        assert {"defectors.case.shred_requested", "vault.datakey.shredded"} <= actions

    def test_a_shredded_case_cannot_be_edited_or_reopened(self, cw, case, admin):
        from vault.services import shred

        shred(owner=case)
        Case.objects.filter(pk=case.pk).update(shredded_at=datetime.datetime.now(datetime.UTC), status="closed")
        response = cw.post(
            f"/cases/{case.code}/identity/edit/", {"full_name": "New", "change-reason": "x"}, follow=True
        )
        assert "This case is shredded" in response.content.decode()
        assert cw.get(f"/cases/{case.code}/identity/edit/").status_code == 302
        response = cw.post(f"/cases/{case.code}/status/", {"status": "reopened"}, follow=True)
        assert "This case is shredded" in response.content.decode()
        assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
        assert not AuditEvent.objects.filter(action="defectors.case.identity_revealed").exists()

    def test_a_shredded_case_cannot_be_assigned(self, sup, case, admin, outsider):
        from vault.services import shred

        shred(owner=case)
        Case.objects.filter(pk=case.pk).update(shredded_at=datetime.datetime.now(datetime.UTC), status="closed")
        response = sup.post(f"/cases/{case.code}/assign/", {"caseworker": outsider.username}, follow=True)
        assert "This case is shredded" in response.content.decode()
        assert Case.objects.get(pk=case.pk).assigned_to.username == "cora"
        assert not AuditEvent.objects.filter(action="defectors.case.assigned").exists()

    def test_the_pages_of_a_shredded_case_say_shredded_and_never_show_a_false_fact(
        self, sup, cw, case, admin, supervisor
    ):
        """Replaces a check of str(SHREDDED): the real pages, with a forged reveal and edit."""
        case.was_armed, case.brought_weapons, case.years_of_service = True, False, 0
        case.save()
        ShredRequest.objects.create(case=case, requested_by=supervisor)
        from defectors.services import decide_shred

        decide_shred(shred_request=ShredRequest.objects.get(), by=admin, approve=True)
        page = sup.get(f"/cases/{case.code}/").content.decode()
        assert "Shredded" in page and "Reveal identity" not in page
        for client in (sup, cw):
            # The buttons are gone; forged requests are refused in the same words.
            for response in (
                client.post(f"/cases/{case.code}/reveal/", {"reason": "checking"}, follow=True),
                client.get(f"/cases/{case.code}/identity/edit/", follow=True),
                client.post(
                    f"/cases/{case.code}/identity/edit/", {"full_name": "New", "change-reason": "x"}, follow=True
                ),
            ):
                page = response.content.decode()
                assert "This case is shredded" in page
                assert ">No<" not in page and "Armed" not in page and "[shredded]" not in page
        assert not AuditEvent.objects.filter(action="defectors.case.identity_revealed").exists()
        assert Case.objects.get(pk=case.pk).full_name is SHREDDED

    def test_a_declined_request_shreds_nothing(self, sup, case, admin_client):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "mistake"})
        request = ShredRequest.objects.get()
        admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", {"decision": "decline"})
        assert Case.objects.get(pk=case.pk).full_name == "Ko Secret Name"

    def test_an_approval_that_comes_after_a_decline_says_the_decline_stands(
        self, sup, case, admin_client, client_for, make_user
    ):
        """Two administrators at once, or a form sent again: the page says what happened, not what was asked."""
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        request = ShredRequest.objects.get()
        other = client_for(make_user("admin", username="otto"))
        other.post(f"/cases/shred-requests/{request.pk}/decide/", {"decision": "decline"})
        response = admin_client.post(
            f"/cases/shred-requests/{request.pk}/decide/", {"decision": "approve", "code": case.code}, follow=True
        )
        page = response.content.decode()
        assert "Already decided by otto: the request was declined, nothing was shredded." in page
        assert "Case shredded." not in page
        assert Case.objects.get(pk=case.pk).full_name == "Ko Secret Name"

    def test_a_caseworker_cannot_request_and_a_supervisor_cannot_approve(self, cw, sup, case, caseworker):
        assert cw.post(f"/cases/{case.code}/shred/", {"reason": "x"}).status_code == 403
        request = ShredRequest.objects.create(case=case, requested_by=caseworker)
        form = {"decision": "approve", "code": case.code}
        assert sup.post(f"/cases/shred-requests/{request.pk}/decide/", form).status_code == 403
        assert sup.get(f"/cases/shred-requests/{request.pk}/").status_code == 403
        assert Case.objects.get(pk=case.pk).full_name == "Ko Secret Name"

    def test_the_approver_sees_the_sealed_reason_the_status_and_the_last_activity(self, sup, case, admin_client):
        sup.post(f"/cases/{case.code}/reveal/", {"reason": "before asking to shred"})
        sup.post(f"/cases/{case.code}/shred/", {"reason": "Raid expected at the Mae Sot house"})
        request = ShredRequest.objects.get()
        assert "Mae Sot" not in request.sealed_reason and request.reason == "Raid expected at the Mae Sot house"
        assert (
            f'href="/cases/shred-requests/{request.pk}/"' in admin_client.get("/cases/shred-requests/").content.decode()
        )
        page = admin_client.get(f"/cases/shred-requests/{request.pk}/").content.decode()
        assert "Raid expected at the Mae Sot house" in page
        # The last activity is the reveal before the request, not the request itself.
        assert case.status_label in page and "defectors.case.identity_revealed" in page
        assert "defectors.case.shred_requested" not in page
        assert 'name="code"' in page and "Ko Secret Name" not in page

    def test_the_seal_is_bound_to_its_request(self, sup, case, supervisor):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "first reason"})
        first = ShredRequest.objects.get()
        other = ShredRequest.objects.create(case=CaseFactory(), requested_by=supervisor)
        ShredRequest.objects.filter(pk=other.pk).update(sealed_reason=first.sealed_reason)  # copied by hand
        assert ShredRequest.objects.get(pk=other.pk).reason == "[damaged: this reason cannot be read]"

    @pytest.mark.parametrize("code", ["", "HV-AAAA-AAAA", "forged"])
    def test_approving_without_the_right_code_shreds_nothing(self, sup, case, admin_client, code):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        request = ShredRequest.objects.get()
        response = admin_client.post(
            f"/cases/shred-requests/{request.pk}/decide/", {"decision": "approve", "code": code}
        )
        assert response.status_code == 400
        assert "This is not the code of the case to shred: nothing was shredded." in response.content.decode()
        assert Case.objects.get(pk=case.pk).full_name == "Ko Secret Name"
        assert ShredRequest.objects.get().decided_at is None
        assert not AuditEvent.objects.filter(action="vault.datakey.shredded").exists()

    def test_a_forged_decision_decides_nothing(self, sup, case, admin_client):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        request = ShredRequest.objects.get()
        for data in ({"code": case.code}, {"decision": "shred", "code": case.code}):
            assert admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", data).status_code == 400
        assert ShredRequest.objects.get().decided_at is None

    def test_the_code_is_retyped_in_any_case_with_spaces_around(self, sup, case, admin_client):
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        request = ShredRequest.objects.get()
        data = {"decision": "approve", "code": f"  {case.code.lower()} "}
        assert admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", data).status_code == 302
        assert admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", data).status_code == 302  # twice
        assert Case.objects.get(pk=case.pk).full_name is SHREDDED
        assert AuditEvent.objects.filter(action="vault.datakey.shredded").count() == 1

    def test_the_case_page_says_shredding_is_pending_to_those_who_see_the_case(
        self, sup, cw, case, admin_client, supervisor
    ):
        assert "data-shred-pending" not in cw.get(f"/cases/{case.code}/").content.decode()
        sup.post(f"/cases/{case.code}/shred/", {"reason": "raid expected"})
        today = timezone.localdate().isoformat()
        banner = f"Shredding requested by {supervisor.username} on {today}, awaiting an administrator."
        for client in (cw, sup):
            page = client.get(f"/cases/{case.code}/").content.decode()
            assert banner in page and "raid expected" not in page
        assert 'action="/cases/' + case.code + '/shred/"' not in sup.get(f"/cases/{case.code}/").content.decode()
        request = ShredRequest.objects.get()
        admin_client.post(f"/cases/shred-requests/{request.pk}/decide/", {"decision": "decline"})
        assert "data-shred-pending" not in cw.get(f"/cases/{case.code}/").content.decode()

    def test_a_request_waiting_from_before_gets_its_reason_from_the_audit_trail(self, case, supervisor):
        """The data migration 0010: only undecided requests without a reason; the reason stays sealed."""
        import importlib

        from django.apps import apps

        from audit.services import log_event

        log_event(action="defectors.case.shred_requested", actor=supervisor, object_ref=case.code, reason="old one")
        waiting = ShredRequest.objects.create(case=case, requested_by=supervisor)  # as requests were made before
        other = CaseFactory()
        log_event(action="defectors.case.shred_requested", actor=supervisor, object_ref=other.code, reason="decided")
        decided = ShredRequest.objects.create(case=other, requested_by=supervisor, decided_at=timezone.now())
        migration = importlib.import_module("defectors.migrations.0010_copy_open_shred_request_reasons")
        migration.copy_reasons(apps, None)
        assert ShredRequest.objects.get(pk=waiting.pk).reason == "old one"
        assert "old one" not in ShredRequest.objects.get(pk=waiting.pk).sealed_reason
        assert ShredRequest.objects.get(pk=decided.pk).sealed_reason == ""

    def test_an_oversized_reason_is_refused(self, sup, case, supervisor):
        response = sup.post(f"/cases/{case.code}/shred/", {"reason": "x" * 301}, follow=True)
        assert "Reason for shredding: Ensure this value has at most 300 characters" in response.content.decode()
        assert not ShredRequest.objects.exists()
        with pytest.raises(ValidationError):
            services.request_shred(case=case, by=supervisor, reason="x" * 301)
        assert not ShredRequest.objects.exists()


CASE_URLS = [
    ("get", "defectors:case", {}),
    ("post", "defectors:reveal", {"reason": "curious"}),
    ("get", "defectors:edit_identity", {}),
    ("post", "defectors:edit_identity", {"full_name": "Changed", "change-reason": "forged"}),
    ("post", "defectors:change_status", {"status": "closed", "reason": "x"}),
    ("post", "defectors:intake_submit", {}),
    ("post", "defectors:intake_discard", {}),
    ("get", "defectors:intake_step", {}),
    ("post", "defectors:intake_step", {"full_name": "Changed"}),
]


@pytest.mark.parametrize(("method", "name", "data"), CASE_URLS)
def test_another_caseworkers_case_is_not_found_in_every_view(cw, outsider, method, name, data):
    """IDOR: the case code of someone else's case gets 404, exactly like a code that does not exist."""
    theirs = CaseFactory(created_by=outsider, full_name="Their Person")
    kwargs = {"code": theirs.code, **({"step": "identity"} if name == "defectors:intake_step" else {})}
    response = getattr(cw, method)(reverse(name, kwargs=kwargs), data)
    missing = getattr(cw, method)(reverse(name, kwargs={**kwargs, "code": "HV-AAAA-AAAA"}), data)
    assert response.status_code == missing.status_code == 404
    assert Case.objects.get(pk=theirs.pk).full_name == "Their Person"
    assert Case.objects.get(pk=theirs.pk).status == Case.Status.ACTIVE
    assert not AuditEvent.objects.filter(object_ref=theirs.code).exists()


def test_another_caseworkers_consent_cannot_be_withdrawn(cw, outsider):
    theirs = CaseFactory(created_by=outsider)
    assert cw.post(f"/cases/{theirs.code}/consents/data_processing/withdraw/").status_code == 404
    assert has_consent(theirs, "data_processing")


@pytest.mark.django_db(transaction=True)
def test_two_shred_requests_at_the_same_moment_make_one(supervisor, case):
    """Each checks for an open request with the case locked, so neither meets the unique constraint (a 500)."""
    results: list[object] = []

    def ask() -> None:
        try:
            results.append(services.request_shred(case=case, by=supervisor, reason="raid expected").pk)
        except Exception as error:  # any error is the failure this test looks for
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and ShredRequest.objects.count() == 1, results
