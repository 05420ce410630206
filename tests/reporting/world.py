"""A small organisation's history over five quarters (2025 Q1 to 2026 Q1), counted by donor reports."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone

from debriefing.models import DebriefSession, Incident
from defectors.models import Case, Consent
from support.models import Assistance, Placement, Provider, Referral, Shelter, TrainingEnrolment
from tests.factories import CaseFactory, give_consent, schedule_debrief

# The day reports are computed: 2026 Q1 closed on 31 March and its one-month lag has passed.
TODAY = datetime.date(2026, 5, 15)
QUARTERS = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
SENTINEL_NAME = "Sentinel Reportname Zawhtoo"


def in_quarter(quarter: str, day: int = 10) -> datetime.date:
    year, number = quarter.split("-Q")
    return datetime.date(int(year), 3 * (int(number) - 1) + 2, day)


def moment(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def take_in(quarter: str, *, by, branch: str = "army", rank: str = "enlisted", name: str | None = None) -> Case:  # type: ignore[no-untyped-def]
    day = in_quarter(quarter)
    extra = {"full_name": name} if name else {}
    case = CaseFactory(created_by=by, intake_month=day.replace(day=1), branch=branch, rank_band=rank, **extra)
    Case.objects.filter(pk=case.pk).update(intake_submitted_at=moment(day))
    case.refresh_from_db()
    return case


# (quarter, branch, rank band, how many): army is large, the navy a handful (small cells).
INTAKES = [
    ("2025-Q1", "army", "enlisted", 24), ("2025-Q1", "army", "nco", 9), ("2025-Q1", "police", "enlisted", 12),
    ("2025-Q1", "navy", "officer", 1),
    ("2025-Q2", "army", "enlisted", 30), ("2025-Q2", "police", "nco", 11), ("2025-Q2", "navy", "enlisted", 3),
    ("2025-Q3", "army", "enlisted", 21), ("2025-Q3", "army", "officer", 2), ("2025-Q3", "police", "enlisted", 14),
    ("2025-Q4", "army", "enlisted", 26), ("2025-Q4", "police", "enlisted", 10), ("2025-Q4", "air_force", "nco", 4),
    ("2026-Q1", "army", "enlisted", 18), ("2026-Q1", "police", "enlisted", 13), ("2026-Q1", "other", "", 2),
]  # fmt: skip


@pytest.fixture
def reporting_world(caseworker, supervisor, debriefer) -> Callable[[], dict[str, list[Case]]]:  # type: ignore[no-untyped-def]
    def build() -> dict[str, list[Case]]:
        cases: dict[str, list[Case]] = {quarter: [] for quarter in QUARTERS}
        for quarter, branch, rank, n in INTAKES:
            for _ in range(n):
                cases[quarter].append(take_in(quarter, by=caseworker, branch=branch, rank=rank))
        cases["2025-Q2"].append(take_in("2025-Q2", by=caseworker, branch="navy", rank="officer", name=SENTINEL_NAME))
        provider = Provider.objects.create(name="Partner", services=["shelter", "training", "mental_health"])
        shelter = Shelter.objects.create(name="House", beds=200)
        for index, quarter in enumerate(QUARTERS):
            day = in_quarter(quarter, 20)
            for case in cases[quarter][: 12 + index]:
                Referral.objects.create(
                    case=case, provider=provider, service_type="shelter", status=Referral.Status.COMPLETED,
                    status_changed_at=moment(day), created_by=caseworker,
                )  # fmt: skip
            for case in cases[quarter][:3]:
                Referral.objects.create(
                    case=case, provider=provider, service_type="legal", status=Referral.Status.COMPLETED,
                    status_changed_at=moment(day), created_by=caseworker,
                )  # fmt: skip
            for case in cases[quarter][:15]:
                Placement.objects.create(
                    case=case, shelter=shelter, checked_in_on=day, checked_out_on=day, created_by=caseworker
                )
            for case in cases[quarter][:11]:
                TrainingEnrolment.objects.create(
                    case=case, provider=provider, programme="Welding", starts_on=day, ends_on=day, completed=True,
                    created_by=caseworker,
                )  # fmt: skip
            for case in cases[quarter][:4]:
                Assistance.objects.create(
                    case=case, kind="cash", amount=100, currency="USD", given_on=day, purpose="Rent",
                    created_by=caseworker,
                )  # fmt: skip
        for case in cases["2025-Q2"][:12]:
            session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
            give_consent(case, Consent.Kind.TESTIMONY)
            DebriefSession.objects.filter(pk=session.pk).update(
                status=DebriefSession.Status.APPROVED, approved_at=moment(in_quarter("2025-Q3"))
            )
            Incident.objects.create(
                session=session, violation="torture", date_from=datetime.date(2024, 3, 1), region="sagaing",
                created_by=debriefer,
            )  # fmt: skip
        return cases

    return build
