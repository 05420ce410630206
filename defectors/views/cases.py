"""The case list, the case page, identity reveal and the actions on a case."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors import services
from defectors.access import get_case_for_user
from defectors.forms import (
    AssignForm,
    CaseFilterForm,
    CaseSearchForm,
    CloseForm,
    IdentityForm,
    RevealForm,
    ShredRequestForm,
)
from defectors.models import Case, CaseQuerySet, Consent, DuplicateAlert, ShredRequest

ORGANISERS = ("supervisor", "caseworker")
PAGE_SIZE = 25
LEVEL_ORDER = ["critical", "high", "medium", "low"]
LIST_FIELDS = ("code", "status", "urgency", "assigned_to", "next_follow_up", "intake_month", "created_at")


def _filter(cases: CaseQuerySet, form: CaseFilterForm) -> CaseQuerySet:
    data = form.cleaned_data
    for name in ("status", "urgency", "branch"):
        if data.get(name):
            cases = cases.filter(**{name: data[name]})
    if data.get("intake_month"):
        cases = cases.filter(intake_month=data["intake_month"].replace(day=1))
    return cases


def _search(user: User, form: CaseSearchForm) -> list[Case]:
    """Matches in canonical form through the blind indexes; candidates are confirmed by decrypting them."""
    data = form.cleaned_data
    visible = Case.objects.visible_to(user)
    found: dict[object, Case] = {}
    if data.get("service_number"):
        found.update((case.pk, case) for case in visible.matching(service_number=data["service_number"]))
    if data.get("full_name"):
        by_name = visible.named(data["full_name"], born=data["date_of_birth"])  # full names and aliases
        found = {case.pk: case for case in by_name if not data.get("service_number") or case.pk in found}
    return list(found.values())


@role_required(*ORGANISERS)
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    filters = CaseFilterForm(request.GET or None)
    search = CaseSearchForm(request.POST or None)
    cases = (
        Case.objects.visible_to(request.user).select_related("assigned_to").only(*LIST_FIELDS, "assigned_to__username")
    )
    if request.method == "POST":
        # Search results: a handful of exact matches, shown on this response only.
        found = [case.pk for case in _search(request.user, search)] if search.is_valid() else []
        cases = cases.filter(pk__in=found)
    elif filters.is_bound:
        cases = _filter(cases, filters) if filters.is_valid() else cases.none()
    page = Paginator(cases.order_by("-urgency", "-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    open_alerts = (
        DuplicateAlert.objects.filter(resolved_at__isnull=True).count() if request.user.role == "supervisor" else 0
    )
    context = {"form": filters, "search": search, "page": page, "query": query.urlencode(), "open_alerts": open_alerts}
    return render(request, "defectors/case_list.html", context)


@role_required(*ORGANISERS)
def case_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    consents = {consent.kind: consent for consent in case.consents.select_related("recorded_by")}
    context = {
        "case": case,
        "needs": sorted(case.needs.all(), key=lambda need: LEVEL_ORDER.index(need.urgency)),
        "consents": [(kind, label, consents.get(kind)) for kind, label in Consent.Kind.choices],
        "family_count": case.family.count(),
        "reveal_form": RevealForm(),
        "assign_form": AssignForm(initial={"caseworker": case.assigned_to})
        if request.user.role == "supervisor"
        else None,
        "close_form": CloseForm(),
        "shred_form": ShredRequestForm() if request.user.role == "supervisor" else None,
        "open_shred_request": case.shred_requests.filter(decided_at__isnull=True)
        .select_related("requested_by")
        .first(),
    }
    return render(request, "defectors/case_detail.html", context)


@role_required(*ORGANISERS)
@require_POST
def reveal(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Show identifying fields once, after the audit event is written; nothing is kept afterwards."""
    case = get_case_for_user(request.user, code)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for seeing this person's identity (at least 3 characters)."))
        return redirect(case)
    services.reveal_identity(
        case=case, by=request.user, reason=form.cleaned_data["reason"], request_id=request.request_id
    )
    return render(request, "defectors/identity.html", {"case": case, "family": case.family.all()})


