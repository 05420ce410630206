from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from defectors.models import Consent
from defectors.record import withdraw_consent
from support import services
from support.models import Referral, ReferralEvent, ServiceType

TODAY = datetime.date.today()


def draft(case, by, provider, service=ServiceType.SHELTER, **kwargs) -> Referral:  # type: ignore[no-untyped-def]
    return services.create_referral(case=case, by=by, provider=provider, service_type=service, **kwargs)


def move(referral: Referral, by, to: str, **kwargs):  # type: ignore[no-untyped-def]
    referral.refresh_from_db()
    return services.transition_referral(referral=referral, by=by, to=to, version=referral.version, **kwargs)


class TestWorkflow:
    def test_a_referral_runs_from_draft_to_completed_stamping_each_step(self, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        for status in ("sent", "accepted", "in_progress"):
            move(referral, caseworker, status)
        move(referral, caseworker, "completed", outcome="Housed for three months")
        referral.refresh_from_db()
        assert referral.status == "completed"
        assert referral.outcome == "Housed for three months"
        assert list(ReferralEvent.objects.filter(referral=referral).values_list("status", "by")) == [
            (status, caseworker.pk) for status in ("draft", "sent", "accepted", "in_progress", "completed")
        ]
        assert (
            AuditEvent.objects.filter(action="support.referral.status_changed", object_ref=consenting_case.code).count()
            == 4
        )

    @pytest.mark.parametrize(("path", "illegal"), [((), "accepted"), ((), "completed"), (("sent",), "in_progress")])
    def test_an_illegal_transition_is_refused(self, consenting_case, caseworker, provider, path, illegal):
        referral = draft(consenting_case, caseworker, provider)
        for status in path:
            move(referral, caseworker, status)
        with pytest.raises(ValidationError, match="cannot go from"):
            move(referral, caseworker, illegal)

    def test_a_finished_referral_moves_no_more(self, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        move(referral, caseworker, "cancelled", reason="Found family to stay with")
        with pytest.raises(ValidationError, match="cannot go from"):
            move(referral, caseworker, "sent")

    @pytest.mark.parametrize("status", ["declined", "cancelled"])
    def test_declining_or_cancelling_needs_a_reason(self, consenting_case, caseworker, provider, status):
        referral = draft(consenting_case, caseworker, provider)
        move(referral, caseworker, "sent")
        with pytest.raises(ValidationError, match="reason"):
            move(referral, caseworker, status, reason="  ")
        referral.refresh_from_db()
        assert referral.status == "sent"

    def test_completing_needs_an_outcome(self, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        for status in ("sent", "accepted", "in_progress"):
            move(referral, caseworker, status)
        with pytest.raises(ValidationError, match="outcome"):
            move(referral, caseworker, "completed")

    def test_a_transition_from_a_stale_page_is_refused_not_applied_twice(self, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        shown = referral.version
        services.transition_referral(referral=referral, by=caseworker, to="sent", version=shown)
        with pytest.raises(services.StaleReferral):
            services.transition_referral(referral=referral, by=caseworker, to="sent", version=shown)
        assert ReferralEvent.objects.filter(referral=referral, status="sent").count() == 1

    def test_a_provider_must_offer_the_service(self, consenting_case, caseworker, provider):
        provider.services = [ServiceType.LEGAL]
        provider.save()
        with pytest.raises(ValidationError, match="does not offer"):
            draft(consenting_case, caseworker, provider, ServiceType.SHELTER)


class TestConsent:
    def test_sending_needs_consent_to_sharing(self, case, caseworker, provider):
        referral = draft(case, caseworker, provider)
        with pytest.raises(ValidationError, match="not given consent"):
            move(referral, caseworker, "sent")
        referral.refresh_from_db()
        assert (referral.status, referral.shared_fields) == ("draft", [])

    def test_a_mental_health_referral_needs_explicit_consent_too(self, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider, ServiceType.MENTAL_HEALTH)
        with pytest.raises(ValidationError, match="explicit consent"):
            move(referral, caseworker, "sent")
        with_consent = draft(
            consenting_case, caseworker, provider, ServiceType.MENTAL_HEALTH, explicit_consent_on=TODAY
        )
        assert move(with_consent, caseworker, "sent") is not None

    def test_a_withdrawn_consent_stops_sharing_and_flags_open_referrals(self, consenting_case, caseworker, provider):
        sent = draft(consenting_case, caseworker, provider)
        move(sent, caseworker, "sent")
        waiting = draft(consenting_case, caseworker, provider, ServiceType.LEGAL)
        withdraw_consent(case=consenting_case, by=caseworker, kind=Consent.Kind.REFERRAL_SHARING)
        with pytest.raises(ValidationError, match="withdrew"):
            move(waiting, caseworker, "sent")
        flags = dict(Referral.objects.with_consent_flag().values_list("pk", "sharing_withdrawn"))
        assert flags == {sent.pk: True, waiting.pk: True}


class TestPacket:
    def test_a_training_packet_holds_languages_not_the_unit_or_the_story(self, consenting_case, caseworker, provider):
        consenting_case.languages, consenting_case.unit = "Burmese, Karen", "LIB 999 SENTINEL-UNIT"
        consenting_case.circumstances = "SENTINEL-STORY"
        consenting_case.save()
        packet = move(draft(consenting_case, caseworker, provider, ServiceType.TRAINING), caseworker, "sent")
        values = dict(packet.items)
        assert values == {"full name": "Ko Secret Name", "languages": "Burmese, Karen", "contact channel": ""}
        assert "SENTINEL" not in repr(packet.items)

    def test_the_fields_shared_are_recorded_and_audited_by_name_never_value(
        self, consenting_case, caseworker, provider
    ):
        referral = draft(consenting_case, caseworker, provider)
        move(referral, caseworker, "sent")
        referral.refresh_from_db()
        assert referral.shared_fields == ["full_name", "sex", "contact_channel"]
        event = AuditEvent.objects.filter(action="support.referral.status_changed").latest("seq")
        assert event.reason == "sent: full_name, sex, contact_channel"
        assert not [e for e in AuditEvent.objects.all() if "Ko Secret" in e.reason]


class TestViews:
    def test_sending_shows_the_packet_once(self, cw, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/"
        response = cw.post(url + "transition/", {"to": "sent", "version": referral.version})
        assert response.status_code == 200
        assert "Ko Secret Name" in response.content.decode()
        page = cw.get(url).content.decode()
        assert "Ko Secret Name" not in page
        assert 'data-status="sent"' in page

    def test_a_stale_page_gets_a_message(self, cw, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/transition/"
        cw.post(url, {"to": "sent", "version": 1})
        response = cw.post(url, {"to": "cancelled", "version": 1, "reason": "duplicate"}, follow=True)
        assert "Someone changed this referral" in response.content.decode()
        referral.refresh_from_db()
        assert referral.status == "sent"

    def test_a_forged_version_or_status_changes_nothing(self, cw, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/transition/"
        for body in ({"to": "completed", "version": 1}, {"to": "bogus", "version": 1}, {"to": "sent", "version": "x"}):
            cw.post(url, body)
        referral.refresh_from_db()
        assert (referral.status, referral.version) == ("draft", 1)

    def test_another_caseworker_gets_404(self, client_for, outsider, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/"
        client = client_for(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url + "transition/", {"to": "sent", "version": 1}).status_code == 404
        referral.refresh_from_db()
        assert referral.status == "draft"

    def test_a_referral_of_another_case_answers_404_under_this_case(self, cw, consenting_case, caseworker, provider):
        from tests.factories import CaseFactory

        mine = CaseFactory(created_by=caseworker)
        referral = draft(consenting_case, caseworker, provider)
        assert cw.get(f"/support/cases/{mine.code}/referrals/{referral.pk}/").status_code == 404

    def test_the_note_is_encrypted_in_the_database(self, consenting_case, caseworker, provider):
        from django.db import connection

        draft(consenting_case, caseworker, provider, note="SENTINEL-NOTE")
        with connection.cursor() as cursor:
            cursor.execute("SELECT note::text FROM support_referral")
            assert "SENTINEL" not in repr(cursor.fetchall())


class TestConsentOnThePages:
    """Never given and withdrawn are different things to do: the pages say which, and where to act."""

    def test_the_support_page_says_consent_was_never_given_not_withdrawn(self, cw, case, caseworker, provider):
        draft(case, caseworker, provider)
        page = cw.get(f"/support/cases/{case.code}/").content.decode()
        assert "No consent to sharing yet" in page
        assert "withdrawn" not in page.lower()

    def test_the_support_page_says_a_withdrawn_consent_was_withdrawn(self, cw, consenting_case, caseworker, provider):
        draft(consenting_case, caseworker, provider)
        withdraw_consent(case=consenting_case, by=caseworker, kind=Consent.Kind.REFERRAL_SHARING)
        page = cw.get(f"/support/cases/{consenting_case.code}/").content.decode()
        assert "Consent to sharing withdrawn" in page
        assert "No consent to sharing yet" not in page

    def test_the_flags_tell_never_given_from_withdrawn(self, case, consenting_case, caseworker, provider):
        from tests.factories import CaseFactory

        never = draft(CaseFactory(created_by=caseworker), caseworker, provider)
        given = draft(consenting_case, caseworker, provider)
        flags = {
            pk: (withdrawn, not_given)
            for pk, withdrawn, not_given in Referral.objects.with_consent_flag().values_list(
                "pk", "sharing_withdrawn", "sharing_not_given"
            )
        }
        assert flags == {never.pk: (False, True), given.pk: (False, False)}

    def test_a_draft_without_consent_offers_no_send_and_links_to_recording_it(self, cw, case, caseworker, provider):
        referral = draft(case, caseworker, provider)
        page = cw.get(f"/support/cases/{case.code}/referrals/{referral.pk}/").content.decode()
        assert "Send (shows the packet)" not in page
        assert 'value="sent"' not in page
        assert "has not given consent to sharing" in page
        assert f'href="/cases/{case.code}/consents/referral_sharing/give/"' in page
        assert "Cancel" in page  # the other transition is still offered

    def test_a_draft_whose_consent_was_withdrawn_says_so_and_links_to_recording_it_again(
        self, cw, consenting_case, caseworker, provider
    ):
        referral = draft(consenting_case, caseworker, provider)
        withdraw_consent(case=consenting_case, by=caseworker, kind=Consent.Kind.REFERRAL_SHARING)
        page = cw.get(f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/").content.decode()
        assert "Send (shows the packet)" not in page
        assert "withdrew consent to sharing" in page
        assert f'href="/cases/{consenting_case.code}/consents/referral_sharing/give/"' in page

    def test_a_draft_with_consent_offers_send(self, cw, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        page = cw.get(f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/").content.decode()
        assert "Send (shows the packet)" in page
        assert "consents/referral_sharing/give/" not in page


class TestInactiveProvider:
    def test_a_draft_to_a_provider_deactivated_since_cannot_be_sent(self, cw, consenting_case, caseworker, provider):
        referral = draft(consenting_case, caseworker, provider)
        provider.active = False
        provider.save()
        page = cw.get(f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/").content.decode()
        assert "no longer active" in page
        assert "Send (shows the packet)" not in page and 'value="sent"' not in page
        assert "Cancel" in page  # the way forward: cancel, refer to another
        with pytest.raises(ValidationError, match="no longer active"):
            move(referral, caseworker, "sent")  # a page from before the deactivation, sent anyway
        referral.refresh_from_db()
        assert referral.status == "draft" and referral.shared_fields == []
        response = cw.post(
            f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/transition/",
            {"to": "sent", "version": referral.version},
        )
        assert response.status_code == 302
        referral.refresh_from_db()
        assert referral.status == "draft"
        assert not AuditEvent.objects.filter(action="support.referral.status_changed").exists()


def test_a_draft_names_what_sending_will_share_before_it_is_sent(cw, consenting_case, caseworker, provider):
    referral = draft(consenting_case, caseworker, provider)
    page = cw.get(f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/").content.decode()
    shared = page.split("data-packet-fields>", 1)[1].split("</dd>", 1)[0]
    assert shared == ", ".join(referral.packet_field_labels()) and shared.strip()
    assert "Fields shared" not in page


class TestExplicitConsentForMentalHealth:
    """A mental-health referral is drafted with the person's explicit consent; an older draft
    without it takes the date later, on its own page."""

    def refer(self, client, case, provider, service=ServiceType.MENTAL_HEALTH, **fields):  # type: ignore[no-untyped-def]
        from tests.support.conftest import with_token

        body = {"referral-service_type": service, "referral-provider": provider.pk, **fields}
        return client.post(f"/support/cases/{case.code}/refer/", with_token(body))

    def old_draft(self, case, caseworker, provider) -> Referral:  # type: ignore[no-untyped-def]
        """A mental-health draft from before the form required the date."""
        return draft(case, caseworker, provider, ServiceType.MENTAL_HEALTH)

    def test_drafting_mental_health_without_the_date_is_refused_on_the_field(self, cw, consenting_case, provider):
        response = self.refer(cw, consenting_case, provider)
        assert response.status_code == 400
        errors = response.context["referral_form"].errors
        assert errors == {"explicit_consent_on": [str(services.EXPLICIT_CONSENT_NEEDED)]}
        assert not Referral.objects.exists()
        assert not AuditEvent.objects.filter(action="support.referral.created").exists()

    def test_other_services_need_no_date(self, cw, consenting_case, provider):
        assert self.refer(cw, consenting_case, provider, ServiceType.LEGAL).status_code == 302
        assert Referral.objects.get().explicit_consent_on is None

    def test_a_consent_date_in_the_future_is_refused_when_drafting(self, cw, consenting_case, provider):
        tomorrow = TODAY + datetime.timedelta(days=1)
        response = self.refer(cw, consenting_case, provider, **{"referral-explicit_consent_on": tomorrow})
        assert response.status_code == 400
        assert response.context["referral_form"].errors == {"explicit_consent_on": [str(services.CONSENT_IN_FUTURE)]}
        assert not Referral.objects.exists()

    def test_drafted_with_the_date_it_can_be_sent(self, cw, consenting_case, provider):
        response = self.refer(cw, consenting_case, provider, **{"referral-explicit_consent_on": TODAY})
        assert response.status_code == 302
        referral = Referral.objects.get()
        assert referral.explicit_consent_on == TODAY
        page = cw.get(f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/").content.decode()
        assert "Send (shows the packet)" in page
        assert "data-explicit-consent" not in page

    def test_an_old_draft_offers_the_form_and_recording_the_date_enables_send(
        self, cw, consenting_case, caseworker, provider
    ):
        referral = self.old_draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/"
        page = cw.get(url).content.decode()
        assert "data-explicit-consent" in page and 'name="explicit_consent_on"' in page
        assert "Send (shows the packet)" not in page
        response = cw.post(url + "explicit-consent/", {"explicit_consent_on": TODAY})
        assert response.status_code == 302
        referral.refresh_from_db()
        assert (referral.explicit_consent_on, referral.status, referral.version) == (TODAY, "draft", 1)
        event = AuditEvent.objects.get(action="support.referral.explicit_consent_recorded")
        assert (event.actor_id, event.object_ref) == (caseworker.pk, consenting_case.code)
        page = cw.get(url).content.decode()
        assert "Send (shows the packet)" in page
        assert "data-explicit-consent" not in page
        assert cw.post(url + "transition/", {"to": "sent", "version": 1}).status_code == 200  # the packet

    def test_recording_it_twice_keeps_the_first_date(self, cw, consenting_case, caseworker, provider):
        referral = self.old_draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/explicit-consent/"
        cw.post(url, {"explicit_consent_on": TODAY})
        response = cw.post(url, {"explicit_consent_on": TODAY - datetime.timedelta(days=3)}, follow=True)
        assert "does not take an explicit-consent date" in response.content.decode()
        referral.refresh_from_db()
        assert referral.explicit_consent_on == TODAY
        assert AuditEvent.objects.filter(action="support.referral.explicit_consent_recorded").count() == 1

    @pytest.mark.parametrize("given", ["tomorrow", "", "not-a-date", "2026-13-45", "x" * 5_000])
    def test_a_future_missing_or_malformed_date_is_refused(self, cw, consenting_case, caseworker, provider, given):
        referral = self.old_draft(consenting_case, caseworker, provider)
        if given == "tomorrow":
            given = (TODAY + datetime.timedelta(days=1)).isoformat()
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/"
        response = cw.post(url + "explicit-consent/", {"explicit_consent_on": given})
        assert response.status_code == 400
        assert "explicit_consent_on" in response.context["consent_form"].errors
        assert "data-error-summary" in response.content.decode()
        referral.refresh_from_db()
        assert referral.explicit_consent_on is None
        assert not AuditEvent.objects.filter(action="support.referral.explicit_consent_recorded").exists()

    def test_a_sent_or_other_service_referral_takes_no_date(self, cw, consenting_case, caseworker, provider):
        legal = draft(consenting_case, caseworker, provider, ServiceType.LEGAL)
        sent = draft(consenting_case, caseworker, provider, ServiceType.MENTAL_HEALTH, explicit_consent_on=TODAY)
        move(sent, caseworker, "sent")
        for referral in (legal, sent):
            url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/"
            assert "data-explicit-consent" not in cw.get(url).content.decode()
            cw.post(url + "explicit-consent/", {"explicit_consent_on": TODAY - datetime.timedelta(days=1)})
        legal.refresh_from_db()
        sent.refresh_from_db()
        assert (legal.explicit_consent_on, sent.explicit_consent_on) == (None, TODAY)

    def test_another_caseworker_gets_404_and_nothing_is_written(
        self, client_for, outsider, consenting_case, caseworker, provider
    ):
        referral = self.old_draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/explicit-consent/"
        assert client_for(outsider).post(url, {"explicit_consent_on": TODAY}).status_code == 404
        referral.refresh_from_db()
        assert referral.explicit_consent_on is None

    def test_a_role_that_does_not_work_on_cases_is_refused(
        self, client_for, donor, debriefer, consenting_case, caseworker, provider
    ):
        referral = self.old_draft(consenting_case, caseworker, provider)
        url = f"/support/cases/{consenting_case.code}/referrals/{referral.pk}/explicit-consent/"
        for user in (donor, debriefer):
            assert client_for(user).post(url, {"explicit_consent_on": TODAY}).status_code == 403
        referral.refresh_from_db()
        assert referral.explicit_consent_on is None
        assert not AuditEvent.objects.filter(action="support.referral.explicit_consent_recorded").exists()

    def test_the_service_refuses_a_role_that_does_not_work_on_cases(self, consenting_case, caseworker, donor, provider):
        from django.core.exceptions import PermissionDenied

        referral = self.old_draft(consenting_case, caseworker, provider)
        with pytest.raises(PermissionDenied):
            services.record_explicit_consent(referral=referral, by=donor, on=TODAY)
