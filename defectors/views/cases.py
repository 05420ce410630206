"""The case list, the case page, identity reveal and the actions on a case."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors import record, services
from defectors.access import get_alert_for_user, get_case_for_user
from defectors.forms import (
    AssignForm,
    CaseFilterForm,
    CaseSearchForm,
    ChangeReasonForm,
    CloseForm,
    DuplicateOutcomeForm,
    IdentityForm,
    RevealForm,
    ShredRequestForm,
    WithdrawConsentForm,
)
from defectors.models import Case, Consent, DuplicateAlert, WithdrawalTask
from defectors.search import filter_cases, search_cases

PAGE_SIZE = 25
LEVEL_ORDER = ["critical", "high", "medium", "low"]
# How the case page offers each status change, and the form that change needs (if any).
STATUS_ACTIONS: dict[str, tuple[str | Promise, type[CloseForm] | None]] = {
    Case.Status.CLOSED: (gettext_lazy("Close the case"), CloseForm),
    Case.Status.REOPENED: (gettext_lazy("Reopen the case"), None),
}
LIST_FIELDS = (
    "code", "status", "urgency", "assigned_to", "next_follow_up", "intake_month", "created_at", "shredded_at",
    "intake_submitted_at",
)  # fmt: skip
LIST_ORDER = {"": ("-urgency", "-created_at"), "follow_up": ("next_follow_up", "-urgency", "-created_at")}


@role_required(*User.CASE_ROLES)
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    all_cases = request.user.role == User.Role.SUPERVISOR
    filters = CaseFilterForm(request.GET or None, all_cases=all_cases)
    search = CaseSearchForm(request.POST or None)
    today = timezone.localdate()
    cases = (
        Case.objects.visible_to(request.user)
        .select_related("assigned_to")
        .only(*LIST_FIELDS, "assigned_to__username")
        .with_follow_up_state(today=today)
    )
    if request.method == "POST":
        # Search results: a handful of exact matches, shown on this response only.
        cases = cases.filter(pk__in=[case.pk for case in _found(request.user, search)])
    elif filters.is_bound:
        cases = filter_cases(cases, filters.cleaned_data, today=today) if filters.is_valid() else cases.none()
    order = LIST_ORDER[filters.cleaned_data.get("sort", "") if filters.is_bound and filters.is_valid() else ""]
    page = Paginator(cases.order_by(*order), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    open_alerts = DuplicateAlert.objects.filter(resolved_at__isnull=True).count() if all_cases else 0
    context = {
        "form": filters,
        "search": search,
        "page": page,
        "query": query.urlencode(),
        "open_alerts": open_alerts,
        "all_cases": all_cases,
    }
    return render(request, "defectors/case_list.html", context)


def _found(user: User, search: CaseSearchForm) -> list[Case]:
    """The cases matching a search by identifying values, audited and counted by the exfiltration brake.

    A match answers "this person is registered here" as a reveal would: each is counted before
    the answer, and a braked person gets no answer at all (not even "nothing found").
    Raises IdentityRefused (accounts.brake).
    """
    if not search.is_valid():
        return []
    brake.refuse_if_braked(by=user)
    found = search_cases(Case.objects.visible_to(user), **search.cleaned_data)
    searched = [name for name, value in search.cleaned_data.items() if value]
    services.record_search(by=user, fields=searched, found=len(found))
    brake.admit(by=user, cases=found)
    return found


@role_required(*User.CASE_ROLES)
def case_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    # The notes' texts and the follow-up's purpose (free text that names people and places) are
    # shown on request only, counted by the exfiltration brake: the page itself stays for everyone.
    texts_shown = request.GET.get("texts") == "show" and not case.shredded_at
    if texts_shown:
        brake.admit(by=request.user, cases=[case])
    history: dict[str, list[Consent]] = {kind: [] for kind in Consent.Kind.values}
    for consent in case.consents.select_related("recorded_by", "withdrawal_recorded_by"):
        history[consent.kind].append(consent)  # newest first (Consent.Meta.ordering)
    now = timezone.now()
    notes = list(case.notes.select_related("author"))
    context = {
        "case": case,
        # Unmet needs first, the most urgent first; met ones after.
        "needs": sorted(case.needs.all(), key=lambda need: (need.met_on is not None, LEVEL_ORDER.index(need.urgency))),
        # (kind, label, the latest consent or None, its history newest first, the withdrawal form)
        "consents": [
            (
                kind,
                label,
                history[kind][0] if history[kind] else None,
                history[kind],
                WithdrawConsentForm(prefix=kind, initial={"withdrawn_on": timezone.localdate()}),
            )
            for kind, label in Consent.Kind.choices
        ],
        "notes": [(note, note.editable_by(request.user.pk, now)) for note in notes],
        "texts_shown": texts_shown,
        "risk_history": case.risk_assessments.select_related("assessed_by")[:10],
        "follow_up_overdue": case.is_open and case.next_follow_up and case.next_follow_up < timezone.localdate(),
        "editable": case.status != Case.Status.INTAKE and not case.shredded_at,
        "family_count": case.family.count(),
        # One page, three reason boxes: each form its own ids, so a label focuses its own box.
        "reveal_form": RevealForm(auto_id="id_reveal_%s"),
        "assign_form": AssignForm(initial={"caseworker": case.assigned_to})
        if request.user.role == User.Role.SUPERVISOR
        else None,
        "status_actions": [
            (
                status,
                STATUS_ACTIONS[status][0],
                form(auto_id="id_close_%s") if (form := STATUS_ACTIONS[status][1]) else None,
            )
            for status in case.next_statuses()
        ],
        "shred_form": ShredRequestForm(auto_id="id_shred_%s") if request.user.role == User.Role.SUPERVISOR else None,
        "duplicate_checks": _duplicate_checks(request.user, case),
        "open_shred_request": case.shred_requests.filter(decided_at__isnull=True)
        .select_related("requested_by")
        .first(),
    }
    return render(request, "defectors/case_detail.html", context)


def _duplicate_checks(user: User, case: Case) -> list[tuple[DuplicateAlert, Case | None]]:
    """This intake's possible duplicates and their outcomes, each with the matched case if ``user`` may see it."""
    alerts = list(DuplicateAlert.objects.filter(case=case).select_related("matched_case", "resolved_by"))
    visible = (
        set(
            Case.objects.visible_to(user)
            .filter(pk__in=[a.matched_case_id for a in alerts])
            .values_list("pk", flat=True)
        )
        if alerts
        else set()
    )
    return [(alert, alert.matched_case if alert.matched_case_id in visible else None) for alert in alerts]


