"""Every change in transition support: the directory, placements, referrals, training,
mental-health sessions, assistance, case plans and reminders.

Each function is keyword-only, atomic and writes its audit event by case code
(``support.<entity>.<verb>``); none takes a request. Errors: PermissionDenied for
a role that may not, ValidationError (with a message for the person) for the rest.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import brake
from accounts.models import User
from audit.services import log_event
from defectors.models import Case, Consent
from defectors.once import already_sent, save_once
from defectors.services import refuse_if_shredded
from support.models import (
    PACKET_FIELDS,
    Assistance,
    Goal,
    Notification,
    Placement,
    Provider,
    Referral,
    ReferralEvent,
    Shelter,
    SupportSession,
    Task,
    TrainingEnrolment,
)

# Said by the forms on the field and by the services to any other caller: one wording for each rule.
AMOUNT_NOT_POSITIVE = gettext_lazy("The amount must be more than zero.")
ASSISTANCE_IN_FUTURE = gettext_lazy("Assistance cannot be dated in the future.")
CHECK_IN_IN_FUTURE = gettext_lazy("The check-in cannot be dated in the future.")
CHECK_OUT_IN_FUTURE = gettext_lazy("The check-out cannot be dated in the future.")
END_BEFORE_CHECK_IN = gettext_lazy("The expected end is before the check-in date.")
CHECK_OUT_BEFORE_CHECK_IN = gettext_lazy("The check-out date is before the check-in date.")
NOT_STARTED = gettext_lazy("A course that starts after today cannot be completed yet.")
NOT_HELD = gettext_lazy("A session after today cannot be attended or missed yet.")
CASE_CLOSED = gettext_lazy("This case is closed: reopen it first.")
CONSENT_IN_FUTURE = gettext_lazy("The consent date is in the future.")
EXPLICIT_CONSENT_NEEDED = gettext_lazy(
    "A mental-health referral needs the day the person gave their explicit consent to it."
)


class StaleReferral(ValidationError):
    """The referral changed since the page that sent this transition was shown."""


def _audit(action: str, *, by: User, case: Case | None = None, ref: str = "", reason: str = "") -> None:
    log_event(action=f"support.{action}", actor=by, object_ref=case.code if case else ref, reason=reason)


def _refuse_unless_case_role(by: User) -> None:
    if not by.works_on_cases:
        raise PermissionDenied


def _refuse_unless_supervisor(by: User) -> None:
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied


def _usable_case(case: Case) -> Case:
    """The case, locked and as the database has it now; ValidationError when it is shredded or
    closed. change_status locks the row too, so a case closed a moment ago gets nothing added."""
    locked = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
    refuse_if_shredded(case=locked)
    if locked.status == Case.Status.CLOSED:
        raise ValidationError(CASE_CLOSED)
    return locked


# The directory ------------------------------------------------------------------------


Entry = TypeVar("Entry", Provider, Shelter)


def _add_once(entry: Entry, *, token: uuid.UUID | None) -> Entry | None:
    """Save a new directory entry carrying the form's token; None when an earlier post of
    the same form (or one racing it from a second tab) already added it. The directory is
    every supervisor's, so the entry a token names is no secret to the one who sends it."""
    entry.token = token
    if token is not None and type(entry).objects.filter(token=token).exists():
        return None
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if token is None or not type(entry).objects.filter(token=token).exists():
            raise
        return None
    return entry


@transaction.atomic
def save_provider(*, provider: Provider, by: User, token: uuid.UUID | None = None) -> Provider:
    """Create or update a provider (supervisors only); audited by the provider's id.

    ``token`` (the form's, for a new provider) makes a resent form add it once: the second
    post returns the provider the first added."""
    _refuse_unless_supervisor(by)
    if provider._state.adding:
        if _add_once(provider, token=token) is None:
            return Provider.objects.get(token=token)
        _audit("provider.created", by=by, ref=str(provider.pk))
        return provider
    provider.save()
    _audit("provider.updated", by=by, ref=str(provider.pk))
    return provider


