"""Finding cases: the list's filters and the exact search by identifying values.

One statement of each, used by the case list (defectors.views.cases) and by
its plaintext twin in bench/cases.py, so the benchmark measures the same rule.
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol, TypeVar

from django.db.models import QuerySet
from django.utils import timezone

from defectors.forms import UNASSIGNED
from defectors.models import follow_up_overdue_q, follow_up_within_q

Q = TypeVar("Q", bound=QuerySet[Any])


class Matchable(Protocol):
    """A queryset that finds rows by identifying values (VaultQuerySet.matching, CaseQuerySet.named)."""

    def matching(self, **values: Any) -> list[Any]: ...

    def named(self, *names: str, born: datetime.date) -> list[Any]: ...


def filter_cases(cases: Q, data: dict[str, Any], *, today: datetime.date | None = None) -> Q:
    """``cases`` narrowed by a valid CaseFilterForm's cleaned data.

    Status, urgency, branch, intake month; caseworker (a username, or
    forms.UNASSIGNED); follow-up "overdue" (before ``today``, default the local
    date) or "this_week" (``today`` and the 6 days after), open cases only: the
    rules of Case.objects.follow_up_overdue.
    """
    for name in ("status", "urgency", "branch"):
        if data.get(name):
            cases = cases.filter(**{name: data[name]})
    if data.get("intake_month"):
        cases = cases.filter(intake_month=data["intake_month"].replace(day=1))
    if data.get("caseworker") == UNASSIGNED:
        cases = cases.filter(assigned_to__isnull=True)
    elif data.get("caseworker"):
        cases = cases.filter(assigned_to__username=data["caseworker"])
    today = today or timezone.localdate()
    if data.get("follow_up") == "overdue":
        cases = cases.filter(follow_up_overdue_q(today))
    elif data.get("follow_up") == "this_week":
        cases = cases.filter(follow_up_within_q(today, today + datetime.timedelta(days=6)))
    return cases


def search_cases(
    cases: Matchable, *, service_number: str = "", full_name: str = "", date_of_birth: datetime.date | None = None
) -> list[Any]:
    """The rows of ``cases`` matching: by service number, by a full name or an alias with date of birth, or both.

    Values are compared in canonical form (vault/normalise.py).

    Given both, a row must match both. Pass a queryset already limited to what the person may see.
    """
    found: dict[object, Any] = {}
    if service_number:
        found.update((case.pk, case) for case in cases.matching(service_number=service_number))
    if full_name:
        by_name = cases.named(full_name, born=date_of_birth) if date_of_birth else []  # full names and aliases
        found = {case.pk: case for case in by_name if not service_number or case.pk in found}
    return list(found.values())
