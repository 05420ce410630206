"""A case's support: placements, referrals, training, sessions, assistance and its plan.

Every view fetches the case with get_case_for_user (404 to outsiders), validates
with a form, makes one service call and redirects; an invalid form re-renders
the page with its errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors.access import get_case_for_user
from defectors.models import Case
from support import services
from support.access import (
    get_assistance_for_user,
    get_goal_for_user,
    get_placement_for_user,
    get_session_for_user,
    get_task_for_user,
    get_training_for_user,
)
from support.forms import (
    AssistanceForm,
    CheckOutForm,
    DeclineForm,
    GoalForm,
    PlacementForm,
    ReferralForm,
    SessionForm,
    TaskForm,
    TrainingForm,
)
from support.models import Assistance, Goal, Placement, Referral, SupportSession, Task, TrainingEnrolment
from vault.fields import is_shredded

CASE_ROLES = User.CASE_ROLES


def _blank_forms(case: Case) -> dict[str, forms.BaseForm]:
    return {
        # Each form that adds a row carries a fresh one-time token (defectors.once.OneTimeTokenMixin).
        "placement_form": PlacementForm(prefix="placement"),
        "referral_form": ReferralForm(prefix="referral"),
        "training_form": TrainingForm(prefix="training"),
        "session_form": SessionForm(prefix="session"),
        "assistance_form": AssistanceForm(prefix="assistance"),
        "goal_form": GoalForm(prefix="goal"),
        "task_form": TaskForm(prefix="task", case=case),
        "checkout_form": CheckOutForm(prefix="checkout"),
    }


def _closed_as(case: Case) -> str:
    """ "shredded", "closed" or "": a closed or shredded case offers no form that adds a row
    (the services refuse one anyway), only a line that says why."""
    if case.shredded_at or is_shredded(case):
        return "shredded"
    return "closed" if case.status == Case.Status.CLOSED else ""


def _page(request: AuthenticatedRequest, case: Case, **bound: Any) -> HttpResponse:
    """The case's support page; ``bound`` replaces a blank form with one that has errors.

    Counted by the exfiltration brake, refused while it is on (IdentityRefused): the page is
    made of free text that places and names the person (the shelter, goals, tasks, what
    assistance was for, session notes). Posts that only write keep working while braked.
    """
    brake.admit(by=request.user, cases=[case])
    placements = list(Placement.objects.filter(case=case).select_related("shelter"))
    context = {
        "case": case,
        "closed_as": _closed_as(case),
        "placements": placements,
        "placed": any(placement.checked_out_on is None for placement in placements),
        "referrals": Referral.objects.filter(case=case).select_related("provider").with_consent_flag(),
        "trainings": TrainingEnrolment.objects.filter(case=case).select_related("provider"),
        "sessions": SupportSession.objects.filter(case=case).select_related("provider"),
        "assistance": Assistance.objects.filter(case=case).select_related("approved_by", "declined_by"),
        "goals": Goal.objects.filter(case=case),
        "tasks": Task.objects.filter(case=case).select_related("owner"),
        "is_supervisor": request.user.role == User.Role.SUPERVISOR,
        "today": timezone.localdate(),
        **_blank_forms(case),
        **bound,
    }
    return render(request, "support/case.html", context, status=400 if bound else 200)


def _back(case: Case, anchor: str) -> HttpResponse:
    return redirect(reverse("support:case", args=[case.code]) + f"#{anchor}")


@role_required(*CASE_ROLES)
def case_support(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    return _page(request, case)


def _run(
    request: AuthenticatedRequest, case: Case, form: forms.BaseForm, name: str, call: Any, done: str
) -> HttpResponse:
    """Validate ``form``, then ``call(form.cleaned_data)``; its ValidationError is shown on the form."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, done)
            return _back(case, name)
    return _page(request, case, **{f"{name}_form": form})


