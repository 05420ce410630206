"""What the dashboard shows: a fixed number of queries at any number of cases.

Each list is capped (LIMIT) and counted in SQL; nothing is decrypted but task
titles and shelter names (organisation key: one for all).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from defectors.models import Case
from support.models import Placement, Referral, Shelter, Task

LIMIT = 10
OPEN = [Case.Status.ACTIVE, Case.Status.REOPENED]


CHART_LEFT = 60  # SVG units for the labels; the bars get the next 100


@dataclass(frozen=True)
class Bar:
    """One row of a server-drawn bar chart, in SVG units (templates/support/_bar_chart.html)."""

    label: str
    value: int
    rest: int  # a second, stacked segment (free beds), or 0
    y: int
    text_y: int
    width: str
    rest_x: str
    rest_width: str


def bars(rows: list[tuple[str, int, int]], *, row_height: int = 24) -> tuple[list[Bar], int]:
    """(label, value, rest) rows as horizontal bars scaled to the largest value + rest; and the SVG height."""
    largest = max((value + rest for _label, value, rest in rows), default=0) or 1
    scaled = []
    for n, (label, value, rest) in enumerate(rows):
        width, rest_width = 100 * value / largest, 100 * rest / largest
        scaled.append(
            Bar(
                label,
                value,
                rest,
                n * row_height + 4,
                n * row_height + 17,
                f"{width:.2f}",
                f"{CHART_LEFT + width:.2f}",
                f"{rest_width:.2f}",
            )
        )
    return scaled, max(len(rows), 1) * row_height


def dashboard(user: User, *, today: datetime.date | None = None) -> dict[str, Any]:
    """The dashboard's context for ``user`` (caseworker: their cases; supervisor: all)."""
    today = today or timezone.localdate()
    supervisor = user.role == User.Role.SUPERVISOR
    case_ids = Case.objects.visible_to(user).values("pk")
    cases = Case.objects.visible_to(user).filter(shredded_at__isnull=True).select_related("assigned_to")
    fields = ("code", "status", "urgency", "next_follow_up", "assigned_to__username")
    urgent = Q(urgency=Case.Urgency.URGENT, status__in=[*OPEN, Case.Status.INTAKE])
    overdue = Q(status__in=OPEN, next_follow_up__lt=today)
    # Only the rows either count needs (partial indexes on open cases), not every case.
    counts = cases.filter(urgent | overdue).aggregate(
        urgent=Count("pk", filter=urgent), overdue=Count("pk", filter=overdue)
    )
    waited = timezone.now() - datetime.timedelta(days=settings.HAVEN_REFERRAL_WAITING_DAYS)
    waiting = Referral.objects.filter(
        case__in=case_ids, status=Referral.Status.SENT, status_changed_at__lt=waited
    ).select_related("case", "provider")
    tasks = Task.objects.filter(case__in=case_ids, done_at__isnull=True, due_on__lt=today).select_related(
        "case", "owner"
    )
    week = today + datetime.timedelta(days=7)
    ending = Placement.objects.filter(
        case__in=case_ids, checked_out_on__isnull=True, expected_end__lte=week
    ).select_related("case", "shelter")
    shelters = list(Shelter.objects.with_occupancy().filter(active=True))
    occupancy, occupancy_height = bars([(s.name, s.occupied, max(s.free, 0)) for s in shelters])  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "supervisor": supervisor,
        "today": today,
        "urgent": list(cases.filter(urgent).only(*fields).order_by("-created_at")[:LIMIT]),
        "overdue_follow_ups": list(cases.filter(overdue).only(*fields).order_by("next_follow_up")[:LIMIT]),
        "counts": counts,
        "tasks": list(tasks.order_by("due_on")[:LIMIT]),
        "waiting": list(waiting.order_by("status_changed_at")[:LIMIT]),
        "waiting_days": settings.HAVEN_REFERRAL_WAITING_DAYS,
        "ending": list(ending.order_by("expected_end")[:LIMIT]),
        "shelters": shelters,
        "occupancy": occupancy,
        "occupancy_height": occupancy_height,
        "limit": LIMIT,
    }
    if supervisor:
        context["workload"] = workload(today)
        context["workload_bars"], context["workload_height"] = bars(
            [(row.username, row.open_cases, 0) for row in context["workload"]]
        )
    return context


@dataclass(frozen=True)
class Workload:
    username: str
    open_cases: int
    overdue_follow_ups: int
    overdue_tasks: int


def workload(today: datetime.date) -> list[Workload]:
    """Each active caseworker's open cases, overdue follow-ups and overdue tasks: three queries,
    each a GROUP BY over one table (no join of users with cases and tasks multiplying rows)."""
    open_case = Q(status__in=OPEN, shredded_at__isnull=True)
    per_case = {
        row["assigned_to"]: row
        for row in Case.objects.filter(open_case, assigned_to__isnull=False)
        .order_by()
        .values("assigned_to")
        .annotate(open_cases=Count("pk"), overdue=Count("pk", filter=Q(next_follow_up__lt=today)))
    }
    per_owner = dict(
        Task.objects.filter(done_at__isnull=True, due_on__lt=today)
        .order_by()
        .values("owner")
        .annotate(n=Count("pk"))
        .values_list("owner", "n")
    )
    rows = [
        Workload(
            username,
            per_case.get(pk, {}).get("open_cases", 0),
            per_case.get(pk, {}).get("overdue", 0),
            per_owner.get(pk, 0),
        )
        for pk, username in User.objects.filter(role=User.Role.CASEWORKER, is_active=True).values_list("pk", "username")
    ]
    return sorted(rows, key=lambda row: (-row.open_cases, row.username))