@role_required(*ORGANISERS)
def edit_identity(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if case.shredded_at:
        messages.error(request, _("This case is shredded: nothing in it can be changed."))
        return redirect(case)
    if request.method == "GET":
        services.reveal_identity(case=case, by=request.user, reason="opened for editing", request_id=request.request_id)
    form = IdentityForm(request.POST or None, instance=case)
    reason_form = RevealForm(request.POST or None, prefix="change")
    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        services.edit_identity(
            case=case,
            by=request.user,
            fields={name: form.cleaned_data[name] for name in IdentityForm.Meta.fields},
            reason=reason_form.cleaned_data["reason"],
            request_id=request.request_id,
        )
        messages.success(request, _("Identity saved."))
        return redirect(case)
    return render(request, "defectors/identity_edit.html", {"case": case, "form": form, "reason_form": reason_form})


@role_required("supervisor")
@require_POST
def assign(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = AssignForm(request.POST)
    if form.is_valid():
        services.assign_case(
            case=case, by=request.user, caseworker=form.cleaned_data["caseworker"], request_id=request.request_id
        )
        messages.success(request, _("Case assigned."))
    else:
        messages.error(request, _("Choose an active caseworker."))
    return redirect(case)


@role_required(*ORGANISERS)
@require_POST
def change_status(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    status = request.POST.get("status", "")
    reason = ""
    if status == Case.Status.CLOSED:
        form = CloseForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for closing (at most 5,000 characters)."))
            return redirect(case)
        reason = form.cleaned_data["reason"]
    try:
        services.change_status(case=case, by=request.user, status=status, reason=reason, request_id=request.request_id)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Status saved."))
    return redirect(case)


@role_required(*ORGANISERS)
@require_POST
def withdraw_consent(request: AuthenticatedRequest, code: str, kind: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if kind not in Consent.Kind.values:
        messages.error(request, _("No such consent."))
        return redirect(case)
    services.withdraw_consent(case=case, by=request.user, kind=kind, request_id=request.request_id)
    messages.success(request, _("The withdrawal is recorded."))
    return redirect(case)


@role_required("supervisor")
@require_POST
def request_shred(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = ShredRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for shredding."))
        return redirect(case)
    try:
        services.request_shred(
            case=case, by=request.user, reason=form.cleaned_data["reason"], request_id=request.request_id
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Shredding requested: an administrator must approve it."))
    return redirect(case)


@role_required("admin")
def shred_requests(request: AuthenticatedRequest) -> HttpResponse:
    pending = ShredRequest.objects.filter(decided_at__isnull=True).select_related("case", "requested_by")
    decided = ShredRequest.objects.filter(decided_at__isnull=False).select_related("case", "requested_by", "decided_by")
    return render(request, "defectors/shred_requests.html", {"pending": pending, "decided": decided[:50]})


@role_required("admin")
@require_POST
def decide_shred(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    shred_request = get_object_or_404(ShredRequest, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_shred(
            shred_request=shred_request, by=request.user, approve=approve, request_id=request.request_id
        )
    except PermissionDenied:
        messages.error(request, _("Another administrator must decide: you asked for this yourself."))
    else:
        messages.success(request, _("Case shredded.") if approve else _("Request declined."))
    return redirect("defectors:shred_requests")


@role_required("supervisor")
def tasks(request: AuthenticatedRequest) -> HttpResponse:
    alerts = DuplicateAlert.objects.filter(resolved_at__isnull=True).select_related("case", "matched_case", "raised_by")
    return render(request, "defectors/tasks.html", {"alerts": alerts})


@role_required("supervisor")
@require_POST
def resolve_task(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(DuplicateAlert, pk=pk)
    services.resolve_alert(alert=alert, by=request.user, request_id=request.request_id)
    messages.success(request, _("Marked as dealt with."))
    return redirect("defectors:tasks")
