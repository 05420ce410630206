"""Time to support: each person taken in counts once, in the quarter of their first completed referral."""

from __future__ import annotations

import pytest

from defectors.models import Case
from reporting import compute
from support.models import Provider, Referral
from tests.factories import CaseFactory
from tests.reporting.world import in_quarter, moment, take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def refer(caseworker):  # type: ignore[no-untyped-def]
    provider = Provider.objects.create(name="Partner", services=["shelter", "legal"])

    def make(case: Case, quarter: str, status: str = Referral.Status.COMPLETED, day: int = 20) -> Referral:
        return Referral.objects.create(
            case=case, provider=provider, service_type="shelter", status=status,
            status_changed_at=moment(in_quarter(quarter, day)), created_by=caseworker,
        )  # fmt: skip

    return make


def test_each_person_counts_once_at_their_first_completed_referral(caseworker, refer):
    twice = take_in("2025-Q1", by=caseworker)
    refer(twice, "2025-Q3")
    refer(twice, "2025-Q2")  # written later, completed earlier: this one is the first
    declined_first = take_in("2025-Q1", by=caseworker)
    refer(declined_first, "2025-Q1", status=Referral.Status.DECLINED)
    refer(declined_first, "2025-Q3")
    tied = take_in("2025-Q1", by=caseworker)
    refer(tied, "2025-Q2")
    refer(tied, "2025-Q2")  # the same moment: still one person
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)  # not taken in: never counted
    refer(draft, "2025-Q2")
    late = take_in("2025-Q1", by=caseworker)
    refer(late, "2026-Q2")  # after the quarters asked for

    counts = compute.count_atoms("2025-Q1", "2025-Q4", populations=[compute.FIRST_SUPPORT])

    assert counts == {"first_support|2025-Q2": 2, "first_support|2025-Q3": 1}


def test_time_to_support_quartiles_are_over_people_not_referrals(caseworker, refer):
    for case_quarters in (["2025-Q2", "2025-Q3"], ["2025-Q2", "2025-Q2"], ["2025-Q3"]):
        case = take_in("2025-Q1", by=caseworker)
        for quarter in case_quarters:
            refer(case, quarter)

    quartiles = compute.support_quantiles(["2025"])

    # Intake on 10 February; first completed referral on 20 May (twice) and 20 August: 99, 99 and 191
    # days. A tie counted twice would make it 99, 99, 99, 191 and the upper quartile 122.
    assert quartiles == {"2025": (3, [99.0, 99.0, 145.0])}
