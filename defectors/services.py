"""Every change to a case: intake, duplicate check, identity reveal and edits, the sections after
intake, notes, follow-ups, assignment, status, consents and shredding. Each is atomic and writes
its audit event."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import brake
from accounts.models import User
from audit.services import log_event
from defectors.models import (
    INTAKE_STEPS,
    Case,
    CaseNameIndex,
    Consent,
    DuplicateAlert,
    DuplicateOutcome,
    FamilyMember,
    KeptStep,
    Level,
    Need,
    RiskAssessment,
    ShredRequest,
    WithdrawalTask,
    new_case_code,
)
from vault import services as vault_services
from vault.fields import is_shredded
from vault.sealing import seal_string


def _audit(action: str, *, case: Case, by: User, reason: str = "") -> None:
    log_event(action=f"defectors.case.{action}", actor=by, object_ref=case.code, reason=reason)


def _shred_key(*, case: Case, by: User, reason: str) -> None:
    """Destroy the case's data key and record it, inside the caller's transaction (the vault logs nothing).

    The vault marks the case shredded as it destroys the key (``Case.mark_shredded``, which a
    restore's shred list goes through too); ``case`` is refreshed to show it.
    """
    if vault_services.shred(owner=case):
        log_event(action="vault.datakey.shredded", actor=by, object_ref=case.code, reason=reason)
    else:  # the key was destroyed already (``manage.py shred``) without the case saying so
        Case.mark_shredded([case.data_key_id], timezone.now())
    case.refresh_from_db(fields=["status", "shredded_at", "updated_at"])


def _step_saved(*, case: Case, by: User, step: str) -> None:
    """Remember that ``step`` was saved (its name only) and audit it; inside the caller's transaction."""
    if step not in case.intake_steps_saved:
        case.intake_steps_saved = [*case.intake_steps_saved, step]
        case.save(update_fields=["intake_steps_saved"])
    _audit("intake_step_saved", case=case, by=by, reason=step)


def refuse_if_shredded(*, case: Case) -> None:
    """The one guard before reading or changing a case's contents: ValidationError once it is shredded.

    Its values would read as SHREDDED (falsy: "No", "empty"), and a reveal of
    nothing would still be audited as a reveal.
    """
    if case.shredded_at is not None or is_shredded(case):
        raise ValidationError(_("This case is shredded: nothing in it can be read or changed."))


def record_search(*, by: User, fields: list[str], found: int) -> None:
    """A search by identifying values: which fields were searched and how many matched, never the values.

    Searching is how someone tests whether a person is registered, so each one
    leaves a trace for the auditor, as a reveal does.
    """
    with transaction.atomic():
        log_event(action="defectors.case.searched", actor=by, reason=f"{', '.join(fields)}: {found} found")


@transaction.atomic
def start_intake(*, by: User, token: uuid.UUID) -> Case:
    """Open a draft case. The form's one-time token makes a double submission open only one."""
    if not by.works_on_cases:
        raise PermissionDenied
    existing = Case.objects.filter(intake_token=token).first()
    if existing is not None:
        if existing.created_by_id != by.pk:
            raise PermissionDenied
        return existing
    today = timezone.localdate()
    case = Case(
        created_by=by,
        assigned_to=by if by.role == User.Role.CASEWORKER else None,
        intake_month=today.replace(day=1),
        intake_token=token,
    )
    for _attempt in range(3):
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError:
            raced = Case.objects.filter(intake_token=token).first()
            if raced is not None:  # the same token came in from a second tab
                return raced
            case.code = new_case_code()  # a code collision: one in millions, draw again
    else:
        raise RuntimeError("could not draw a free case code")
    _audit("intake_started", case=case, by=by)
    return case


@transaction.atomic
def save_intake_step(*, case: Case, by: User, step: str, fields: dict[str, Any]) -> None:
    """Save one step's fields. Saving the same step again overwrites it: safe to resend."""
    refuse_if_shredded(case=case)
    for name, value in fields.items():
        setattr(case, name, value)
    if step == "risk":
        critical = Level.CRITICAL in (case.threat_to_defector, case.threat_to_family)
        case.urgency = Case.Urgency.URGENT if critical else Case.Urgency.NORMAL
        fields = {**fields, "urgency": case.urgency}
    case.save(update_fields=[*fields, "updated_at"])  # the vault adds the blind indexes
    if NAME_SOURCES & set(fields):
        CaseNameIndex.objects.refresh([case])
    _step_saved(case=case, by=by, step=step)


# The fields a case's name tags (CaseNameIndex) are made of.
NAME_SOURCES = {"full_name", "other_names", "date_of_birth"}


def record_intake_opened(*, case: Case, by: User, step: str) -> None:
    """An intake form about to show identifying values: written before the page is rendered.

    Raises IdentityRefused (accounts.brake) past the exfiltration brake's limits."""
    refuse_if_shredded(case=case)
    brake.admit(by=by, cases=[case])
    with transaction.atomic():
        _audit("intake_opened", case=case, by=by, reason=step)


# A kept step is put back for this long after it was posted (the expired session itself vouched
# for the post only within accounts.expired.GRACE).
KEPT_STEP_LIFETIME = datetime.timedelta(hours=2)
KEPT_STEP_MAX_FIELDS = 300
KEPT_STEP_MAX_CHARS = 200_000


@transaction.atomic
def keep_step_after_expiry(*, case: Case, by: User, step: str, data: dict[str, list[str]]) -> bool:
    """Keep what ``by`` posted to an intake step after their session expired; True if kept.

    ``data`` is the posted form as {name: [values]} without the CSRF token.
    Nothing is kept for a case that is no longer an intake ``by`` may see, is
    shredded, or for a post over KEPT_STEP_MAX_FIELDS fields or
    KEPT_STEP_MAX_CHARS characters (the step's own form refuses such input
    anyway). A second post of the same step replaces the first.
    """
    if not Case.objects.visible_to(by).filter(pk=case.pk, status=Case.Status.INTAKE, shredded_at=None).exists():
        return False
    if len(data) > KEPT_STEP_MAX_FIELDS or sum(len(v) for vs in data.values() for v in vs) > KEPT_STEP_MAX_CHARS:
        return False
    now = timezone.now()
    KeptStep.objects.filter(expires_at__lte=now).delete()  # nobody came back for these
    KeptStep.objects.filter(case=case, user=by, step=step).delete()
    KeptStep.objects.create(case=case, user=by, step=step, data=data, expires_at=now + KEPT_STEP_LIFETIME)
    _audit("intake_step_kept", case=case, by=by, reason=step)
    return True


def kept_step_for(*, case: Case, by: User, step: str) -> dict[str, list[str]] | None:
    """What ``by`` posted to this step after their session expired, if still kept; else None.

    The caller has fetched ``case`` through the access helper, so it is one ``by``
    may see. The kept copy stays until the step is saved (forget_kept_step).
    """
    kept = (
        KeptStep.objects.with_keys("case").filter(case=case, user=by, step=step, expires_at__gt=timezone.now()).first()
    )
    if kept is None or not isinstance(kept.data, dict):
        return None  # a shredded case reads as SHREDDED: nothing to put back
    return kept.data


def first_kept_step(*, case: Case, by: User) -> str | None:
    """The first intake step (in order) with something ``by`` posted after their session expired, or None."""
    kept = set(
        KeptStep.objects.filter(case=case, user=by, expires_at__gt=timezone.now()).values_list("step", flat=True)
    )
    return next((step for step in INTAKE_STEPS if step in kept), None)


def forget_kept_step(*, case: Case, by: User, step: str) -> None:
    KeptStep.objects.filter(case=case, user=by, step=step).delete()


@transaction.atomic
def replace_family(*, case: Case, by: User, members: list[dict[str, Any]]) -> None:
    """The family list as submitted replaces the stored one: a resent step leaves no duplicates."""
    refuse_if_shredded(case=case)
    FamilyMember.objects.filter(case=case).delete()
    FamilyMember.objects.bulk_create(
        [FamilyMember(case=case, position=n, **member) for n, member in enumerate(members)]
    )
    _step_saved(case=case, by=by, step="family")


@transaction.atomic
def replace_needs(*, case: Case, by: User, needs: list[dict[str, Any]]) -> None:
    refuse_if_shredded(case=case)
    Need.objects.filter(case=case).delete()
    for need in needs:
        Need(case=case, **need).save()
    _step_saved(case=case, by=by, step="needs")


@transaction.atomic
def record_consents(*, case: Case, by: User, consents: list[dict[str, Any]]) -> None:
    """Record consents given at intake; a consent already recorded keeps its history."""
    refuse_if_shredded(case=case)
    for item in consents:
        consent = Consent.objects.filter(case=case, kind=item["kind"], withdrawn_on__isnull=True).first()
        if consent is None:
            Consent.objects.create(case=case, recorded_by=by, **item)
        elif consent.is_active:
            consent.given_on, consent.method = item["given_on"], item["method"]
            consent.save(update_fields=["given_on", "method"])
        # A withdrawn consent stays withdrawn: ticked again, it is given again (a new row).
    kinds = {item["kind"] for item in consents}
    # A consent unticked during intake (before submission) was never really given.
    if case.status == Case.Status.INTAKE:
        Consent.objects.filter(case=case).exclude(kind__in=kinds).delete()
    _step_saved(case=case, by=by, step="consents")


def has_consent(case: Case, kind: str) -> bool:
    return Consent.objects.filter(case=case, kind=kind, withdrawn_on__isnull=True).exists()


@transaction.atomic
def submit_intake(*, case: Case, by: User) -> None:
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.INTAKE:
        return  # already submitted: a second click changes nothing
    problems = case.opening_problems()
    if problems:
        raise ValidationError(problems)
    case.status = Case.Status.ACTIVE
    case.intake_submitted_at = timezone.now()
    case.save(update_fields=["status", "intake_submitted_at", "updated_at"])
    if case.threat_to_defector or case.threat_to_family:
        # The first entry of the risk history: later assessments (edit_section "risk") add to it.
        RiskAssessment.objects.create(
            case=case,
            threat_to_defector=case.threat_to_defector,
            threat_to_family=case.threat_to_family,
            assessed_by=by,
        )
    _audit("intake_submitted", case=case, by=by)


@transaction.atomic
def discard_intake(*, case: Case, by: User) -> None:
    """Abandon a draft that was never opened (a duplicate, a mistake): its key is destroyed.

    Opened cases are shredded only by two people; a draft, by the person taking it.
    """
    if not by.works_on_cases:
        raise PermissionDenied
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.status != Case.Status.INTAKE:
        raise ValidationError(_("Only an unfinished intake can be discarded."))
    _audit("intake_discarded", case=case, by=by)
    _shred_key(case=case, by=by, reason="intake discarded")  # closes the case and sets shredded_at


@dataclass
class DuplicateReport:
    visible: list[tuple[Case, Any]] = field(default_factory=list)  # the case and what matched (a label)
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.visible or self.hidden)


