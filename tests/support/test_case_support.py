"""Training, mental-health sessions, assistance and the case plan, through the pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from support import services
from support.models import Assistance, Goal, SupportSession, Task, TrainingEnrolment
from tests.support.conftest import with_token

TODAY = datetime.date.today()


def url(case, action: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/support/cases/{case.code}/{action}"


def test_the_support_page_shows_the_case_and_its_forms(cw, case, provider, shelter):
    page = cw.get(url(case)).content.decode()
    assert case.code in page
    assert "Sentinel Safehouse (2)" in page  # the shelter choice shows its free beds
    assert "Ko Secret Name" not in page  # no identifying data on this page


def test_another_caseworker_gets_404(client_for, outsider, case):
    assert client_for(outsider).get(url(case)).status_code == 404


class TestTraining:
    def test_an_enrolment_is_saved_and_audited(self, cw, case, provider):
        response = cw.post(
            url(case, "training/"),
            with_token({"training-programme": "Motorbike repair", "training-provider": provider.pk,
                        "training-starts_on": TODAY.isoformat(), "training-attendance": "80"}),
        )  # fmt: skip
        assert response.status_code == 302
        enrolment = TrainingEnrolment.objects.get(case=case)
        assert (enrolment.programme, enrolment.attendance) == ("Motorbike repair", 80)
        assert AuditEvent.objects.filter(action="support.training.created", object_ref=case.code).exists()
        # A course and its place can say where a person is: the column holds only ciphertext.
        raw = TrainingEnrolment.objects.filter(pk=enrolment.pk).values_list("programme", flat=True).get()
        assert b"Motorbike" not in bytes(raw)

    def test_an_end_before_the_start_is_refused(self, cw, case, provider):
        response = cw.post(
            url(case, "training/"),
            with_token({"training-programme": "Welding", "training-provider": provider.pk,
                        "training-starts_on": TODAY.isoformat(),
                        "training-ends_on": (TODAY - datetime.timedelta(days=1)).isoformat()}),
        )  # fmt: skip
        assert response.status_code == 400
        # On the end field (the summary links to it), not only at the top of the form.
        assert 'href="#id_training-ends_on">End: The end is before the start.</a>' in response.content.decode()
        assert not TrainingEnrolment.objects.exists()

    def test_the_service_refuses_an_end_before_the_start_too(self, case, caseworker, provider):
        with pytest.raises(ValidationError):
            services.enrol_in_training(
                case=case, by=caseworker,
                fields={"programme": "x", "provider": provider, "starts_on": TODAY,
                        "ends_on": TODAY - datetime.timedelta(days=1)},
            )  # fmt: skip

    def test_a_course_that_starts_after_today_cannot_be_completed_yet(self, cw, case, caseworker, provider):
        later = (TODAY + datetime.timedelta(days=7)).isoformat()
        response = cw.post(
            url(case, "training/"),
            with_token({"training-programme": "Welding", "training-provider": provider.pk,
                        "training-starts_on": later, "training-completed": "on"}),
        )  # fmt: skip
        assert response.status_code == 400
        assert (
            'href="#id_training-completed">Completed: A course that starts after today cannot be completed yet.</a>'
            in response.content.decode()
        )
        with pytest.raises(ValidationError, match="cannot be completed yet"):
            services.enrol_in_training(
                case=case, by=caseworker,
                fields={"programme": "x", "provider": provider, "starts_on": TODAY + datetime.timedelta(days=7),
                        "certificate_received": True},
            )  # fmt: skip
        assert not TrainingEnrolment.objects.exists()
        cw.post(
            url(case, "training/"),
            with_token({"training-programme": "Welding", "training-provider": provider.pk,
                        "training-starts_on": later}),
        )  # fmt: skip
        assert TrainingEnrolment.objects.get().starts_on.isoformat() == later  # enrolling ahead is fine

    def test_attendance_over_100_is_refused(self, cw, case, provider):
        cw.post(
            url(case, "training/"),
            with_token({"training-programme": "Welding", "training-provider": provider.pk,
                        "training-starts_on": TODAY.isoformat(), "training-attendance": "101"}),
        )  # fmt: skip
        assert not TrainingEnrolment.objects.exists()


class TestSessions:
    def test_a_session_note_is_encrypted(self, cw, case, provider):
        from django.db import connection

        cw.post(
            url(case, "sessions/"),
            with_token({"session-provider": provider.pk, "session-planned_on": TODAY.isoformat(),
             "session-attended": "true", "session-note": "SENTINEL-FEELING"}),
        )  # fmt: skip
        session = SupportSession.objects.get(case=case)
        assert (session.attended, session.note) == (True, "SENTINEL-FEELING")
        with connection.cursor() as cursor:
            cursor.execute("SELECT note::text FROM support_supportsession")
            assert "SENTINEL" not in repr(cursor.fetchall())

    def test_a_session_after_today_cannot_be_attended_or_missed_yet(self, cw, case, caseworker, provider):
        later = TODAY + datetime.timedelta(days=3)
        response = cw.post(
            url(case, "sessions/"),
            with_token({"session-provider": provider.pk, "session-planned_on": later.isoformat(),
                        "session-attended": "false"}),
        )  # fmt: skip
        assert response.status_code == 400
        assert (
            'href="#id_session-attended">Attended: A session after today cannot be attended or missed yet.</a>'
            in response.content.decode()
        )
        assert not SupportSession.objects.exists()
        session = services.plan_session(case=case, by=caseworker, fields={"provider": provider, "planned_on": later})
        assert "Missed</button>" not in cw.get(url(case)).content.decode()  # no buttons on a planned one
        response = cw.post(url(case, f"sessions/{session.pk}/attendance/"), {"attended": "yes"}, follow=True)
        assert "A session after today cannot be attended or missed yet." in response.content.decode()
        session.refresh_from_db()
        assert session.attended is None

    def test_an_over_long_note_is_refused(self, cw, case, provider):
        response = cw.post(
            url(case, "sessions/"),
            with_token(
                {"session-provider": provider.pk, "session-planned_on": TODAY.isoformat(), "session-note": "x" * 501}
            ),
        )
        assert response.status_code == 400
        assert not SupportSession.objects.exists()


class TestAssistance:
    def body(self, amount: str, currency: str = "THB") -> dict[str, str]:
        return {"assistance-kind": "cash", "assistance-amount": amount, "assistance-currency": currency,
                "assistance-given_on": TODAY.isoformat(), "assistance-purpose": "Rent"}  # fmt: skip

    def test_a_negative_amount_is_refused(self, cw, case):
        response = cw.post(url(case, "assistance/"), with_token(self.body("-5")))
        assert response.status_code == 400
        assert not Assistance.objects.exists()

    @pytest.mark.parametrize("amount", ["0", "0.00", "-5"])
    def test_an_amount_of_zero_or_less_is_refused_on_the_field_in_plain_words(self, cw, case, amount):
        response = cw.post(url(case, "assistance/"), with_token(self.body(amount)))
        assert response.status_code == 400
        page = response.content.decode()
        assert 'href="#id_assistance-amount">Amount: The amount must be more than zero.</a>' in page
        assert "Ensure this value" not in page
        assert not Assistance.objects.exists()

    def test_a_date_in_the_future_is_refused_on_the_field(self, cw, case):
        body = {**self.body("10"), "assistance-given_on": (TODAY + datetime.timedelta(days=1)).isoformat()}
        response = cw.post(url(case, "assistance/"), with_token(body))
        assert response.status_code == 400
        assert 'href="#id_assistance-given_on">Date: Assistance cannot be dated in the future.</a>' in (
            response.content.decode()
        )
        assert not Assistance.objects.exists()

    @pytest.mark.parametrize(
        ("amount", "given_on", "message"),
        [
            (Decimal("-1"), TODAY, "The amount must be more than zero."),
            (Decimal("0"), TODAY, "The amount must be more than zero."),
            (Decimal("10"), TODAY + datetime.timedelta(days=1), "Assistance cannot be dated in the future."),
        ],
    )
    def test_the_service_refuses_them_too(self, case, caseworker, amount, given_on, message):
        with pytest.raises(ValidationError) as refused:
            services.record_assistance(
                case=case, by=caseworker,
                fields={"kind": "cash", "amount": amount, "currency": "THB", "given_on": given_on, "purpose": "x"},
            )  # fmt: skip
        assert refused.value.messages == [message]
        assert not Assistance.objects.exists()

    def test_an_unknown_currency_or_a_malformed_amount_is_refused(self, cw, case):
        cw.post(url(case, "assistance/"), with_token(self.body("10", currency="EUR")))
        cw.post(url(case, "assistance/"), with_token(self.body("1e400")))
        assert not Assistance.objects.exists()

    def test_above_the_limit_a_caseworkers_entry_waits_for_a_supervisor(self, cw, sup, case):
        cw.post(url(case, "assistance/"), with_token(self.body("5000.01")))
        assistance = Assistance.objects.get()
        assert assistance.awaiting_approval
        sup.post(url(case, f"assistance/{assistance.pk}/approve/"))
        assistance.refresh_from_db()
        assert not assistance.awaiting_approval
        assert AuditEvent.objects.filter(action="support.assistance.approved", object_ref=case.code).exists()

    def test_at_the_limit_no_approval_is_needed(self, cw, case):
        cw.post(url(case, "assistance/"), with_token(self.body("5000")))
        assert not Assistance.objects.get().needs_approval

    def test_a_caseworker_cannot_approve(self, cw, case):
        cw.post(url(case, "assistance/"), with_token(self.body("9000")))
        assistance = Assistance.objects.get()
        assert cw.post(url(case, f"assistance/{assistance.pk}/approve/")).status_code == 403


class TestPlan:
    def test_goals_and_tasks_are_added_and_done(self, cw, case, caseworker):
        cw.post(
            url(case, "goals/"),
            with_token({"goal-title": "Find work in Mae Sot", "goal-target_date": TODAY.isoformat()}),
        )
        cw.post(
            url(case, "tasks/"),
            with_token(
                {"task-title": "Call the garage", "task-owner": caseworker.username, "task-due_on": TODAY.isoformat()}
            ),
        )
        assert Goal.objects.get(case=case).title == "Find work in Mae Sot"
        task = Task.objects.get(case=case)
        cw.post(url(case, f"tasks/{task.pk}/done/"))
        task.refresh_from_db()
        assert task.done_at is not None

    def test_a_task_cannot_be_given_to_someone_who_does_not_see_the_case(self, cw, case, outsider):
        response = cw.post(
            url(case, "tasks/"),
            with_token({"task-title": "Call", "task-owner": outsider.username, "task-due_on": TODAY.isoformat()}),
        )
        assert response.status_code == 400
        assert not Task.objects.exists()


class TestLaterUpdates:
    def test_training_attendance_completion_and_certificate_are_updated(self, cw, case, caseworker, provider):
        enrolment = TrainingEnrolment.objects.create(
            case=case, provider=provider, programme="Welding", starts_on=TODAY, created_by=caseworker
        )
        response = cw.post(
            url(case, f"training/{enrolment.pk}/"),
            {"programme": "Welding", "provider": provider.pk, "starts_on": TODAY.isoformat(),
             "ends_on": TODAY.isoformat(), "attendance": "95", "completed": "on", "certificate_received": "on"},
        )  # fmt: skip
        assert response.status_code == 302
        enrolment.refresh_from_db()
        assert (enrolment.attendance, enrolment.completed, enrolment.certificate_received) == (95, True, True)
        assert AuditEvent.objects.filter(action="support.training.updated", object_ref=case.code).exists()

    def test_a_session_is_marked_attended(self, cw, case, caseworker, provider):
        session = SupportSession(case=case, provider=provider, planned_on=TODAY, created_by=caseworker)
        session.save()
        cw.post(url(case, f"sessions/{session.pk}/attendance/"), {"attended": "maybe"})
        session.refresh_from_db()
        assert session.attended is None
        cw.post(url(case, f"sessions/{session.pk}/attendance/"), {"attended": "yes"})
        session.refresh_from_db()
        assert session.attended is True

    def test_a_goal_is_achieved_and_a_forged_status_refused(self, cw, case, caseworker):
        goal = Goal(case=case, title="Work", created_by=caseworker)
        goal.save()
        cw.post(url(case, f"goals/{goal.pk}/status/"), {"status": "forged"})
        goal.refresh_from_db()
        assert goal.status == "open"
        cw.post(url(case, f"goals/{goal.pk}/status/"), {"status": "achieved"})
        goal.refresh_from_db()
        assert goal.status == "achieved"

    def test_another_caseworker_cannot_update_training(self, client_for, outsider, case, caseworker, provider):
        enrolment = TrainingEnrolment.objects.create(
            case=case, provider=provider, programme="Welding", starts_on=TODAY, created_by=caseworker
        )
        assert client_for(outsider).get(url(case, f"training/{enrolment.pk}/")).status_code == 404


CREATE_ACTIONS = ("place/", "refer/", "training/", "sessions/", "assistance/", "goals/", "tasks/")


class TestClosedCase:
    """A closed or shredded case offers no form that adds support; the services refuse a post anyway."""

    @pytest.fixture
    def closed(self, case, caseworker):  # type: ignore[no-untyped-def]
        from defectors.services import change_status

        change_status(case=case, by=caseworker, status="closed", reason="Resettled")
        return case

    def test_a_closed_case_shows_no_create_forms_and_says_how_to_reopen(self, cw, closed, provider, shelter):
        page = cw.get(url(closed)).content.decode()
        for action in CREATE_ACTIONS:
            assert f'action="{url(closed, action)}"' not in page
        assert page.count("This case is closed") == 1
        assert f'href="/cases/{closed.code}/"' in page  # where "Reopen the case" is

    def test_a_shredded_case_shows_no_create_forms(self, cw, case, caseworker, supervisor, admin):
        from defectors import services as case_services

        request = case_services.request_shred(case=case, by=supervisor, reason="Raid")
        case_services.decide_shred(shred_request=request, by=admin, approve=True)
        page = cw.get(url(case)).content.decode()
        for action in CREATE_ACTIONS:
            assert f'action="{url(case, action)}"' not in page
        assert page.count("This case is shredded") == 1

    def test_a_post_to_a_closed_case_is_refused_once_and_writes_nothing(self, cw, closed):
        response = cw.post(
            url(closed, "goals/"), with_token({"goal-title": "Find work", "goal-target_date": TODAY.isoformat()})
        )
        assert response.status_code == 400
        assert response.content.decode().count("This case is closed") == 1
        assert not Goal.objects.exists()

    def test_the_service_refuses_a_closed_case(self, closed, caseworker):
        with pytest.raises(ValidationError, match="This case is closed"):
            services.add_goal(case=closed, by=caseworker, fields={"title": "Find work"})
        assert not Goal.objects.exists()

    def test_an_open_case_still_shows_its_forms(self, cw, case):
        page = cw.get(url(case)).content.decode()
        for action in CREATE_ACTIONS:
            assert f'action="{url(case, action)}"' in page
        assert "This case is closed" not in page


def test_a_refusal_is_said_once_not_twice(cw, case, shelter):
    """The error summary lists the form's own errors; the form does not repeat them above its fields."""
    shelter.beds = 0
    shelter.save()
    response = cw.post(
        url(case, "place/"),
        with_token({"placement-shelter": shelter.pk, "placement-checked_in_on": TODAY.isoformat()}),
    )
    assert response.status_code == 400
    assert response.content.decode().count("This shelter is full.") == 1
