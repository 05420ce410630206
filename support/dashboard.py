"""What the dashboard shows: a fixed number of queries at any number of cases.

Each list is capped (LIMIT) and counted in SQL; nothing is decrypted but task
titles and shelter names (organisation key: one for all). Occupancy and workload
are also drawn as charts (charts.svg), each beside the table with its numbers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from accounts.models import User
from charts.svg import bar_chart
from defectors.models import Case
from health import heartbeats
from support.models import AWAITING_APPROVAL, Assistance, Placement, Referral, Shelter, Task

LIMIT = 10
# Plot width of the dashboard's charts, CSS pixels: with labels the SVG is about 300 px wide,
# so on a 360 px phone it shrinks little and its text stays readable.
CHART_WIDTH = 160
OPEN = [Case.Status.ACTIVE, Case.Status.REOPENED]


def dashboard(user: User, *, today: datetime.date | None = None) -> dict[str, Any]:
    """The dashboard's context for ``user`` (caseworker: their cases; supervisor: all)."""
    today = today or timezone.localdate()
    supervisor = user.role == User.Role.SUPERVISOR
    case_ids = Case.objects.visible_to(user).values("pk")
    cases = Case.objects.visible_to(user).filter(shredded_at__isnull=True).select_related("assigned_to")
    fields = ("code", "status", "urgency", "next_follow_up", "assigned_to__username")
    urgent = Q(urgency=Case.Urgency.URGENT, status__in=[*OPEN, Case.Status.INTAKE])
    overdue = Q(status__in=OPEN, next_follow_up__lt=today)
    # Two counts, each answered from a partial index alone (defectors_case_urgent,
    # defectors_case_open_due): one count over both conditions read every matching row.
    counts = {"urgent": cases.filter(urgent).count(), "overdue": cases.filter(overdue).count()}
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
    overdue_follow_ups = list(cases.filter(overdue).only(*fields).order_by("next_follow_up")[:LIMIT])
    context: dict[str, Any] = {
        "supervisor": supervisor,
        "today": today,
        "urgent": list(cases.filter(urgent).only(*fields).order_by("-created_at")[:LIMIT]),
        "overdue_follow_ups": overdue_follow_ups,
        # The rest are in the case list filtered the same way (defectors.search.filter_cases:
        # open, follow-up before today). Urgent cases have no such filter (it would add closed ones).
        "more_overdue": counts["overdue"] - len(overdue_follow_ups),
        "counts": counts,
        "tasks": list(tasks.order_by("due_on")[:LIMIT]),
        "waiting": list(waiting.order_by("status_changed_at")[:LIMIT]),
        "waiting_days": settings.HAVEN_REFERRAL_WAITING_DAYS,
        "ending": list(ending.order_by("expected_end")[:LIMIT]),
        "shelters": shelters,
        "occupancy_chart": occupancy_chart(shelters),
        "limit": LIMIT,
    }
    if supervisor:
        context["workload"] = workload(today)
        context["workload_chart"] = workload_chart(context["workload"])
        context["awaiting_count"], context["awaiting"] = awaiting_approval()
        context["late_background_work"] = late_background_work()
    return context


def late_background_work() -> list[str]:
    """Plain warnings for a supervisor: the worker, beat or the daily reminders are late (one query).

    health.heartbeats says how late is late; the administrator's /healthz reads the same.
    Without a broker (a laptop: tasks run in the web process) there is no worker or beat to miss.
    """
    warnings = {
        "worker": _(
            "The background worker has not been seen for a few minutes: reminders, reports and backups "
            "are not being done. Tell the administrator."
        ),
        "beat": _(
            "The scheduler has not run for a few minutes: the daily reminders will not be sent. Tell the administrator."
        ),
        "reminders": _(
            "The daily reminders have not run in the last 25 hours: nobody is told of overdue follow-ups, "
            "tasks and referrals. Tell the administrator."
        ),
    }
    late = heartbeats.overdue(names=tuple(warnings))
    return [] if settings.CELERY_TASK_ALWAYS_EAGER else [warnings[name] for name in late]


def awaiting_approval() -> tuple[int, list[Assistance]]:
    """Assistance waiting for a supervisor: how many, and the newest LIMIT (by date given) with
    their case codes. Two queries over the partial index support_assistance_awaiting; the count
    reads that index alone.

    Supervisors only, who see every case (Case.objects.visible_to): no filter by case, which
    would read the case table. A shredded case's entry stays listed: it still awaits a decision.
    """
    # The plain manager: the vault's would fetch each row's key, and no value is opened here.
    awaiting = Assistance._base_manager.filter(AWAITING_APPROVAL)
    newest = (
        awaiting.select_related("case")
        .only("kind", "amount", "currency", "given_on", "case__code")
        .order_by("-given_on", "-id")[:LIMIT]
    )
    return awaiting.count(), list(newest)


@dataclass(frozen=True)
class Workload:
    username: str
    open_cases: int
    overdue_follow_ups: int
    overdue_tasks: int


def workload(today: datetime.date) -> list[Workload]:
    """Each active caseworker's open cases, overdue follow-ups and overdue tasks: three queries,
    each a GROUP BY over one table (no join of users with cases and tasks multiplying rows).

    Counted live, never kept: what is counted (``COUNT(*)``, ``COUNT(next_follow_up)``) is in
    the partial index on open cases (assigned_to, next_follow_up) and the tasks' (owner,
    done_at, due_on), so PostgreSQL answers without reading a table row (an index-only scan: about 8 ms for 83,000
    open cases, against 80 ms for ``COUNT(id)``, which reads every row; README, Performance).
    """
    open_case = Q(status__in=OPEN, shredded_at__isnull=True)
    per_case = {
        row["assigned_to"]: row
        for row in Case.objects.filter(open_case, assigned_to__isnull=False)
        .order_by()
        .values("assigned_to")
        .annotate(open_cases=Count("*"), overdue=Count("next_follow_up", filter=Q(next_follow_up__lt=today)))
    }
    per_owner = dict(
        # The plain manager: the vault's would join each task's case for its key.
        Task._base_manager.filter(done_at__isnull=True, due_on__lt=today)
        .order_by()
        .values("owner")
        .annotate(n=Count("*"))
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


def occupancy_chart(shelters: list[Shelter]) -> SafeString | None:
    """One row per shelter: occupied and free beds, stacked (a full shelter draws no free segment).

    ``shelters`` as Shelter.objects.with_occupancy() annotates them; None when there are none.
    """
    if not shelters:
        return None
    return bar_chart(
        [shelter.name for shelter in shelters],
        [
            (_("Occupied"), [shelter.occupied for shelter in shelters]),  # type: ignore[attr-defined]
            (_("Free"), [max(shelter.free, 0) for shelter in shelters]),  # type: ignore[attr-defined]
        ],
        title=_("Shelter occupancy"),
        value_title=_("beds"),
        stacked=True,
        width=CHART_WIDTH,
    )


def workload_chart(rows: list[Workload]) -> SafeString | None:
    """One row per caseworker: open cases, and overdue items (follow-ups and tasks) beside them.

    None when there is no caseworker.
    """
    if not rows:
        return None
    return bar_chart(
        [row.username for row in rows],
        [
            (_("Open cases"), [row.open_cases for row in rows]),
            (_("Overdue items"), [row.overdue_follow_ups + row.overdue_tasks for row in rows]),
        ],
        title=_("Workload per caseworker"),
        value_title=_("cases or items"),
        width=CHART_WIDTH,
    )