@transaction.atomic
def save_shelter(*, shelter: Shelter, by: User, token: uuid.UUID | None = None) -> Shelter:
    """Create or update a shelter (supervisors only). Fewer beds than people in it is refused.
    ``token`` as for save_provider."""
    _refuse_unless_supervisor(by)
    if shelter._state.adding:
        if _add_once(shelter, token=token) is None:
            return Shelter.objects.get(token=token)
        _audit("shelter.created", by=by, ref=str(shelter.pk))
        return shelter
    Shelter.objects.select_for_update(of=("self",)).get(pk=shelter.pk)
    occupied = Placement.objects.filter(shelter=shelter, checked_out_on__isnull=True).count()
    if shelter.beds < occupied:
        raise ValidationError(_("%(n)d people are placed here: there cannot be fewer beds.") % {"n": occupied})
    shelter.save()
    _audit("shelter.updated", by=by, ref=str(shelter.pk))
    return shelter


# Placements ---------------------------------------------------------------------------


def _shelters_with_free_beds(exclude: Shelter) -> str:
    free = Shelter.objects.with_occupancy().filter(active=True, free__gt=0).exclude(pk=exclude.pk)
    return ", ".join(f"{shelter.name} ({shelter.free})" for shelter in free[:5])  # type: ignore[attr-defined]


@transaction.atomic
def place_in_shelter(
    *,
    case: Case,
    shelter: Shelter,
    by: User,
    checked_in_on: datetime.date,
    expected_end: datetime.date | None = None,
    token: uuid.UUID | None = None,
) -> Placement:
    """Place ``case`` in ``shelter`` from ``checked_in_on``.

    Race-safe: the case row and then the shelter row are locked (always in that
    order), so two caseworkers taking the last bed at once are serialised and the
    second is refused; the partial unique index keeps one open placement per case
    even without the lock. Raises ValidationError when the shelter is full (naming
    shelters with free beds), inactive, the case is already placed, or the dates
    overlap an earlier stay, check in after today or end before they start. ``token`` as for create_referral:
    a resent form (even a racing one: the case lock orders them) returns the placement.
    """
    _refuse_unless_case_role(by)
    case = _usable_case(case)  # the case's lock first, then the shelter's: always in that order
    if (sent := already_sent(Placement, token=token, case=case, by=by)) is not None:
        return sent
    shelter = Shelter.objects.select_for_update(of=("self",)).get(pk=shelter.pk)
    if not shelter.active:
        raise ValidationError(_("This shelter is not taking people."))
    if checked_in_on > timezone.localdate():
        raise ValidationError(CHECK_IN_IN_FUTURE)
    if expected_end is not None and expected_end < checked_in_on:
        raise ValidationError(END_BEFORE_CHECK_IN)
    stays = Placement.objects.filter(case=case)
    if stays.filter(checked_out_on__isnull=True).exists():
        raise ValidationError(_("This person is already in a shelter: check them out first."))
    if stays.filter(checked_out_on__gt=checked_in_on).exists():
        raise ValidationError(_("The check-in date overlaps an earlier stay."))
    occupied = Placement.objects.filter(shelter=shelter, checked_out_on__isnull=True).count()
    if occupied >= shelter.beds:
        others = _shelters_with_free_beds(shelter)
        message = _("This shelter is full.")
        message += " " + (
            _("Shelters with free beds: %(list)s.") % {"list": others} if others else _("No shelter has a free bed.")
        )
        raise ValidationError(message)
    try:
        with transaction.atomic():
            placement = Placement.objects.create(
                case=case, shelter=shelter, checked_in_on=checked_in_on, expected_end=expected_end, created_by=by,
                token=token,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(_("This person is already in a shelter: check them out first.")) from None
    _audit("placement.created", by=by, case=case)
    return placement


@transaction.atomic
def check_out(*, placement: Placement, by: User, on: datetime.date) -> None:
    """Record the check-out; a date before the check-in or after today is refused (ValidationError);
    checking out twice changes nothing."""
    _refuse_unless_case_role(by)
    placement = Placement.objects.select_for_update().select_related("case").get(pk=placement.pk)
    if placement.checked_out_on is not None:
        return
    if on > timezone.localdate():
        raise ValidationError(CHECK_OUT_IN_FUTURE)
    if on < placement.checked_in_on:
        raise ValidationError(CHECK_OUT_BEFORE_CHECK_IN)
    placement.checked_out_on = on
    placement.save(update_fields=["checked_out_on"])
    _audit("placement.checked_out", by=by, case=placement.case)


# Referrals ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Packet:
    """What the partner receives: (label, value) pairs, shown once to the caseworker."""

    referral: Referral
    items: list[tuple[str, str]]


@transaction.atomic
def create_referral(
    *,
    case: Case,
    by: User,
    provider: Provider,
    service_type: str,
    note: str = "",
    explicit_consent_on: datetime.date | None = None,
    token: uuid.UUID | None = None,
) -> Referral:
    """A draft referral. Raises ValidationError when the provider does not offer the service.

    ``token`` (the form's, one per page shown) makes a resent form return the draft it
    already wrote; another case's or person's token raises PermissionDenied.
    """
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(Referral, token=token, case=case, by=by)) is not None:
        return sent
    if service_type not in provider.services or not provider.active:
        raise ValidationError(_("This provider does not offer that service."))
    referral = Referral(
        case=case,
        provider=provider,
        service_type=service_type,
        note=note,
        explicit_consent_on=explicit_consent_on,
        created_by=by,
        status_changed_at=timezone.now(),
        token=token,
    )
    if (saved := save_once(referral, case=case, by=by)) is not referral:
        return saved
    ReferralEvent.objects.create(referral=referral, status=referral.status, by=by)
    _audit("referral.created", by=by, case=case, reason=service_type)
    return referral