@role_required(*User.CASE_ROLES)
@require_POST
def reveal(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Show identifying fields once, after the audit event is written; nothing is kept afterwards."""
    case = get_case_for_user(request.user, code)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for seeing this person's identity (at least 3 characters)."))
        return redirect(case)
    try:
        services.reveal_identity(case=case, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    return render(request, "defectors/identity.html", {"case": case, "family": case.family.all()})


@role_required(*User.CASE_ROLES)
def edit_identity(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    try:
        services.refuse_if_shredded(case=case)  # before a form shows (or takes) any value
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    if request.method == "GET":
        services.reveal_identity(case=case, by=request.user, reason="opened for editing")
    else:
        brake.admit(by=request.user, cases=[case])  # the bound form compares with the stored values
    form = IdentityForm(request.POST or None, instance=case)
    reason_form = ChangeReasonForm(request.POST or None, prefix="change")
    if request.method == "POST" and form.is_valid() and reason_form.is_valid():
        services.edit_identity(
            case=case,
            by=request.user,
            fields={name: form.cleaned_data[name] for name in IdentityForm.Meta.fields},
            reason=reason_form.cleaned_data["reason"],
        )
        messages.success(request, _("Identity saved."))
        return redirect(case)
    return render(request, "defectors/identity_edit.html", {"case": case, "form": form, "reason_form": reason_form})


@role_required(User.Role.SUPERVISOR)
@require_POST
def assign(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.assign_case(case=case, by=request.user, caseworker=form.cleaned_data["caseworker"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Case assigned."))
    else:
        messages.error(request, _("Choose an active caseworker."))
    return redirect(case)


@role_required(*User.CASE_ROLES)
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
        services.change_status(case=case, by=request.user, status=status, reason=reason)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Status saved."))
    return redirect(case)


@role_required(*User.CASE_ROLES)
@require_POST
def withdraw_consent(request: AuthenticatedRequest, code: str, kind: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if kind not in Consent.Kind.values:
        messages.error(request, _("No such consent."))
        return redirect(case)
    form = WithdrawConsentForm(request.POST, prefix=kind)  # one form per consent on the case page
    if not form.is_valid():
        messages.error(request, _("Give the date the consent was withdrawn (not in the future)."))
        return redirect(case)
    try:
        record.withdraw_consent(case=case, by=request.user, kind=kind, on=form.cleaned_data["withdrawn_on"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The withdrawal is recorded."))
    return redirect(case)


@role_required(User.Role.SUPERVISOR)
@require_POST
def request_shred(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = ShredRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reason for shredding: %(error)s") % {"error": form.errors["reason"][0]})
        return redirect(case)
    try:
        services.request_shred(case=case, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Shredding requested: an administrator must approve it."))
    return redirect(case)


@role_required(User.Role.SUPERVISOR)
def tasks(request: AuthenticatedRequest) -> HttpResponse:
    alerts = DuplicateAlert.objects.visible_to(request.user).select_related("case", "matched_case", "raised_by")
    open_alerts = alerts.filter(resolved_at__isnull=True).prefetch_related("outcomes__decided_by")
    decided = alerts.filter(resolved_at__isnull=False).select_related("resolved_by").order_by("-resolved_at")[:50]
    withdrawals = (
        WithdrawalTask.objects.visible_to(request.user)
        .filter(decided_at__isnull=True)
        .select_related("case", "raised_by")
    )
    context = {
        "open_alerts": [(alert, DuplicateOutcomeForm(auto_id=f"id_task{alert.pk}_%s")) for alert in open_alerts],
        "decided": decided,
        "withdrawals": withdrawals,
    }
    return render(request, "defectors/tasks.html", context)


@role_required(User.Role.SUPERVISOR)
@require_POST
def resolve_task(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request.user, pk)
    form = DuplicateOutcomeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an outcome."))
        return redirect("defectors:tasks")
    services.record_duplicate_outcome(alert=alert, by=request.user, outcome=form.cleaned_data["outcome"])
    label = DuplicateAlert.Outcome(form.cleaned_data["outcome"]).label
    messages.success(
        request, _("Outcome recorded for %(code)s: %(outcome)s.") % {"code": alert.case.code, "outcome": label}
    )
    return redirect("defectors:tasks")
