"""Referrals: the list, one referral, its transitions and the packet shown once on sending."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors.access import get_case_for_user
from support import services
from support.access import get_referral_for_user
from support.forms import TransitionForm
from support.models import Referral

PAGE_SIZE = 25
# How the referral page offers each transition, and which text it asks for.
TRANSITION_LABELS: dict[str, tuple[str | Promise, str]] = {
    Referral.Status.SENT: (gettext_lazy("Send (shows the packet)"), ""),
    Referral.Status.ACCEPTED: (gettext_lazy("Accepted by the provider"), ""),
    Referral.Status.IN_PROGRESS: (gettext_lazy("In progress"), ""),
    Referral.Status.COMPLETED: (gettext_lazy("Completed"), "outcome"),
    Referral.Status.DECLINED: (gettext_lazy("Declined by the provider"), "reason"),
    Referral.Status.CANCELLED: (gettext_lazy("Cancel"), "reason"),
}

# Deeper than anyone pages by hand; keeps OFFSET within PostgreSQL's bigint.
MAX_PAGE = 100_000


class Window:
    """One page of a list without counting the whole list: PAGE_SIZE + 1 rows are read and
    the extra one only says whether there is a next page. Counting 300,000 referrals took
    most of the page's time (README, Performance). ``number`` is 1-based; a malformed or
    out-of-range ``page`` parameter shows the first page (or the last allowed)."""

    paginator = None  # templates/_pagination.html: no total to show

    def __init__(self, rows: Any, page: str | None) -> None:
        try:
            self.number = min(max(int(page or 1), 1), MAX_PAGE)
        except ValueError:
            self.number = 1
        start = (self.number - 1) * PAGE_SIZE
        fetched = list(rows[start : start + PAGE_SIZE + 1])
        self.object_list = fetched[:PAGE_SIZE]
        self.has_next = len(fetched) > PAGE_SIZE
        self.has_previous = self.number > 1
        self.previous_page_number = self.number - 1
        self.next_page_number = self.number + 1

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


@role_required(*User.CASE_ROLES)
def referral_list(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    referrals = (
        Referral.objects.visible_to(request.user)
        .select_related("case", "provider")
        .only("status", "service_type", "status_changed_at", "created_at", "case__code", "provider__name")
        .order_by("-created_at")
    )
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    page = Window(referrals, request.GET.get("page"))
    context = {"page": page, "status": status, "statuses": Referral.Status.choices}
    return render(request, "support/referral_list.html", context)


@role_required(*User.CASE_ROLES)
def referral_detail(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    referral = get_referral_for_user(request.user, case, pk)
    actions = [
        (status, TRANSITION_LABELS[status][0], TRANSITION_LABELS[status][1],
         TransitionForm(initial={"to": status, "version": referral.version}))
        for status in referral.next_statuses()
    ]  # fmt: skip
    context = {
        "case": case,
        "referral": referral,
        "events": referral.events.select_related("by"),
        "actions": actions,
        "sharing_problems": services.sharing_problems(referral) if referral.status in Referral.OPEN_STATUSES else [],
    }
    return render(request, "support/referral.html", context)


@role_required(*User.CASE_ROLES)
@require_POST
def referral_transition(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """Apply one transition; sending answers with the packet, shown this once (never stored)."""
    case = get_case_for_user(request.user, code)
    referral = get_referral_for_user(request.user, case, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That change could not be read: open the referral again."))
        return redirect("support:referral", code=case.code, pk=referral.pk)
    try:
        packet = services.transition_referral(referral=referral, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("support:referral", code=case.code, pk=referral.pk)
    if packet is not None:
        return render(request, "support/packet.html", {"case": case, "referral": referral, "packet": packet})
    messages.success(request, _("Referral updated."))
    return redirect("support:referral", code=case.code, pk=referral.pk)