def sharing_consent(case: Case) -> str:
    """The case's consent to sharing with referral partners: "given" (in force), "withdrawn"
    (given once, none in force now) or "never" (never recorded). One query."""
    withdrawals = list(
        Consent.objects.filter(case=case, kind=Consent.Kind.REFERRAL_SHARING).values_list("withdrawn_on", flat=True)
    )
    if not withdrawals:
        return "never"
    return "given" if None in withdrawals else "withdrawn"


def sharing_problems(referral: Referral, *, consent: str = "") -> list[str]:
    """Why this referral may not be sent now: [] when it may (the page and the service share it).
    ``consent``: sharing_consent(referral.case) when the caller has it already."""
    problems = []
    consent = consent or sharing_consent(referral.case)
    if consent == "never":
        problems.append(_("The person has not given consent to sharing with referral partners: record it first."))
    elif consent == "withdrawn":
        problems.append(
            _("The person withdrew consent to sharing with referral partners: record it if they give it again.")
        )
    if not referral.provider.active:
        problems.append(
            _("This provider is no longer active: nothing can be sent to it. Cancel this and refer to another.")
        )
    if referral.needs_explicit_consent:
        problems.append(_("A mental-health referral needs the person's explicit consent, recorded on the referral."))
    return problems


@transaction.atomic
def record_explicit_consent(*, referral: Referral, by: User, on: datetime.date) -> None:
    """Record the day the person gave explicit consent to a mental-health draft drafted without it.

    Only a draft that needs it (Referral.can_record_explicit_consent) takes it, once: a date
    already recorded is never overwritten (a second post of the same form is refused).
    """
    _refuse_unless_case_role(by)
    referral = Referral.objects.select_for_update(of=("self",)).with_keys("case").get(pk=referral.pk)
    refuse_if_shredded(case=referral.case)
    if not referral.can_record_explicit_consent:
        raise ValidationError(_("This referral does not take an explicit-consent date now."))
    if on > timezone.localdate():
        raise ValidationError(CONSENT_IN_FUTURE)
    referral.explicit_consent_on = on
    referral.save(update_fields=["explicit_consent_on"])
    _audit("referral.explicit_consent_recorded", by=by, case=referral.case)  # no date, no text: that it was