@role_required(*CASE_ROLES)
@require_POST
def place(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = PlacementForm(request.POST, prefix="placement")
    return _run(
        request, case, form, "placement",
        lambda data: services.place_in_shelter(case=case, by=request.user, **data),
        _("Placed in the shelter."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def check_out(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    placement = get_placement_for_user(request.user, case, pk)
    form = CheckOutForm(request.POST, prefix="checkout", checked_in_on=placement.checked_in_on)
    return _run(
        request, case, form, "checkout",
        lambda data: services.check_out(placement=placement, by=request.user, on=data["checked_out_on"]),
        _("Checked out."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def refer(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = ReferralForm(request.POST, prefix="referral")
    return _run(
        request, case, form, "referral",
        lambda data: services.create_referral(case=case, by=request.user, **data),
        _("Referral drafted: open it to send it."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def enrol(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = TrainingForm(request.POST, prefix="training")
    return _run(
        request, case, form, "training",
        lambda data: services.enrol_in_training(case=case, by=request.user, token=data.pop("token"), fields=data),
        _("Training enrolment saved."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def add_session(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = SessionForm(request.POST, prefix="session")
    return _run(
        request, case, form, "session",
        lambda data: services.plan_session(case=case, by=request.user, token=data.pop("token"), fields=data),
        _("Session saved."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def add_assistance(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = AssistanceForm(request.POST, prefix="assistance")
    return _run(
        request, case, form, "assistance",
        lambda data: services.record_assistance(case=case, by=request.user, token=data.pop("token"), fields=data),
        _("Assistance recorded."),
    )  # fmt: skip


@role_required(User.Role.SUPERVISOR)
@require_POST
def approve_assistance(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    assistance = get_assistance_for_user(request.user, case, pk)
    try:
        services.approve_assistance(assistance=assistance, by=request.user)
    except ValidationError as error:  # already approved or declined: nothing changed
        messages.info(request, error.messages[0])
    else:
        messages.success(request, _("Assistance approved."))
    return _back(case, "assistance")


@role_required(User.Role.SUPERVISOR)
def decline_assistance(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """A small page that asks why: the entry's kind, amount and date (nothing sealed is opened)
    and the reason, required."""
    case = get_case_for_user(request.user, code)
    assistance = get_assistance_for_user(request.user, case, pk)
    if not assistance.awaiting_approval:
        messages.info(request, services.ALREADY_DECIDED)
        return _back(case, "assistance")
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_assistance(assistance=assistance, by=request.user, reason=form.cleaned_data["reason"])
        except services.AlreadyDecided as error:  # decided since this page was shown: nothing changed
            messages.info(request, error.messages[0])
            return _back(case, "assistance")
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Assistance declined."))
            return _back(case, "assistance")
    status = 400 if form.is_bound else 200
    return render(request, "support/decline.html", {"case": case, "item": assistance, "form": form}, status=status)


@role_required(*CASE_ROLES)
@require_POST
def add_goal(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = GoalForm(request.POST, prefix="goal")
    return _run(
        request, case, form, "goal",
        lambda data: services.add_goal(case=case, by=request.user, token=data.pop("token"), fields=data),
        _("Goal added."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def add_task(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    form = TaskForm(request.POST, prefix="task", case=case)
    return _run(
        request, case, form, "task",
        lambda data: services.add_task(case=case, by=request.user, token=data.pop("token"), fields=data),
        _("Task added."),
    )  # fmt: skip


@role_required(*CASE_ROLES)
@require_POST
def complete_task(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    task = get_task_for_user(request.user, case, pk)
    services.complete_task(task=task, by=request.user)
    messages.success(request, _("Task done."))
    return _back(case, "plan")


@role_required(*CASE_ROLES)
def edit_training(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """Attendance, completion and the certificate, recorded as the course goes on."""
    case = get_case_for_user(request.user, code)
    enrolment = get_training_for_user(request.user, case, pk)
    brake.admit(by=request.user, cases=[case])  # the programme is sealed: it can say where the person is
    form = TrainingForm(request.POST or None, instance=enrolment)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_training(
                enrolment=enrolment,
                by=request.user,
                fields={name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Training enrolment saved."))
            return _back(case, "training")
    return render(request, "support/training_edit.html", {"case": case, "form": form})


@role_required(*CASE_ROLES)
@require_POST
def session_attendance(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    session = get_session_for_user(request.user, case, pk)
    attended = request.POST.get("attended")
    if attended not in ("yes", "no"):
        messages.error(request, _("Say whether the session took place."))
        return _back(case, "session")
    try:
        services.record_attendance(session=session, by=request.user, attended=attended == "yes")
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Attendance recorded."))
    return _back(case, "session")


@role_required(*CASE_ROLES)
@require_POST
def goal_status(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    goal = get_goal_for_user(request.user, case, pk)
    try:
        services.set_goal_status(goal=goal, by=request.user, status=request.POST.get("status", ""))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Goal saved."))
    return _back(case, "plan")
