"""Referrals: the list, one referral, its transitions and the packet shown once on sending."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors.access import get_case_for_user
from defectors.models import Case
from support import services
from support.access import get_referral_for_user
from support.forms import ExplicitConsentForm, TransitionForm
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

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
MICROSECOND = datetime.timedelta(microseconds=1)
# A row's place in the list: its creation time in microseconds since 1970 and its id (hex).
CURSOR = re.compile(r"([0-9]{1,17})\.([0-9a-f]{32})")


class BadCursor(ValueError):
    """A page link that does not parse: hand-made, cut short, or from another version."""


def cursor_for(referral: Referral) -> str:
    """Where ``referral`` stands in the list: ``"<created_at in µs since 1970>.<id hex>"``."""
    return f"{(referral.created_at - EPOCH) // MICROSECOND}.{referral.pk.hex}"


def _parse(cursor: str) -> tuple[datetime.datetime, uuid.UUID]:
    found = CURSOR.fullmatch(cursor)
    if found is None:
        raise BadCursor(cursor)
    try:
        return EPOCH + int(found.group(1)) * MICROSECOND, uuid.UUID(hex=found.group(2))
    except OverflowError:
        raise BadCursor(cursor) from None


class Page:
    """One page of the referral list, newest first, by keyset: no total, no OFFSET.

    ``after`` (the "Older" link) is the cursor of the last row shown, ``before`` ("Newer")
    of the first; the page reads PAGE_SIZE + 1 rows from that place in the order
    (created_at, id), both descending, and the extra row only says whether there are
    more. A cursor is a time and a random id (``_cursor``): it names no one, and a
    forged one only moves the window over the rows the person may see anyway.
    Raises BadCursor for a cursor that does not parse.
    """

    def __init__(self, rows: Any, *, after: str = "", before: str = "") -> None:
        if before:
            at, pk = _parse(before)
            newer = rows.filter(created_at__gte=at).filter(Q(created_at__gt=at) | Q(pk__gt=pk))
            fetched = list(newer.order_by("created_at", "id")[: PAGE_SIZE + 1])
            self.has_previous = len(fetched) > PAGE_SIZE
            self.has_next = True  # the row the cursor named, or where it pointed
            self.object_list = fetched[:PAGE_SIZE][::-1]
        else:
            if after:
                at, pk = _parse(after)
                rows = rows.filter(created_at__lte=at).filter(Q(created_at__lt=at) | Q(pk__lt=pk))
            fetched = list(rows.order_by("-created_at", "-id")[: PAGE_SIZE + 1])
            self.has_previous = bool(after)
            self.has_next = len(fetched) > PAGE_SIZE
            self.object_list = fetched[:PAGE_SIZE]
        # No link from an empty page: there is no row to page from.
        self.newer = cursor_for(self.object_list[0]) if self.has_previous and self.object_list else ""
        self.older = cursor_for(self.object_list[-1]) if self.has_next and self.object_list else ""

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
    )
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    context: dict[str, Any] = {"status": status, "statuses": Referral.Status.choices}
    try:
        page = Page(referrals, after=request.GET.get("after", ""), before=request.GET.get("before", ""))
    except BadCursor:
        context["broken_link"] = True
        return render(request, "support/referral_list.html", context, status=400)
    context["page"] = page
    return render(request, "support/referral_list.html", context)


@role_required(*User.CASE_ROLES)
def referral_detail(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    referral = get_referral_for_user(request.user, case, pk)
    return _detail(request, case, referral)


def _detail(
    request: AuthenticatedRequest, case: Case, referral: Referral, consent_form: ExplicitConsentForm | None = None
) -> HttpResponse:
    """The referral page; ``consent_form`` bound with its errors when a recorded date was refused."""
    brake.admit(by=request.user, cases=[case])  # the referral's note, reason and outcome: free text
    consent = services.sharing_consent(case)
    problems = services.sharing_problems(referral, consent=consent) if referral.is_open else []
    # "Send" is offered only when it would work; otherwise the page says what is missing.
    actions = [
        (status, TRANSITION_LABELS[status][0], TRANSITION_LABELS[status][1],
         TransitionForm(initial={"to": status, "version": referral.version}))
        for status in referral.next_statuses()
        if not (status == Referral.Status.SENT and problems)
    ]  # fmt: skip
    if consent_form is None and referral.can_record_explicit_consent:
        consent_form = ExplicitConsentForm()
    context = {
        "case": case,
        "referral": referral,
        "events": referral.events.select_related("by"),
        "actions": actions,
        "sharing_problems": problems,
        "consent": consent,
        "consent_form": consent_form,
    }
    refused = consent_form is not None and bool(consent_form.errors)
    return render(request, "support/referral.html", context, status=400 if refused else 200)


@role_required(*User.CASE_ROLES)
@require_POST
def referral_explicit_consent(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """Record the explicit-consent date a mental-health draft was drafted without."""
    case = get_case_for_user(request.user, code)
    referral = get_referral_for_user(request.user, case, pk)
    form = ExplicitConsentForm(request.POST)
    if not form.is_valid():
        return _detail(request, case, referral, consent_form=form)
    try:
        on = form.cleaned_data["explicit_consent_on"]
        services.record_explicit_consent(referral=referral, by=request.user, on=on)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Explicit consent recorded."))
    return redirect("support:referral", code=case.code, pk=referral.pk)


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
