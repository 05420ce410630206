"""The multi-step intake. Every step saves on the server; nothing is kept in the browser."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.expired import user_of_expired_session
from accounts.http import AuthenticatedRequest
from accounts.models import User
from config.sending import KEPT_HEADER
from defectors import services
from defectors.access import get_case_for_user
from defectors.forms import (
    ConsentsForm,
    ContactForm,
    DefectionForm,
    FamilyFormSet,
    FamilyMemberForm,
    IdentityForm,
    NeedsForm,
    RiskForm,
    ServiceForm,
)
from defectors.models import INTAKE_STEPS, Case
from vault.fields import EncryptedField

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
assert tuple(STEP_NAMES[:-1]) == INTAKE_STEPS, "defectors.models.INTAKE_STEPS and STEPS disagree"
MODEL_FORMS: dict[str, Any] = {
    "identity": IdentityForm,
    "service": ServiceForm,
    "defection": DefectionForm,
    "risk": RiskForm,
    "contact": ContactForm,
}
MODEL_STEPS = set(STEP_NAMES) - {"review"}  # the steps with a form to fill in
DUPLICATE_CHECKED = {"identity", "service"}
# Steps whose form shows identifying values or free text already typed (the needs' notes, the
# risk reasons and safety plan): opening one is audited and counted by the exfiltration brake.
SHOWS_IDENTITY = set(STEP_NAMES) - {"consents"}


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


def _step_form(step: str, case: Case, data: Any = None, *, stored: bool = True) -> Any:
    """The step's form; with ``stored`` False it never reads the stored values (a braked person's post)."""
    if step in MODEL_FORMS:
        return MODEL_FORMS[step](data, instance=case) if stored else MODEL_FORMS[step](data)
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
        return NeedsForm(data, initial=NeedsForm.initial_from(list(case.needs.all())) if stored else None)
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


@login_not_required  # a step posted after the session expired is kept, then sent to log in (below)
def step(request: HttpRequest, code: str, step: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _keep_after_expiry(request, code, step)
    return _step(request, code, step)


def _keep_after_expiry(request: HttpRequest, code: str, step: str) -> HttpResponse:
    """Keep a step posted by a session that just expired, then ask to log in as for any page.

    Who posted it is learnt only from the expired session's cookie
    (accounts.expired); the service keeps it only for a case that person may see.
    """
    user = user_of_expired_session(request) if request.method == "POST" and step in MODEL_STEPS else None
    case = Case.objects.filter(code=code).first() if user is not None and user.works_on_cases else None
    kept = False
    if user is not None and case is not None:
        posted = {name: values for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"}
        kept = services.keep_step_after_expiry(case=case, by=user, step=step, data=posted)
        if kept:
            messages.info(request, _("Your session had ended. What you typed is kept: log in again to go on."))
    response = redirect_to_login(request.get_full_path())
    if kept:
        response[KEPT_HEADER] = "1"  # a form sent by static/js/send.js goes on to the login page, which says so
    return response


@role_required(*User.CASE_ROLES)
def _step(request: AuthenticatedRequest, code: str, step: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if step not in STEP_NAMES:
        raise Http404
    if case.status != Case.Status.INTAKE:
        return redirect(case)
    index = STEP_NAMES.index(step)
    next_step = STEP_NAMES[index + 1] if index + 1 < len(STEPS) else None
    data: QueryDict | None = request.POST if request.method == "POST" else None
    refused: brake.IdentityRefused | None = None
    if request.method == "GET" and step in SHOWS_IDENTITY:
        services.record_intake_opened(case=case, by=request.user, step=step)
    elif step in SHOWS_IDENTITY:
        try:
            brake.admit(by=request.user, cases=[case])  # the bound form reads the stored values to compare
        except brake.IdentityRefused as refusal:
            if step not in MODEL_STEPS:
                raise  # the review: nothing typed to keep, only stored values to show
            refused = refusal  # what was typed is still saved, by a form that never reads the stored values
    if request.method == "GET" and step in MODEL_STEPS:
        kept = services.kept_step_for(case=case, by=request.user, step=step)
        if kept is not None:
            data = QueryDict(mutable=True)
            for name, values in kept.items():
                data.setlist(name, values)
            messages.info(request, _("What you typed before your session ended is back. Check it, then save."))
    form = _step_form(step, case, data, stored=refused is None)
    duplicates, saved = None, False
    if request.method == "POST" and form is not None and form.is_valid():
        _save_step(request, case, step, form)
        services.forget_kept_step(case=case, by=request.user, step=step)
        saved = True
        if step in DUPLICATE_CHECKED and refused is None:
            try:
                duplicates = services.check_duplicates(case=case, by=request.user)
            except brake.IdentityRefused as refusal:
                refused = refusal
        if not duplicates and refused is None:
            # "Back" is a submit button too: what was typed on this step is saved before leaving it.
            going_back = request.POST.get("go") == "back" and index > 0
            return redirect(
                "defectors:intake_step", code=case.code, step=STEP_NAMES[index - 1] if going_back else next_step
            )
    context = {
        "case": case,
        "step": step,
        "steps": STEPS,
        "index": index,
        "next_step": next_step,
        "previous_step": STEP_NAMES[index - 1] if index else None,
        "form": form,
        "duplicates": duplicates,
        "refused": refused.args[0] if refused else "",
        "saved": saved,
        "duplicate_checked": step in DUPLICATE_CHECKED,
    }
    if step == "review":
        context["summary"] = _review(case)
        context["still_needed"] = case.opening_problems()
    return render(request, "defectors/intake_step.html", context, status=403 if refused else 200)


@role_required(*User.CASE_ROLES)
@require_GET
def resume(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Continue a draft where typing was kept after a session expired, else at the first step not saved yet."""
    case = get_case_for_user(request.user, code)
    if case.status != Case.Status.INTAKE:
        return redirect(case)
    step = services.first_kept_step(case=case, by=request.user) or case.resume_step()
    return redirect("defectors:intake_step", code=case.code, step=step)