def _packet(referral: Referral) -> list[tuple[str, str]]:
    case = referral.case
    items = []
    for name in PACKET_FIELDS[referral.service_type]:
        field: Any = Case._meta.get_field(name)
        value = getattr(case, name)
        if hasattr(case, f"get_{name}_display") and value:
            value = getattr(case, f"get_{name}_display")()
        text = value.isoformat() if isinstance(value, datetime.date) else str(value or "")
        items.append((str(field.verbose_name), text))
    return items


def transition_referral(
    *, referral: Referral, by: User, to: str, version: int, reason: str = "", outcome: str = ""
) -> Packet | None:
    """Move ``referral`` to ``to`` if its version is still ``version``; returns the packet when sent.

    Raises StaleReferral (someone moved it since the page was shown: nothing is
    applied), ValidationError for a transition REFERRAL_TRANSITIONS does not
    allow, a missing reason (decline, cancel) or outcome (complete), or missing
    consent to sharing (send), IdentityRefused (accounts.brake) when sending passes the
    exfiltration brake's limits: the packet decrypts identifying fields. Sending records
    which fields were shared (names only).
    """
    _refuse_unless_case_role(by)
    if to == Referral.Status.SENT:
        brake.admit(by=by, cases=[referral.case])  # outside the transaction: a trip must commit
    return _transition_referral(referral=referral, by=by, to=to, version=version, reason=reason, outcome=outcome)


@transaction.atomic
def _transition_referral(
    *, referral: Referral, by: User, to: str, version: int, reason: str, outcome: str
) -> Packet | None:
    referral = Referral.objects.select_for_update(of=("self",)).with_keys("case").get(pk=referral.pk)
    case = referral.case
    refuse_if_shredded(case=case)
    if referral.version != version:
        raise StaleReferral(_("Someone changed this referral since you opened the page: look at it again."))
    if to not in referral.next_statuses():
        raise ValidationError(_("A referral cannot go from %(old)s to %(new)s.") % {"old": referral.status, "new": to})
    fields = ["status", "version", "status_changed_at"]
    packet = None
    if to in (Referral.Status.DECLINED, Referral.Status.CANCELLED):
        if not reason.strip():
            raise ValidationError(_("Give the reason."))
        referral.reason = reason.strip()
        fields.append("reason")
    if to == Referral.Status.COMPLETED:
        if not outcome.strip():
            raise ValidationError(_("Record the outcome."))
        referral.outcome = outcome.strip()
        fields.append("outcome")
    if to == Referral.Status.SENT:
        problems = sharing_problems(referral)
        if problems:
            raise ValidationError(problems)
        items = _packet(referral)
        referral.shared_fields = list(PACKET_FIELDS[referral.service_type])
        fields.append("shared_fields")
        packet = Packet(referral=referral, items=items)
    referral.status, referral.version, referral.status_changed_at = to, referral.version + 1, timezone.now()
    referral.save(update_fields=fields)
    ReferralEvent.objects.create(referral=referral, status=to, by=by)
    detail = f"{to}: {', '.join(referral.shared_fields)}" if packet else to
    _audit("referral.status_changed", by=by, case=case, reason=detail)  # field names, never values
    return packet


# Training, mental health, assistance ---------------------------------------------------


@transaction.atomic
def enrol_in_training(
    *, case: Case, by: User, fields: dict[str, Any], token: uuid.UUID | None = None
) -> TrainingEnrolment:
    """Enrol the person; ``fields`` as TrainingForm cleans them. An end before the start, or a
    course starting after today marked completed or certified, is refused (ValidationError).
    ``token`` as for create_referral: a resent form enrols once."""
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(TrainingEnrolment, token=token, case=case, by=by)) is not None:
        return sent
    enrolment = TrainingEnrolment(case=case, created_by=by, token=token, **fields)
    _refuse_impossible_training(enrolment)
    if (saved := save_once(enrolment, case=case, by=by)) is not enrolment:
        return saved
    _audit("training.created", by=by, case=case)
    return enrolment


def _refuse_impossible_training(enrolment: TrainingEnrolment) -> None:
    if enrolment.ends_on is not None and enrolment.ends_on < enrolment.starts_on:
        raise ValidationError(_("The end is before the start."))
    if enrolment.starts_on > timezone.localdate() and (enrolment.completed or enrolment.certificate_received):
        raise ValidationError(NOT_STARTED)


