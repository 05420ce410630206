"""Donor pages (published snapshots only) and the staff pages that compute and publish them."""

from __future__ import annotations

import uuid

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.roles import Role
from config import spreadsheets
from reporting import display, services
from reporting.models import Snapshot
from reporting.tables import TABLES

READERS = (Role.DONOR, Role.SUPERVISOR, Role.ADMIN)
PUBLISHERS = (Role.SUPERVISOR, Role.ADMIN)
HISTORY = 40
# What a donor page never loads: the attacker's inputs (cells, counts) are not for display.
HEAVY = ("cells", "counts")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        min_length=3,
        max_length=300,
        help_text=gettext_lazy("Written, sealed, to the audit log. Do not write names here."),
    )


def _published_or_404(pk: uuid.UUID) -> Snapshot:
    return get_object_or_404(Snapshot.objects.published().defer(*HEAVY), pk=pk)


# --- Donors --------------------------------------------------------------------------------------
# Donor pages read nothing from the request but the user and the path: any query string is
# ignored, and the page carries no per-request token (``static_page``), so it is the same bytes.


@role_required(*READERS)
@require_GET
def published(request: AuthenticatedRequest) -> HttpResponse:
    snapshots = Snapshot.objects.published().defer(*HEAVY, "publication", "charts")[:HISTORY]
    return render(request, "reporting/published.html", {"snapshots": snapshots, "static_page": True})


@role_required(*READERS)
@require_GET
def report(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    snapshot = _published_or_404(pk)
    shown = display.tables(snapshot) if snapshot.status == Snapshot.Status.PUBLISHED else []
    return render(request, "reporting/report.html", {"snapshot": snapshot, "tables": shown, "static_page": True})


@role_required(*READERS)
@require_GET
def table_csv(request: AuthenticatedRequest, pk: uuid.UUID, table: str) -> HttpResponse:
    snapshot = get_object_or_404(
        Snapshot.objects.filter(status=Snapshot.Status.PUBLISHED).defer(*HEAVY, "charts"), pk=pk
    )
    if table not in {declared.slug for declared in TABLES}:
        raise Http404
    shown = next((t for t in display.tables(snapshot) if t.slug == table), None)
    if shown is None:
        raise Http404
    services.record_download(snapshot=snapshot, table=table, by=request.user)
    return spreadsheets.csv_response(
        display.csv_bytes(shown), filename=f"haven-{snapshot.period_end:%Y-%m-%d}-{table}.csv"
    )


# --- Supervisors and administrators -------------------------------------------------------------


@role_required(*PUBLISHERS)
@require_GET
def snapshots(request: AuthenticatedRequest) -> HttpResponse:
    rows = list(
        Snapshot.objects.defer(*HEAVY, "publication", "charts").select_related(
            "created_by", "proposed_by", "approved_by", "withdrawn_by"
        )[:HISTORY]
    )
    busy = any(snapshot.is_busy for snapshot in rows)
    public = Snapshot.objects.ever_public().count()
    for snapshot in rows:
        snapshot.is_outdated = snapshot.awaits_publication and snapshot.public_before != public  # type: ignore[attr-defined]
    context = {"snapshots": rows, "busy": busy, "may_start": request.user.role == Role.SUPERVISOR}
    return render(request, "reporting/snapshots.html", context)


@role_required(Role.SUPERVISOR)
@require_POST
def start(request: AuthenticatedRequest) -> HttpResponse:
    try:
        snapshot = services.start_draft(by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("reporting:snapshots")
    snapshot.refresh_from_db(fields=["status"])
    if snapshot.is_busy:
        messages.success(request, _("Computing a draft report. This page shows its progress."))
    elif snapshot.status == Snapshot.Status.DRAFT:  # computed at once (no worker: a laptop)
        messages.success(request, _("The draft report is ready."))
    return redirect("reporting:review", pk=snapshot.pk)


@role_required(*PUBLISHERS)
@require_GET
def review(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    snapshot = get_object_or_404(
        Snapshot.objects.defer(*HEAVY).select_related("created_by", "proposed_by", "approved_by", "withdrawn_by"),
        pk=pk,
    )
    ready = snapshot.computed_at is not None
    stale = snapshot.awaits_publication and snapshot.public_before != Snapshot.objects.ever_public().count()
    context = {
        "stale": stale,
        "snapshot": snapshot,
        "tables": display.tables(snapshot) if ready else [],
        "reason_form": ReasonForm(),
        "may_propose": request.user.role == Role.SUPERVISOR and snapshot.status == Snapshot.Status.DRAFT,
        "may_approve": request.user.role == Role.ADMIN
        and snapshot.status == Snapshot.Status.PROPOSED
        and request.user.pk not in (snapshot.proposed_by_id, snapshot.created_by_id),
        "may_withdraw": snapshot.status == Snapshot.Status.PUBLISHED,
        "approver_role": request.user.role == Role.ADMIN,
    }
    return render(request, "reporting/review.html", context)


def _act(request: AuthenticatedRequest, pk: uuid.UUID, action: str) -> HttpResponse:
    snapshot = get_object_or_404(Snapshot.objects.defer(*HEAVY), pk=pk)
    try:
        if action in ("reject", "withdraw"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(form.errors["reason"][0])
            acted = getattr(services, action)(snapshot=snapshot, by=request.user, reason=form.cleaned_data["reason"])
        else:
            acted = getattr(services, action)(snapshot=snapshot, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The report is now “%(status)s”.") % {"status": acted.get_status_display()})
    return redirect("reporting:review", pk=pk)


@role_required(Role.SUPERVISOR)
@require_POST
@reauthentication_required
def propose(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _act(request, pk, "propose")


@role_required(Role.ADMIN)
@require_POST
@reauthentication_required
def approve(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _act(request, pk, "approve")


@role_required(Role.ADMIN)
@require_POST
@reauthentication_required
def reject(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _act(request, pk, "reject")


@role_required(*PUBLISHERS)
@require_POST
@reauthentication_required
def withdraw(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _act(request, pk, "withdraw")