Row = tuple[Any, Any, str, Any]  # (label, the row holding the value, field name, plaintext shown as is or None)


def _rows(instance: Any, names: list[str] | tuple[str, ...], prefix: str = "") -> list[Row]:
    rows: list[Row] = []
    for name in names:
        field = instance._meta.get_field(name)
        label = f"{prefix}{capfirst(field.verbose_name)}"
        if isinstance(field, EncryptedField):
            rows.append((label, instance, name, None))
        else:
            shown = getattr(instance, f"get_{name}_display")() if field.choices else getattr(instance, name)
            rows.append((label, instance, name, shown or "—"))
    return rows


def _review_values(case: Case) -> dict[str, list[Row]]:
    """What each step holds, to be shown on the review page (opening it is audited: SHOWS_IDENTITY)."""
    values = {step: _rows(case, form.Meta.fields) for step, form in MODEL_FORMS.items()}
    family = FamilyMemberForm.Meta.fields
    values["family"] = [
        row
        for n, member in enumerate(case.family.all(), start=1)
        for row in _rows(member, family, prefix=_("Family member %(n)s: ") % {"n": n})
    ]
    values["needs"] = [
        row
        for need in case.needs.all()
        for row in [
            (need.get_kind_display(), need, "urgency", need.get_urgency_display()),
            (_("Note"), need, "note", None),
        ]
    ]
    values["consents"] = [
        (
            consent.get_kind_display(),
            consent,
            "given_on",
            f"{consent.given_on:%Y-%m-%d} ({consent.get_method_display()})",
        )
        for consent in case.consents.filter(withdrawn_on__isnull=True)
    ]
    return values


def _review(case: Case) -> list[tuple[str, Any, bool, list[Row]]]:
    """Each step: its name, label, whether it holds something, and its values."""
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
    values = _review_values(case)
    return [(name, label, filled[name], values[name]) for name, label in STEPS if name in filled]


@role_required(*User.CASE_ROLES)
@require_POST
def submit(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    try:
        services.submit_intake(case=case, by=request.user)
    except ValidationError as error:
        # The review again, with what is missing: it shows the draft's identity, so it is opened as the review is.
        services.record_intake_opened(case=case, by=request.user, step="review")
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
    messages.success(request, _("The case %(code)s is open. It is on your case list.") % {"code": case.code})
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