@transaction.atomic
def update_training(*, enrolment: TrainingEnrolment, by: User, fields: dict[str, Any]) -> None:
    """Change an enrolment (``fields`` as TrainingForm cleans them); refused as enrol_in_training."""
    _refuse_unless_case_role(by)
    refuse_if_shredded(case=enrolment.case)
    for name, value in fields.items():
        setattr(enrolment, name, value)
    _refuse_impossible_training(enrolment)
    enrolment.save(update_fields=list(fields))
    _audit("training.updated", by=by, case=enrolment.case)


@transaction.atomic
def record_attendance(*, session: SupportSession, by: User, attended: bool) -> None:
    """Mark a planned session attended or missed; audited by case code. ValidationError for a
    session dated after today."""
    _refuse_unless_case_role(by)
    refuse_if_shredded(case=session.case)
    if session.planned_on > timezone.localdate():
        raise ValidationError(NOT_HELD)
    session.attended = attended
    session.save(update_fields=["attended"])
    _audit("session.attendance", by=by, case=session.case, reason="attended" if attended else "missed")


@transaction.atomic
def plan_session(*, case: Case, by: User, fields: dict[str, Any], token: uuid.UUID | None = None) -> SupportSession:
    """A mental-health or psychosocial session (planned or attended); the note is encrypted.
    A session after today marked attended or missed is refused (ValidationError).
    ``token`` as for create_referral: a resent form records it once."""
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(SupportSession, token=token, case=case, by=by)) is not None:
        return sent
    if fields.get("attended") is not None and fields["planned_on"] > timezone.localdate():
        raise ValidationError(NOT_HELD)
    session = SupportSession(case=case, created_by=by, token=token, **fields)
    if (saved := save_once(session, case=case, by=by)) is not session:
        return saved
    _audit("session.created", by=by, case=case)
    return session


def approval_limit(currency: str) -> Decimal:
    """The amount above which assistance in ``currency`` needs a supervisor (settings)."""
    return Decimal(settings.HAVEN_ASSISTANCE_APPROVAL_ABOVE.get(currency, "0"))


@transaction.atomic
def record_assistance(*, case: Case, by: User, fields: dict[str, Any], token: uuid.UUID | None = None) -> Assistance:
    """Record emergency cash, food or transport; ``fields`` as AssistanceForm cleans them.

    An amount of zero or less, or a date after today, is refused (ValidationError); above
    the currency's limit a caseworker's entry waits for a supervisor (a supervisor's is
    approved). ``token`` as for create_referral: a resent form records it once."""
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(Assistance, token=token, case=case, by=by)) is not None:
        return sent
    if fields["amount"] <= 0:
        raise ValidationError(AMOUNT_NOT_POSITIVE)
    if fields["given_on"] > timezone.localdate():
        raise ValidationError(ASSISTANCE_IN_FUTURE)
    assistance = Assistance(case=case, created_by=by, token=token, **fields)
    if assistance.amount > approval_limit(assistance.currency):
        assistance.needs_approval = True
        if by.role == User.Role.SUPERVISOR:
            assistance.approved_by, assistance.approved_at = by, timezone.now()
    if (saved := save_once(assistance, case=case, by=by)) is not assistance:
        return saved
    _audit("assistance.created", by=by, case=case, reason=assistance.kind)
    return assistance


class AlreadyDecided(ValidationError):
    """The assistance was approved or declined since the page that sent this decision was shown."""


ALREADY_DECIDED = gettext_lazy("This assistance has already been decided: nothing was changed.")


def _awaiting(assistance: Assistance) -> Assistance:
    """The entry locked and as the database has it now (with its case's key); AlreadyDecided
    when a supervisor approved or declined it meanwhile: two supervisors, or a double click,
    decide once."""
    locked = Assistance.objects.select_for_update(of=("self",)).with_keys("case").get(pk=assistance.pk)
    if not locked.awaiting_approval:
        raise AlreadyDecided(ALREADY_DECIDED)
    return locked


