"""The multi-step intake. Every step saves on the server; nothing is kept in the browser."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors import services
from defectors.access import get_case_for_user
from defectors.forms import (
    ConsentsForm,
    ContactForm,
    DefectionForm,
    FamilyFormSet,
    IdentityForm,
    NeedsForm,
    RiskForm,
    ServiceForm,
)
from defectors.models import Case

STEPS: list[tuple[str, Any]] = [
    ("identity", _("Identity")),
    ("service", _("Service")),
    ("defection", _("Defection")),
    ("family", _("Family")),
    ("needs", _("Needs")),
    ("risk", _("Risk")),
    ("consents", _("Consents")),
    ("contact", _("Contact and location")),
    ("review", _("Review and open the case")),
]
STEP_NAMES = [name for name, _label in STEPS]
MODEL_FORMS = {
    "identity": IdentityForm,
    "service": ServiceForm,
    "defection": DefectionForm,
    "risk": RiskForm,
    "contact": ContactForm,
}
DUPLICATE_CHECKED = {"identity", "service"}
# Steps whose form shows identifying values already typed: opening one is audited.
SHOWS_IDENTITY = {"identity", "service", "defection", "family", "contact"}


@role_required(*User.CASE_ROLES)
def start(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            token = uuid.UUID(request.POST.get("token", ""))
        except ValueError:
            token = uuid.uuid4()  # a forged or missing token still opens one draft
        case = services.start_intake(by=request.user, token=token)
        return redirect("defectors:intake_step", code=case.code, step="identity")
    drafts = Case.objects.visible_to(request.user).filter(status=Case.Status.INTAKE).only("code", "created_at")
    return render(request, "defectors/intake_start.html", {"token": uuid.uuid4(), "drafts": drafts[:20]})


def _step_form(step: str, case: Case, data: Any = None) -> Any:
    if step in MODEL_FORMS:
        return MODEL_FORMS[step](data, instance=case)
    if step == "family":
        initial = [
            {
                name: getattr(member, name)
                for name in ("relationship", "name", "location", "at_risk", "protection_needed")
            }
            for member in case.family.all()
        ]
        # Bound forms are judged on what was sent alone: compared with the stored rows, a
        # resent page would look "unchanged" and its rows would be dropped.
        return FamilyFormSet(data, initial=None if data is not None else initial, prefix="family")
    if step == "needs":
        return NeedsForm(data, initial=NeedsForm.initial_from(list(case.needs.all())))
    if step == "consents":
        return ConsentsForm(data, initial=ConsentsForm.initial_from(list(case.consents.all())))
    return None


def _save_step(request: AuthenticatedRequest, case: Case, step: str, form: Any) -> None:
    common: dict[str, Any] = {"case": case, "by": request.user}
    if step in MODEL_FORMS:
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        services.save_intake_step(step=step, fields=fields, **common)
    elif step == "family":
        members = [
            {k: v for k, v in f.cleaned_data.items() if k not in ("DELETE",)}
            for f in form.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        services.replace_family(members=members, **common)
    elif step == "needs":
        services.replace_needs(needs=form.needs(), **common)
    elif step == "consents":
        services.record_consents(consents=form.consents(), **common)


@role_required(*User.CASE_ROLES)
def step(request: AuthenticatedRequest, code: str, step: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if step not in STEP_NAMES:
        raise Http404
    if case.status != Case.Status.INTAKE:
        return redirect(case)
    index = STEP_NAMES.index(step)
    next_step = STEP_NAMES[index + 1] if index + 1 < len(STEPS) else None
    if request.method == "GET" and step in SHOWS_IDENTITY:
        services.record_intake_opened(case=case, by=request.user, step=step)
    form = _step_form(step, case, request.POST if request.method == "POST" else None)
    duplicates = None
    if request.method == "POST" and form is not None and form.is_valid():
        _save_step(request, case, step, form)
        if step in DUPLICATE_CHECKED:
            duplicates = services.check_duplicates(case=case, by=request.user)
        if not duplicates:
            return redirect("defectors:intake_step", code=case.code, step=next_step)
    context = {
        "case": case,
        "step": step,
        "steps": STEPS,
        "index": index,
        "next_step": next_step,
        "previous_step": STEP_NAMES[index - 1] if index else None,
        "form": form,
        "duplicates": duplicates,
    }
    if step == "review":
        context["summary"] = _review(case)
        context["still_needed"] = case.opening_problems()
    return render(request, "defectors/intake_step.html", context)


def _review(case: Case) -> list[tuple[str, Any, bool]]:
    """Which steps hold something, without showing any identifying value."""
    filled = {
        "identity": bool(case.full_name or case.other_names),
        "service": bool(case.branch or case.service_number or case.rank),
        "defection": bool(case.defection_date or case.defection_place or case.circumstances),
        "family": case.family.exists(),
        "needs": case.needs.exists(),
        "risk": bool(case.threat_to_defector or case.threat_to_family),
        "consents": case.consents.filter(kind="data_processing", withdrawn_on__isnull=True).exists(),
        "contact": bool(case.contact_channel or case.current_location),
    }
    return [(name, label, filled[name]) for name, label in STEPS if name in filled]


@role_required(*User.CASE_ROLES)
@require_POST
def submit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    try:
        services.submit_intake(case=case, by=request.user)
    except ValidationError as error:
        return render(
            request,
            "defectors/intake_step.html",
            {
                "case": case,
                "step": "review",
                "steps": STEPS,
                "index": len(STEPS) - 1,
                "previous_step": STEP_NAMES[-2],
                "summary": _review(case),
                "submit_errors": error.messages,
            },
            status=400,
        )
    return redirect(case)


@role_required(*User.CASE_ROLES)
@require_POST
def discard(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    try:
        services.discard_intake(case=case, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    messages.success(request, _("The intake was discarded; what was typed can no longer be read."))
    return redirect("defectors:case_list")