def check_duplicates(*, case: Case, by: User) -> DuplicateReport:
    """Matches on service number, or on any of its names (full name, aliases) with date of birth.

    Compared in canonical form (vault/normalise.py) through the blind indexes
    and confirmed by decrypting. Matches this person may see are listed; for the others only their number
    is told, and a supervisor gets a task for each: nothing else is revealed.

    Each confirmed match is counted by the exfiltration brake before anything is told (a
    "possible duplicate" says that person is registered): call it outside any transaction.
    Raises IdentityRefused (accounts.brake) while ``by`` is braked or when the matches pass a
    limit; nothing is told and no task is raised then (the step itself is already saved).
    """
    brake.refuse_if_braked(by=by)  # a match is not even looked for: "no match" would answer too
    matches: dict[uuid.UUID, tuple[Case, str]] = {}
    if case.service_number:
        for other in Case.objects.matching(service_number=case.service_number):
            matches.setdefault(other.pk, (other, DuplicateAlert.MatchedOn.SERVICE_NUMBER))
    if case.date_of_birth:
        for other in Case.objects.named(*case.name_forms, born=case.date_of_birth):
            matches.setdefault(other.pk, (other, DuplicateAlert.MatchedOn.NAME_AND_BIRTH))
    matches.pop(case.pk, None)
    brake.admit(by=by, cases=[other for other, _matched_on in matches.values()])
    return _report_duplicates(case=case, by=by, matches=matches)


