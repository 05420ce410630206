"""The exfiltration brake's rules, through the services: limits, distinct cases, windows, trips, the lift."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from accounts import brake
from accounts.models import Brake, IdentityRead
from audit.models import AuditEvent
from defectors import services
from defectors.models import Case
from tests.factories import CaseFactory


@pytest.fixture(autouse=True)
def _small_limits(settings):  # type: ignore[no-untyped-def]
    settings.BRAKE_ASSIGNED_PER_HOUR, settings.BRAKE_ASSIGNED_PER_DAY = 3, 5
    settings.BRAKE_OTHER_PER_HOUR, settings.BRAKE_OTHER_PER_DAY = 2, 4


def cases_of(caseworker, n: int) -> list[Case]:  # type: ignore[no-untyped-def]
    return [CaseFactory(created_by=caseworker) for _n in range(n)]


def reveal(case: Case, by) -> None:  # type: ignore[no-untyped-def]
    services.reveal_identity(case=case, by=by, reason="checking the file")


def events(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


@pytest.mark.django_db
class TestLimits:
    def test_the_limit_passes_and_the_next_distinct_case_trips_the_brake(self, supervisor, caseworker):
        first, second, third = cases_of(caseworker, 3)
        reveal(first, supervisor)
        reveal(second, supervisor)  # 2 of 2 cases not assigned to the supervisor: still allowed
        with pytest.raises(brake.IdentityRefused) as refused:
            reveal(third, supervisor)
        assert refused.value.tripped
        tripped = Brake.objects.get()
        assert (tripped.person, tripped.window, tripped.assigned, tripped.limit) == (supervisor, "hour", False, 2)
        assert events("defectors.case.identity_revealed") == 2  # the refused reveal is not a reveal
        assert events("accounts.brake.tripped") == 1

    def test_reading_the_same_cases_again_does_not_count_again(self, supervisor, caseworker):
        first, second = cases_of(caseworker, 2)
        for _time in range(5):
            reveal(first, supervisor)
            reveal(second, supervisor)
        assert not Brake.objects.exists()
        assert IdentityRead.objects.filter(person=supervisor).count() == 2

    def test_assigned_cases_have_their_own_higher_limit(self, caseworker):
        own = cases_of(caseworker, 4)
        for case in own[:3]:
            reveal(case, caseworker)  # 3 assigned cases: past the others' limit (2), within the assigned one (3)
        with pytest.raises(brake.IdentityRefused):
            reveal(own[3], caseworker)
        assert Brake.objects.get().assigned is True

    def test_the_day_limit_counts_reads_older_than_an_hour(self, supervisor, caseworker):
        earlier = timezone.now() - datetime.timedelta(hours=3)
        for case in cases_of(caseworker, 4):  # the day's 4: none of them in the last hour
            IdentityRead.objects.create(person=supervisor, case_id=case.pk, assigned=False, last_at=earlier)
        with pytest.raises(brake.IdentityRefused):
            reveal(CaseFactory(created_by=caseworker), supervisor)
        assert Brake.objects.get().window == "day"

    def test_reads_older_than_a_day_are_not_counted(self, supervisor, caseworker):
        long_ago = timezone.now() - datetime.timedelta(hours=25)
        for case in cases_of(caseworker, 10):
            IdentityRead.objects.create(person=supervisor, case_id=case.pk, assigned=False, last_at=long_ago)
        reveal(CaseFactory(created_by=caseworker), supervisor)
        assert not Brake.objects.exists()

    def test_a_case_read_yesterday_counts_again_in_todays_hour(self, supervisor, caseworker):
        first, second, third = cases_of(caseworker, 3)
        two_hours_ago = timezone.now() - datetime.timedelta(hours=2)
        IdentityRead.objects.create(person=supervisor, case_id=first.pk, assigned=False, last_at=two_hours_ago)
        reveal(first, supervisor)
        reveal(second, supervisor)
        with pytest.raises(brake.IdentityRefused):
            reveal(third, supervisor)

    def test_one_persons_reads_never_count_against_another(self, supervisor, make_user, caseworker):
        colleague = make_user("supervisor", username="sue")
        first, second = cases_of(caseworker, 2)
        reveal(first, supervisor)
        reveal(second, supervisor)
        reveal(first, colleague)
        reveal(second, colleague)
        assert not Brake.objects.exists()


@pytest.mark.django_db
class TestTripped:
    @pytest.fixture
    def tripped(self, supervisor, caseworker) -> list[Case]:  # type: ignore[no-untyped-def]
        cases = cases_of(caseworker, 3)
        reveal(cases[0], supervisor)
        reveal(cases[1], supervisor)
        with pytest.raises(brake.IdentityRefused):
            reveal(cases[2], supervisor)
        return cases

    def test_every_identity_read_stays_refused_even_a_case_read_before(self, tripped, supervisor):
        with pytest.raises(brake.IdentityRefused) as refused:
            reveal(tripped[0], supervisor)
        assert not refused.value.tripped
        assert Brake.objects.count() == 1  # one brake: the refusals while it is on trip nothing more

    def test_the_refusal_says_what_happened_and_whom_to_ask(self, tripped, supervisor):
        with pytest.raises(brake.IdentityRefused) as refused:
            reveal(tripped[0], supervisor)
        message = str(refused.value)
        assert "another supervisor or an administrator" in message
        assert "Everything else keeps working" in message

    def test_the_ledger_and_the_brake_hold_no_code_or_name(self, tripped):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT row_to_json(r)::text FROM accounts_identityread r UNION ALL "
                "SELECT row_to_json(b)::text FROM accounts_brake b"
            )
            dump = " ".join(row[0] for row in cursor.fetchall())
        for case in tripped:
            assert case.code not in dump
            assert case.full_name not in dump

    def test_another_supervisor_lifts_it_with_a_reason_and_the_count_starts_afresh(
        self, tripped, supervisor, make_user
    ):
        colleague = make_user("supervisor", username="sue")
        assert brake.lift(brake=Brake.objects.get(), by=colleague, reason="spoke to Sam: a review day")
        reveal(tripped[2], supervisor)
        reveal(tripped[0], supervisor)
        lifted = AuditEvent.objects.get(action="accounts.brake.lifted")
        assert lifted.actor == colleague
        assert lifted.reason == "spoke to Sam: a review day"

    def test_an_administrator_lifts_it(self, tripped, supervisor, admin):
        assert brake.lift(brake=Brake.objects.get(), by=admin, reason="checked")
        reveal(tripped[0], supervisor)

    def test_a_supervisor_cannot_lift_their_own(self, tripped, supervisor):
        with pytest.raises(PermissionDenied):
            brake.lift(brake=Brake.objects.get(), by=supervisor, reason="it was me")
        assert brake.is_braked(supervisor)

    @pytest.mark.parametrize("role", ["caseworker", "auditor", "debriefer", "donor"])
    def test_no_other_role_can_lift(self, tripped, make_user, role):
        with pytest.raises(PermissionDenied):
            brake.lift(brake=Brake.objects.get(), by=make_user(role), reason="please")

    def test_a_reason_is_needed(self, tripped, admin):
        for reason in ["", "  ok ", "x" * 301]:
            with pytest.raises(ValidationError):
                brake.lift(brake=Brake.objects.get(), by=admin, reason=reason)
        assert events("accounts.brake.lifted") == 0

    def test_lifting_twice_lifts_once(self, tripped, admin, make_user):
        target = Brake.objects.get()
        assert brake.lift(brake=target, by=admin, reason="checked")
        assert not brake.lift(brake=target, by=make_user("supervisor"), reason="checked too")
        assert events("accounts.brake.lifted") == 1
        assert Brake.objects.get().lifted_by == admin


@pytest.mark.django_db(transaction=True)
def test_concurrent_reveals_at_the_edge_admit_exactly_the_limit(supervisor, caseworker, settings):
    """Eight reveals of eight cases at once (tabs, workers): two get in, one brake, six refusals."""
    cases = cases_of(caseworker, 8)
    start = threading.Barrier(len(cases))
    outcomes: list[str] = []

    def tab(case: Case) -> None:
        try:
            start.wait()
            reveal(case, supervisor)
            outcomes.append("shown")
        except brake.IdentityRefused as refused:
            outcomes.append("tripped" if refused.tripped else "refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["shown"] * 2 + ["tripped"]
    assert Brake.objects.count() == 1
    assert IdentityRead.objects.filter(person=supervisor).count() == 2
    assert events("defectors.case.identity_revealed") == 2


@pytest.mark.django_db(transaction=True)
def test_two_tabs_reading_the_same_case_at_once_count_it_once(supervisor, caseworker):
    first, second = cases_of(caseworker, 2)
    start = threading.Barrier(4)
    failures: list[Exception] = []

    def tab(case: Case) -> None:
        try:
            start.wait()
            reveal(case, supervisor)
        except Exception as error:  # any refusal here is the failure
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tab, args=(case,)) for case in (first, first, second, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert IdentityRead.objects.filter(person=supervisor).count() == 2
    assert not Brake.objects.exists()


def test_the_database_refuses_a_brake_lifted_by_its_own_person(supervisor):
    """Past the service too: a brake's person is never the one who lifts it."""
    item = Brake.objects.create(person=supervisor, tripped_at=timezone.now(), window="hour", assigned=False, limit=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Brake.objects.filter(pk=item.pk).update(lifted_at=timezone.now(), lifted_by=supervisor)