def _tell_who_recorded(assistance: Assistance, *, kind: str, by: User) -> None:
    """The caseworker who recorded the entry learns the decision in the app: a kind and a case
    code, never the amount or the reason."""
    if assistance.created_by_id == by.pk:
        return
    Notification.objects.get_or_create(
        user_id=assistance.created_by_id, kind=kind, object_id=assistance.pk, due_on=timezone.localdate(),
        defaults={"case_id": assistance.case_id},
    )  # fmt: skip


@transaction.atomic
def approve_assistance(*, assistance: Assistance, by: User) -> None:
    """Approve an entry awaiting a supervisor (supervisors only) and tell who recorded it.
    Raises AlreadyDecided when it was approved or declined already: nothing changes."""
    _refuse_unless_supervisor(by)
    assistance = _awaiting(assistance)
    refuse_if_shredded(case=assistance.case)
    assistance.approved_by, assistance.approved_at = by, timezone.now()
    assistance.save(update_fields=["approved_by", "approved_at"])
    _tell_who_recorded(assistance, kind=Notification.Kind.ASSISTANCE_APPROVED, by=by)
    _audit("assistance.approved", by=by, case=assistance.case)


@transaction.atomic
def decline_assistance(*, assistance: Assistance, by: User, reason: str) -> None:
    """Decline an entry awaiting a supervisor (supervisors only), with a reason that is sealed
    with the case's key, and tell who recorded it. Raises ValidationError for a blank reason,
    AlreadyDecided when it was approved or declined already: nothing changes either way."""
    _refuse_unless_supervisor(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason."))
    assistance = _awaiting(assistance)
    refuse_if_shredded(case=assistance.case)  # the reason could not be sealed with a destroyed key
    assistance.declined_by, assistance.declined_at = by, timezone.now()
    assistance.decline_reason = reason
    assistance.save(update_fields=["declined_by", "declined_at", "decline_reason"])
    _tell_who_recorded(assistance, kind=Notification.Kind.ASSISTANCE_DECLINED, by=by)
    # A typed reason goes to the audit sealed (AuditEvent.sealed_reason), as a reveal's does.
    # Not the reason: it is about the person, sealed with the case's key so a shred destroys it;
    # the audit trail is sealed with the organisation's and outlives the case.
    _audit("assistance.declined", by=by, case=assistance.case)


# Case plan ----------------------------------------------------------------------------


@transaction.atomic
def add_goal(*, case: Case, by: User, fields: dict[str, Any], token: uuid.UUID | None = None) -> Goal:
    """A goal on the case plan. ``token`` as for create_referral: a resent form adds it once."""
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(Goal, token=token, case=case, by=by)) is not None:
        return sent
    goal = Goal(case=case, created_by=by, token=token, **fields)
    if (saved := save_once(goal, case=case, by=by)) is not goal:
        return saved
    _audit("goal.created", by=by, case=case)
    return goal


@transaction.atomic
def set_goal_status(*, goal: Goal, by: User, status: str) -> None:
    """Mark a goal open, achieved or dropped. Raises ValidationError for another status."""
    _refuse_unless_case_role(by)
    refuse_if_shredded(case=goal.case)
    if status not in Goal.Status.values:
        raise ValidationError(_("No such goal status."))
    if goal.status != status:
        goal.status = status
        goal.save(update_fields=["status"])
        _audit("goal.status_changed", by=by, case=goal.case, reason=status)


@transaction.atomic
def add_task(*, case: Case, by: User, fields: dict[str, Any], token: uuid.UUID | None = None) -> Task:
    """A task on the case plan; its owner must work on cases and see the case (else ValidationError).
    ``token`` as for create_referral: a resent form adds it once."""
    _refuse_unless_case_role(by)
    _usable_case(case)
    if (sent := already_sent(Task, token=token, case=case, by=by)) is not None:
        return sent
    owner = fields["owner"]
    if not Case.objects.visible_to(owner).filter(pk=case.pk).exists():
        raise ValidationError(_("The task's owner must be the case's caseworker or a supervisor."))
    goal = fields.get("goal")
    if goal is not None and goal.case_id != case.pk:
        raise ValidationError(_("That goal belongs to another case."))
    task = Task(case=case, created_by=by, token=token, **fields)
    if (saved := save_once(task, case=case, by=by)) is not task:
        return saved
    _audit("task.created", by=by, case=case)
    return task


