"""The case after intake: sections, family, needs, notes, follow-up, consents over time, the printable summary.

Each view: access helper -> form -> one service call (defectors.record) -> a
confirmation and back to the case page. A page whose form shows encrypted values
is audited before it is rendered, as the identity edit form is.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors import record, services
from defectors.access import (
    get_case_for_user,
    get_family_member_for_user,
    get_need_for_user,
    get_note_for_user,
    get_withdrawal_task_for_user,
)
from defectors.forms import (
    AddFamilyMemberForm,
    ChangeReasonForm,
    ContactForm,
    DefectionForm,
    FamilyMemberForm,
    FollowUpForm,
    GiveConsentForm,
    NeedAddForm,
    NeedChangeForm,
    NoteForm,
    RevealForm,
    RiskForm,
    ServiceForm,
    WithdrawalDecisionForm,
)
from defectors.models import Case, Consent

SECTIONS: dict[str, tuple[Any, Any]] = {
    "service": (ServiceForm, gettext_lazy("Service")),
    "defection": (DefectionForm, gettext_lazy("Defection")),
    "risk": (RiskForm, gettext_lazy("Risk assessment and safety plan")),
    "contact": (ContactForm, gettext_lazy("Contact and current location")),
}


def _refused(request: AuthenticatedRequest, case: Case) -> HttpResponse | None:
    """A redirect with the reason when ``case`` cannot be changed here (shredded, or still an intake)."""
    try:
        services.refuse_if_shredded(case=case)  # before a form shows (or takes) any value
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    if case.status == Case.Status.INTAKE:
        return redirect("defectors:intake_step", code=case.code, step="identity")
    return None


def _page(request: AuthenticatedRequest, case: Case, title: Any, form: Any, **extra: Any) -> HttpResponse:
    context = {"case": case, "title": title, "form": form, **extra}
    return render(request, "defectors/record_form.html", context, status=400 if form.is_bound else 200)


def _opened(request: AuthenticatedRequest, case: Case, what: str) -> None:
    """A form about to show identifying values: audited as a reveal before it is rendered.

    A post is counted by the exfiltration brake too: its form reads the stored values to compare.
    """
    if request.method == "GET":
        services.reveal_identity(case=case, by=request.user, reason=f"opened for editing: {what}")
    else:
        brake.admit(by=request.user, cases=[case])


@role_required(*User.CASE_ROLES)
def edit_section(request: AuthenticatedRequest, code: str, section: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if section not in SECTIONS:
        raise Http404
    if refused := _refused(request, case):
        return refused
    _opened(request, case, section)
    form_class, title = SECTIONS[section]
    form = form_class(request.POST or None, instance=case)
    identifying = section in record.IDENTIFYING_SECTIONS
    reason_form = ChangeReasonForm(request.POST or None, prefix="change") if identifying else None
    if form.is_valid() and (reason_form is None or reason_form.is_valid()):
        fields = {name: form.cleaned_data[name] for name in form_class.Meta.fields}
        reason = reason_form.cleaned_data["reason"] if reason_form else ""
        try:
            changed = record.edit_section(case=case, by=request.user, section=section, fields=fields, reason=reason)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect(case)
    return _page(request, case, title, form, reason_form=reason_form)


@role_required(*User.CASE_ROLES)
def family(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if refused := _refused(request, case):
        return refused
    _opened(request, case, "family")
    return render(request, "defectors/family.html", {"case": case, "family": case.family.all()})


@role_required(*User.CASE_ROLES)
def add_family_member(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if refused := _refused(request, case):
        return refused
    form = AddFamilyMemberForm(request.POST or None)
    reason_form = ChangeReasonForm(request.POST or None, prefix="change")
    if form.is_valid() and reason_form.is_valid():
        fields = {name: form.cleaned_data[name] for name in record.FAMILY_FIELDS}
        reason, token = reason_form.cleaned_data["reason"], form.cleaned_data["token"]
        record.add_family_member(case=case, by=request.user, fields=fields, reason=reason, token=token)
        messages.success(request, _("Family member added."))
        return redirect("defectors:family", code=case.code)
    return _page(request, case, _("Add a family member"), form, reason_form=reason_form)


@role_required(*User.CASE_ROLES)
def family_member(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """Change one family member, or remove them (a "remove" button in the same form)."""
    member = get_family_member_for_user(request.user, code, pk)
    case = member.case
    if refused := _refused(request, case):
        return refused
    _opened(request, case, "family")
    removing = "remove" in request.POST
    form = FamilyMemberForm(None if removing else (request.POST or None), instance=member)
    reason_form = ChangeReasonForm(request.POST or None, prefix="change")
    if removing and reason_form.is_valid():
        record.remove_family_member(member=member, by=request.user, reason=reason_form.cleaned_data["reason"])
        messages.success(request, _("Family member removed."))
        return redirect("defectors:family", code=case.code)
    if not removing and form.is_valid() and reason_form.is_valid():
        fields = {name: form.cleaned_data[name] for name in record.FAMILY_FIELDS}
        changed = record.change_family_member(
            member=member, by=request.user, fields=fields, reason=reason_form.cleaned_data["reason"]
        )
        messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
        return redirect("defectors:family", code=case.code)
    return _page(request, case, _("Change a family member"), form, reason_form=reason_form, removable=True)


@role_required(*User.CASE_ROLES)
def add_need(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if refused := _refused(request, case):
        return refused
    form = NeedAddForm(request.POST or None)
    if form.is_valid():
        try:
            record.add_need(case=case, by=request.user, **form.cleaned_data)  # with its token
        except ValidationError as error:
            form.add_error("kind", error)
        else:
            messages.success(request, _("Need added."))
            return redirect(case)
    return _page(request, case, _("Add a need"), form)


@role_required(*User.CASE_ROLES)
def change_need(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    need = get_need_for_user(request.user, code, pk)
    case = need.case
    if refused := _refused(request, case):
        return refused
    _opened(request, case, "need")  # the form shows the need's note
    initial = {"urgency": need.urgency, "note": need.note, "met": need.met_on is not None}
    form = NeedChangeForm(request.POST or None, initial=initial)
    if form.is_valid():
        changed = record.change_need(need=need, by=request.user, **form.cleaned_data)
        messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
        return redirect(case)
    return _page(request, case, need.get_kind_display(), form)


@role_required(*User.CASE_ROLES)
def add_note(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if refused := _refused(request, case):
        return refused
    form = NoteForm(request.POST or None, initial={"happened_on": timezone.localdate()})
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in NoteForm.Meta.fields}
        record.add_note(case=case, by=request.user, token=form.cleaned_data["token"], **fields)
        messages.success(request, _("Note saved."))
        return redirect(case)
    return _page(request, case, _("Add a note or contact"), form)


@role_required(*User.CASE_ROLES)
def edit_note(request: AuthenticatedRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    note = get_note_for_user(request.user, code, pk)
    case = note.case
    if refused := _refused(request, case):
        return refused
    if not note.editable_by(request.user.pk, timezone.now()):
        messages.error(request, _("Notes can be changed only by their author, shortly after writing: add a new one."))
        return redirect(case)
    _opened(request, case, "note")
    form = NoteForm(request.POST or None, instance=note)
    if form.is_valid():
        fields = {name: form.cleaned_data[name] for name in NoteForm.Meta.fields}
        try:
            record.edit_note(note=note, by=request.user, **fields)
        except PermissionDenied as error:  # the window closed while the form was open
            messages.error(request, str(error))
            return redirect(case)
        messages.success(request, _("Note saved."))
        return redirect(case)
    return _page(request, case, _("Change a note"), form)


@role_required(*User.CASE_ROLES)
def follow_up(request: AuthenticatedRequest, code: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if refused := _refused(request, case):
        return refused
    _opened(request, case, "follow-up")  # the form shows the follow-up's purpose
    form = FollowUpForm(request.POST or None, initial={"on": case.next_follow_up, "purpose": case.follow_up_purpose})
    if form.is_valid():
        on, purpose = form.cleaned_data["on"], form.cleaned_data["purpose"]
        record.set_follow_up(case=case, by=request.user, on=on, purpose=purpose)
        messages.success(request, _("Follow-up saved.") if form.cleaned_data["on"] else _("Follow-up cleared."))
        return redirect(case)
    return _page(request, case, _("Next follow-up"), form)


@role_required(*User.CASE_ROLES)
def give_consent(request: AuthenticatedRequest, code: str, kind: str) -> HttpResponse:
    case = get_case_for_user(request.user, code)
    if kind not in Consent.Kind.values:
        raise Http404
    if refused := _refused(request, case):
        return refused
    form = GiveConsentForm(request.POST or None, initial={"given_on": timezone.localdate()})
    if form.is_valid():
        try:
            record.give_consent(case=case, by=request.user, kind=kind, **form.cleaned_data)  # with its token
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The consent is recorded."))
            return redirect(case)
    return _page(request, case, _("Consent given: %(consent)s") % {"consent": Consent.Kind(kind).label}, form)


@role_required(*User.CASE_ROLES)
def summary(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """A printable summary without identity; a POST with a reason adds it (audited first, as the reveal)."""
    case = get_case_for_user(request.user, code)
    try:
        services.refuse_if_shredded(case=case)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect(case)
    reveal_form = RevealForm(request.POST or None)
    revealed = False
    if reveal_form.is_valid():
        services.reveal_identity(case=case, by=request.user, reason=reveal_form.cleaned_data["reason"])
        revealed = True
    context = {
        "case": case,
        "revealed": revealed,
        "reveal_form": reveal_form,
        "needs": case.needs.all(),
        "risk_history": case.risk_assessments.select_related("assessed_by"),
        "consents": case.consents.select_related("recorded_by", "withdrawal_recorded_by"),
        "notes": case.notes.select_related("author"),
        "family": case.family.all() if revealed else [],
        "printed_at": timezone.now(),
    }
    response = render(request, "defectors/summary.html", context)
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@role_required(User.Role.SUPERVISOR)
@require_POST
def decide_withdrawal(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    task = get_withdrawal_task_for_user(request.user, pk)
    form = WithdrawalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give its reason."))
        return redirect("defectors:tasks")
    shred = form.cleaned_data["decision"] == "shred"
    try:
        record.decide_withdrawal(task=task, by=request.user, shred=shred, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request, _("Shredding requested: an administrator must approve it.") if shred else _("Decision recorded.")
        )
    return redirect("defectors:tasks")
