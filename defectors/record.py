"""Services for the case after intake: the living record a caseworker keeps for months.

Section edits (service, defection, risk, contact), family members, needs, notes
and contacts, the next follow-up, and consents over time. Each function is
keyword-only, atomic, refuses a shredded case or a draft (the intake has its own
steps), and writes one audit event that names what changed, never a value.
Split from defectors/services.py, which holds intake, reveal, status and shredding.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from defectors.models import (
    Case,
    CaseNote,
    Consent,
    FamilyMember,
    Level,
    Need,
    RiskAssessment,
    WithdrawalTask,
)
from defectors.once import EXPIRED, already_sent, save_once
from defectors.services import _audit, refuse_if_shredded, request_shred

# Sections of the case that identify the person: a change needs a reason (audited, sealed).
IDENTIFYING_SECTIONS = {"service", "defection", "contact", "family"}
# The case's own fields each section may change (the forms in defectors/forms.py match these).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "service": ("branch", "rank", "rank_band", "unit", "service_number", "years_of_service", "last_posting"),
    "defection": (
        "defection_date",
        "defection_place",
        "circumstances",
        "was_armed",
        "brought_weapons",
        "brought_documents",
    ),
    "risk": ("threat_to_defector", "threat_to_family", "risk_reasons", "safety_plan"),
    "contact": ("contact_channel", "current_location"),
}
REASON_MIN, REASON_MAX = 3, 300


def _editable_case(*, case: Case, by: User, lock: bool = True) -> Case:
    """The case, re-read (locked) from the database; PermissionDenied or ValidationError when it may not change."""
    if not by.works_on_cases:
        raise PermissionDenied
    if lock:
        case = Case.objects.select_for_update().get(pk=case.pk)
    refuse_if_shredded(case=case)
    if case.status == Case.Status.INTAKE:
        raise ValidationError(_("This case is still an intake: change it in the intake steps."))
    return case


def _checked_reason(section: str, reason: str) -> str:
    reason = reason.strip()
    if section in IDENTIFYING_SECTIONS and not REASON_MIN <= len(reason) <= REASON_MAX:
        limits = {"min": REASON_MIN, "max": REASON_MAX}
        raise ValidationError(_("Give the reason for this change (%(min)s to %(max)s characters).") % limits)
    return reason


def _refuse_future(day: datetime.date | None, what: str) -> None:
    if day is not None and day > timezone.localdate():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": what})


def _edited(action: str, *, case: Case, by: User, section: str, changed: list[str], reason: str) -> None:
    """The audit event of an edit: the section, the names of the changed fields and the reason; no value."""
    summary = f"{section}: {', '.join(changed)}"
    _audit(action, case=case, by=by, reason=f"{summary} ({reason})" if reason else summary)


@transaction.atomic
def edit_section(*, case: Case, by: User, section: str, fields: dict[str, Any], reason: str = "") -> list[str]:
    """Change one section of an opened case; returns the names of the fields that changed ([] for none).

    ``fields`` maps field names of SECTION_FIELDS[section] to cleaned values.
    A new risk assessment (levels changed) is kept in the history and sets the
    urgency as at intake: urgent exactly when a level is critical.
    Raises PermissionDenied (role), ValidationError (shredded, a draft, an
    unknown section or field, no reason for an identifying section).
    """
    allowed = SECTION_FIELDS.get(section)
    if allowed is None or not set(fields) <= set(allowed):
        raise ValidationError(_("No such section."))
    reason = _checked_reason(section, reason)
    # Compare with what is stored: a bound ModelForm has already written the new values onto ``case``.
    case = _editable_case(case=case, by=by)
    changed = [name for name, value in fields.items() if getattr(case, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(case, name, fields[name])
    update = [*changed, "updated_at"]
    if section == "risk" and {"threat_to_defector", "threat_to_family"} & set(changed):
        RiskAssessment.objects.create(
            case=case,
            threat_to_defector=case.threat_to_defector,
            threat_to_family=case.threat_to_family,
            assessed_by=by,
        )
        critical = Level.CRITICAL in (case.threat_to_defector, case.threat_to_family)
        case.urgency = Case.Urgency.URGENT if critical else Case.Urgency.NORMAL
        update.append("urgency")
    case.save(update_fields=update)
    _edited("section_edited", case=case, by=by, section=section, changed=changed, reason=reason)
    return changed


FAMILY_FIELDS = ("relationship", "name", "location", "at_risk", "protection_needed")


@transaction.atomic
def add_family_member(
    *, case: Case, by: User, fields: dict[str, Any], reason: str, token: uuid.UUID | None = None
) -> FamilyMember:
    """Add one family member (``fields``: FAMILY_FIELDS) at the end of the list. Errors as edit_section.

    ``token`` (the form's, one per page shown) makes a resent form return the member it already
    added; another case's or person's token raises PermissionDenied (defectors.once).
    """
    reason = _checked_reason("family", reason)
    case = _editable_case(case=case, by=by)
    if (sent := already_sent(FamilyMember, token=token, case=case, by=by)) is not None:
        return sent
    last = FamilyMember.objects.filter(case=case).order_by("-position").values_list("position", flat=True).first()
    position = 0 if last is None else last + 1
    member = FamilyMember(case=case, position=position, created_by=by, token=token, **fields)
    if (saved := save_once(member, case=case, by=by)) is not member:
        return saved
    _edited("family_member_added", case=case, by=by, section="family", changed=list(fields), reason=reason)
    return member


@transaction.atomic
def change_family_member(*, member: FamilyMember, by: User, fields: dict[str, Any], reason: str) -> list[str]:
    """Change one family member; returns the changed field names. Errors as edit_section."""
    reason = _checked_reason("family", reason)
    case = _editable_case(case=member.case, by=by)
    stored = FamilyMember.objects.select_for_update().get(pk=member.pk)
    changed = [name for name, value in fields.items() if getattr(stored, name) != value]
    if changed:
        for name in changed:
            setattr(stored, name, fields[name])
        stored.save(update_fields=changed)
        _edited("family_member_changed", case=case, by=by, section="family", changed=changed, reason=reason)
    return changed


@transaction.atomic
def remove_family_member(*, member: FamilyMember, by: User, reason: str) -> None:
    """Remove one family member (the row and its ciphertext are deleted). Errors as edit_section."""
    reason = _checked_reason("family", reason)
    case = _editable_case(case=member.case, by=by)
    FamilyMember.objects.filter(pk=member.pk, case=case).delete()
    _edited("family_member_removed", case=case, by=by, section="family", changed=["member"], reason=reason)


@transaction.atomic
def add_need(*, case: Case, by: User, kind: str, urgency: str, note: str = "", token: uuid.UUID | None = None) -> Need:
    """Record a need of a kind not yet recorded. ValidationError for a kind already there (change it instead).

    ``token`` as for add_family_member: a resent form returns the need it added, not that error.
    """
    case = _editable_case(case=case, by=by)
    if (sent := already_sent(Need, token=token, case=case, by=by)) is not None:
        return sent
    if kind not in Need.Kind.values or urgency not in Level.values:
        raise ValidationError(_("Choose a need and its urgency."))
    if Need.objects.filter(case=case, kind=kind).exists():
        raise ValidationError(_("This need is already recorded: change it in the list."))
    need = Need(case=case, kind=kind, urgency=urgency, note=note, created_by=by, token=token)
    if (saved := save_once(need, case=case, by=by)) is not need:
        return saved
    _audit("need_added", case=case, by=by, reason=kind)
    return need


@transaction.atomic
def change_need(*, need: Need, by: User, urgency: str, note: str, met: bool) -> list[str]:
    """Change a need's urgency or note, or mark it met (today) or not met again; returns the changed names."""
    case = _editable_case(case=need.case, by=by)
    if urgency not in Level.values:
        raise ValidationError(_("Choose the urgency."))
    stored = Need.objects.select_for_update().get(pk=need.pk)
    changed = []
    if stored.urgency != urgency:
        stored.urgency = urgency
        changed.append("urgency")
    if stored.note != note:
        stored.note = note
        changed.append("note")
    if met != (stored.met_on is not None):
        stored.met_on = timezone.localdate() if met else None
        changed.append("met_on")
    if changed:
        stored.save(update_fields=changed)
        _audit("need_changed", case=case, by=by, reason=f"{stored.kind}: {', '.join(changed)}")
    return changed


@transaction.atomic
def add_note(
    *, case: Case, by: User, kind: str, happened_on: datetime.date, text: str, token: uuid.UUID | None = None
) -> CaseNote:
    """A dated note or contact on the case (text encrypted). ValidationError for a future date or empty text.

    ``token`` as for add_family_member: a resent form returns the note it already wrote.
    """
    case = _editable_case(case=case, by=by, lock=False)
    _refuse_future(happened_on, _("The date of a note"))
    if kind not in CaseNote.Kind.values or not text.strip():
        raise ValidationError(_("Choose the kind of note and write it."))
    if (sent := already_sent(CaseNote, token=token, case=case, by=by, creator="author")) is not None:
        return sent
    note = CaseNote(case=case, kind=kind, happened_on=happened_on, text=text.strip(), author=by, token=token)
    if (saved := save_once(note, case=case, by=by, creator="author")) is not note:
        return saved
    _audit("note_added", case=case, by=by, reason=kind)
    return note


@transaction.atomic
def edit_note(*, note: CaseNote, by: User, kind: str, happened_on: datetime.date, text: str) -> None:
    """Change a note: its author only, within CaseNote.EDIT_WINDOW. PermissionDenied after that or for others."""
    case = _editable_case(case=note.case, by=by, lock=False)
    stored = CaseNote.objects.select_for_update().get(pk=note.pk)
    if not stored.editable_by(by.pk, timezone.now()):
        raise PermissionDenied(_("Notes can be changed only by their author, shortly after writing: add a new one."))
    _refuse_future(happened_on, _("The date of a note"))
    if kind not in CaseNote.Kind.values or not text.strip():
        raise ValidationError(_("Choose the kind of note and write it."))
    stored.kind, stored.happened_on, stored.text, stored.edited_at = kind, happened_on, text.strip(), timezone.now()
    stored.save(update_fields=["kind", "happened_on", "text", "edited_at"])
    _audit("note_edited", case=case, by=by, reason=kind)


@transaction.atomic
def set_follow_up(*, case: Case, by: User, on: datetime.date | None, purpose: str = "") -> None:
    """Set the next follow-up (``on``, today or later, with what it is for), or clear it with ``on=None``.

    The date is plaintext (lists, reminders: Case.objects.follow_up_overdue);
    the purpose is encrypted. ValidationError for a date in the past.
    """
    case = _editable_case(case=case, by=by)
    if on is not None and on < timezone.localdate():
        raise ValidationError(_("A follow-up date cannot be in the past."))
    purpose = purpose.strip() if on is not None else ""
    if case.next_follow_up == on and case.follow_up_purpose == purpose:
        return
    case.next_follow_up, case.follow_up_purpose = on, purpose
    case.save(update_fields=["next_follow_up", "follow_up_purpose", "updated_at"])
    _audit("follow_up_set", case=case, by=by, reason=on.isoformat() if on else "cleared")


@transaction.atomic
def give_consent(
    *, case: Case, by: User, kind: str, given_on: datetime.date, method: str, token: uuid.UUID | None = None
) -> Consent:
    """Record a consent given after intake, or given again after a withdrawal (a new row; history kept).

    ValidationError when it is already in force, for a future date, or a date
    before the last withdrawal of the same consent. ``token`` as for add_family_member:
    a resent form returns the consent it recorded, not "already given".
    """
    case = _editable_case(case=case, by=by)
    if (sent := already_sent(Consent, token=token, case=case, by=by, creator="recorded_by")) is not None:
        if sent.kind != kind:  # the token of another consent's form: that one is recorded, this one is not
            raise ValidationError(EXPIRED)
        return sent
    if kind not in Consent.Kind.values or method not in Consent.Method.values:
        raise ValidationError(_("Choose the consent and how it was given."))
    _refuse_future(given_on, _("The date a consent was given"))
    history = Consent.objects.filter(case=case, kind=kind)
    if history.filter(withdrawn_on__isnull=True).exists():
        raise ValidationError(_("This consent is already given."))
    last_withdrawal = history.order_by("-withdrawn_on").values_list("withdrawn_on", flat=True).first()
    if last_withdrawal and given_on < last_withdrawal:
        raise ValidationError(_("A consent given again cannot be dated before its last withdrawal."))
    consent = Consent(case=case, kind=kind, given_on=given_on, method=method, recorded_by=by, token=token)
    if (saved := save_once(consent, case=case, by=by, creator="recorded_by")) is not consent:
        return saved
    if kind == Consent.Kind.DATA_PROCESSING and case.processing_withdrawn_on:
        case.processing_withdrawn_on = None
        case.save(update_fields=["processing_withdrawn_on", "updated_at"])
    _audit("consent_given", case=case, by=by, reason=kind)
    return consent


@transaction.atomic
def withdraw_consent(*, case: Case, by: User, kind: str, on: datetime.date | None = None) -> None:
    """Record that a consent was withdrawn ``on`` the day it actually was (default: today). Resending is a no-op.

    Withdrawing consent to data processing marks the case (processing_withdrawn_on),
    so its caseworker is asked to close it, and gives the supervisors a task to
    decide on shredding (WithdrawalTask). ValidationError for a future date or one
    before the consent was given.
    """
    if not by.works_on_cases:
        raise PermissionDenied
    refuse_if_shredded(case=case)
    on = on or timezone.localdate()
    _refuse_future(on, _("The date of a withdrawal"))
    consent = Consent.objects.select_for_update().filter(case=case, kind=kind, withdrawn_on__isnull=True).first()
    if consent is None:
        return
    if on < consent.given_on:
        raise ValidationError(_("A consent cannot be withdrawn before the date it was given."))
    consent.withdrawn_on = on
    consent.withdrawal_recorded_by = by
    consent.save(update_fields=["withdrawn_on", "withdrawal_recorded_by"])
    _audit("consent_withdrawn", case=case, by=by, reason=kind)
    if kind == Consent.Kind.DATA_PROCESSING and case.status != Case.Status.INTAKE:
        Case.objects.filter(pk=case.pk).update(processing_withdrawn_on=on, updated_at=timezone.now())
        case.processing_withdrawn_on = on
        if not WithdrawalTask.objects.filter(case=case, decided_at__isnull=True).exists():
            WithdrawalTask.objects.create(case=case, withdrawn_on=on, raised_by=by)


@transaction.atomic
def decide_withdrawal(*, task: WithdrawalTask, by: User, shred: bool, reason: str) -> None:
    """A supervisor decides after a withdrawal: request the two-person shred, or keep the closed record.

    ``reason`` goes to the audit trail (sealed). Deciding twice is a no-op.
    PermissionDenied for anyone but a supervisor, ValidationError without a reason.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    reason = reason.strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ValidationError(_("Give the reason for the decision."))
    task = WithdrawalTask.objects.select_for_update().select_related("case").get(pk=task.pk)
    if task.decided_at is not None:
        return
    if shred:
        request_shred(case=task.case, by=by, reason=reason)  # also marks this task decided
        return
    task.decided_at, task.decided_by, task.outcome = timezone.now(), by, WithdrawalTask.Outcome.KEPT
    task.save(update_fields=["decided_at", "decided_by", "outcome"])
    _audit("withdrawal_decided", case=task.case, by=by, reason=f"kept: {reason}")