@transaction.atomic
def complete_task(*, task: Task, by: User) -> None:
    _refuse_unless_case_role(by)
    task = Task.objects.select_for_update(of=("self",)).with_keys("case").get(pk=task.pk)
    if task.done_at is not None:
        return
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _audit("task.done", by=by, case=task.case)


# Reminders ----------------------------------------------------------------------------


def create_reminders(*, today: datetime.date) -> int:
    """Notify people of overdue follow-ups and tasks and of referrals sent longer ago than
    HAVEN_REFERRAL_WAITING_DAYS; returns how many notifications are new.

    Idempotent: one notification per (person, kind, object, due date) is enforced by a
    unique constraint, so a second run, or a retried task, adds none. The assigned
    caseworker (a task's owner) is told, and every supervisor too for an urgent case. When
    that person is deactivated, or no one is assigned, every active supervisor is told
    instead: a reminder to someone who cannot sign in reaches nobody. Reads ids, dates and
    the person's is_active (joined: the queries do not grow with the cases); decrypts nothing.
    """
    supervisors = list(User.objects.filter(role=User.Role.SUPERVISOR, is_active=True).values_list("pk", flat=True))
    open_case = Q(status__in=[Case.Status.ACTIVE, Case.Status.REOPENED], shredded_at__isnull=True)
    wanted: list[Notification] = []

    def notify(
        kind: str, *, case_id: Any, urgent: bool, object_id: Any, due_on: Any, owner: Any, owner_active: bool | None
    ) -> None:
        # owner_active is None when no one is assigned. A deactivated person cannot sign in to see it.
        people = {owner} if owner_active else set(supervisors)
        if urgent:
            people |= set(supervisors)
        wanted.extend(
            Notification(user_id=person, kind=kind, case_id=case_id, object_id=object_id, due_on=due_on)
            for person in people
        )

    follow_ups = Case.objects.filter(open_case, next_follow_up__lt=today).values_list(
        "pk", "urgency", "next_follow_up", "assigned_to", "assigned_to__is_active"
    )
    for case_id, urgency, due, owner, active in follow_ups.iterator():
        notify(
            Notification.Kind.FOLLOW_UP_OVERDUE,
            case_id=case_id, urgent=urgency == Case.Urgency.URGENT, object_id=case_id, due_on=due, owner=owner,
            owner_active=active,
        )  # fmt: skip
    tasks = Task.objects.filter(done_at__isnull=True, due_on__lt=today, case__shredded_at__isnull=True)
    for task_id, case_id, urgency, due, owner, active in tasks.values_list(
        "pk", "case_id", "case__urgency", "due_on", "owner", "owner__is_active"
    ).iterator():
        notify(
            Notification.Kind.TASK_OVERDUE,
            case_id=case_id, urgent=urgency == Case.Urgency.URGENT, object_id=task_id, due_on=due, owner=owner,
            owner_active=active,
        )  # fmt: skip
    waited = timezone.now() - datetime.timedelta(days=settings.HAVEN_REFERRAL_WAITING_DAYS)
    referrals = Referral.objects.filter(
        status=Referral.Status.SENT, status_changed_at__lt=waited, case__shredded_at__isnull=True
    )
    for referral_id, case_id, urgency, since, owner, active in referrals.values_list(
        "pk", "case_id", "case__urgency", "status_changed_at", "case__assigned_to", "case__assigned_to__is_active"
    ).iterator():
        notify(
            Notification.Kind.REFERRAL_WAITING,
            case_id=case_id, urgent=urgency == Case.Urgency.URGENT, object_id=referral_id,
            due_on=timezone.localdate(since), owner=owner, owner_active=active,
        )  # fmt: skip
    with transaction.atomic():
        before = Notification.objects.count()
        Notification.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=1000)
        return Notification.objects.count() - before


@transaction.atomic
def mark_notifications_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