@transaction.atomic
def _report_duplicates(*, case: Case, by: User, matches: dict[uuid.UUID, tuple[Case, str]]) -> DuplicateReport:
    visible_ids = set(Case.objects.visible_to(by).filter(pk__in=matches).values_list("pk", flat=True))
    report = DuplicateReport()
    for pk, (other, matched_on) in matches.items():
        if pk in visible_ids:
            report.visible.append((other, DuplicateAlert.MatchedOn(matched_on).label))
            continue
        report.hidden += 1
        _alert, created = DuplicateAlert.objects.get_or_create(
            case=case, matched_case=other, defaults={"matched_on": matched_on, "raised_by": by}
        )
        if created:
            _audit("possible_duplicate", case=case, by=by, reason=matched_on)
    return report


@transaction.atomic
def record_duplicate_outcome(*, alert: DuplicateAlert, by: User, outcome: str) -> bool:
    """A supervisor's decision on a possible duplicate; False when it repeats the latest (a double submission).

    "Needs follow-up" keeps the task open; the other outcomes close it. Every
    outcome is kept (DuplicateOutcome). Raises PermissionDenied for anyone but
    a supervisor, ValidationError for an unknown outcome.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    if outcome not in DuplicateAlert.Outcome.values:
        raise ValidationError(_("Choose an outcome."))
    case, matched_code = alert.case, alert.matched_case.code  # loaded by the access helper
    alert = DuplicateAlert.objects.select_for_update().get(pk=alert.pk)  # two supervisors at once: one at a time
    if alert.outcome == outcome:
        return False
    DuplicateOutcome.objects.create(alert=alert, outcome=outcome, decided_by=by)
    alert.outcome = outcome
    if outcome == DuplicateAlert.Outcome.NEEDS_FOLLOW_UP:
        alert.resolved_at, alert.resolved_by = None, None
    else:
        alert.resolved_at, alert.resolved_by = timezone.now(), by
    alert.save(update_fields=["outcome", "resolved_at", "resolved_by"])
    _audit("duplicate_outcome_recorded", case=case, by=by, reason=f"{outcome}: {matched_code}")
    return True


def reveal_identity(*, case: Case, by: User, reason: str) -> None:
    """Record the reveal. Call before decrypting anything: if the event cannot be written, show nothing.

    Raises PermissionDenied for a role that may not, ValidationError for a short
    reason or a shredded case (nothing is recorded then), IdentityRefused (accounts.brake)
    past the exfiltration brake's limits (the trip is recorded, not the reveal).
    """
    if not by.works_on_cases:
        raise PermissionDenied
    refuse_if_shredded(case=case)
    reason = reason.strip()
    if len(reason) < 3:
        raise ValidationError(_("Give the reason for seeing this person's identity."))
    brake.admit(by=by, cases=[case])
    with transaction.atomic():
        _audit("identity_revealed", case=case, by=by, reason=reason)


def edit_identity(*, case: Case, by: User, fields: dict[str, Any], reason: str) -> None:
    """Save the identity fields that changed. Raises PermissionDenied (role), ValidationError (shredded),
    IdentityRefused (accounts.brake: the stored values are read to compare, so the brake counts it)."""
    if not by.works_on_cases:
        raise PermissionDenied
    brake.admit(by=by, cases=[case])  # outside the transaction: a trip must commit
    _save_identity(case=case, by=by, fields=fields, reason=reason)


@transaction.atomic
def _save_identity(*, case: Case, by: User, fields: dict[str, Any], reason: str) -> None:
    # Compare with what is stored: a bound ModelForm has already written the new values onto ``case``.
    case = Case.objects.select_for_update().get(pk=case.pk)
    refuse_if_shredded(case=case)
    changed = [name for name, value in fields.items() if getattr(case, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(case, name, fields[name])
    case.save(update_fields=[*changed, "updated_at"])
    if NAME_SOURCES & set(changed):
        CaseNameIndex.objects.refresh([case])
    _audit("identity_edited", case=case, by=by, reason=f"{reason}: {', '.join(changed)}")


@transaction.atomic
def assign_case(*, case: Case, by: User, caseworker: User) -> None:
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    refuse_if_shredded(case=case)  # nobody is left to work on; a new assignee would only add a name to it
    if caseworker.role != User.Role.CASEWORKER or not caseworker.is_active:
        raise ValidationError(_("Choose an active caseworker."))
    if case.assigned_to_id == caseworker.pk:
        return
    previous = case.assigned_to.username if case.assigned_to else "-"
    case.assigned_to = caseworker
    case.save(update_fields=["assigned_to", "updated_at"])
    _audit("assigned", case=case, by=by, reason=f"{previous} -> {caseworker.username}")


@transaction.atomic
def change_status(*, case: Case, by: User, status: str, reason: str = "") -> None:
    """Move the case to one of ``case.next_statuses()``; closing needs a reason. Resending is a no-op.

    Raises PermissionDenied (role), ValidationError (shredded, not allowed from here, no reason).
    """
    if not by.works_on_cases:
        raise PermissionDenied
    case = Case.objects.select_for_update().get(pk=case.pk)
    refuse_if_shredded(case=case)
    if case.status == status:
        return  # a double click
    if status not in case.next_statuses():
        raise ValidationError(_("A case cannot go from %(old)s to %(new)s.") % {"old": case.status, "new": status})
    fields = ["status", "updated_at"]
    if status == Case.Status.CLOSED:
        if not reason.strip():
            raise ValidationError(_("Give the reason for closing the case."))
        case.closing_reason = reason.strip()
        fields.append("closing_reason")
    case.status = status
    case.save(update_fields=fields)
    # The closing reason may name people: it is encrypted on the case, not copied into the audit trail.
    _audit("status_changed", case=case, by=by, reason=status)


SHRED_REASON_MAX = 300


@transaction.atomic
def request_shred(*, case: Case, by: User, reason: str) -> ShredRequest:
    """A supervisor asks for the case to be shredded; an administrator decides (``decide_shred``).

    The reason is kept sealed on the request, for the approver, and in the audit trail. Asking
    again while a request is open returns that request unchanged. Raises PermissionDenied for
    anyone but a supervisor; ValidationError for an empty or over-long reason, or a shredded case.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for shredding."))
    if len(reason) > SHRED_REASON_MAX:
        raise ValidationError(_("Keep the reason under %(max)d characters.") % {"max": SHRED_REASON_MAX})
    # Two requests at the same moment (two tabs, a double tap) check one after the other.
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.shredded_at:
        raise ValidationError(_("This case is already shredded."))
    # A request answers an open withdrawal task on the case (defectors.record): the supervisor has decided.
    WithdrawalTask.objects.filter(case=case, decided_at__isnull=True).update(
        decided_at=timezone.now(), decided_by=by, outcome=WithdrawalTask.Outcome.SHRED_REQUESTED
    )
    existing = ShredRequest.objects.filter(case=case, decided_at__isnull=True).first()
    if existing:
        return existing
    shred_request = ShredRequest.objects.create(case=case, requested_by=by)
    # Sealed once the row has its id, which the seal is bound to.
    shred_request.sealed_reason = seal_string(reason, shred_request.reason_context)
    shred_request.save(update_fields=["sealed_reason"])
    _audit("shred_requested", case=case, by=by, reason=reason)
    return shred_request


@transaction.atomic
def decide_shred(*, shred_request: ShredRequest, by: User, approve: bool) -> ShredRequest | None:
    """An administrator approves (the key is destroyed at once) or declines a supervisor's request.

    Returns None when this call decided it; the request as decided when it already was (another
    administrator at the same moment, or a form sent again), so the page says what happened,
    not what was asked. Raises PermissionDenied for anyone but an administrator other than the requester.
    """
    if by.role != User.Role.ADMIN:
        raise PermissionDenied
    shred_request = ShredRequest.objects.select_for_update().get(pk=shred_request.pk)
    if shred_request.decided_at is not None:
        return shred_request
    if shred_request.requested_by_id == by.pk:
        raise PermissionDenied  # two people, always
    shred_request.decided_by, shred_request.decided_at, shred_request.approved = by, timezone.now(), approve
    shred_request.save(update_fields=["decided_by", "decided_at", "approved"])
    case = shred_request.case
    if not approve:
        _audit("shred_declined", case=case, by=by)
        return None
    _shred_key(case=case, by=by, reason="approved shred request")  # closes the case and sets shredded_at
    return None
