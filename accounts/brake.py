"""The exfiltration brake: a ceiling on how many distinct cases one person reads the identity of.

Every path that decrypts a case's identity or identifying sections calls ``admit`` first,
before it decrypts anything (as ``reveal_identity`` writes its audit event first):

    brake.admit(by=request.user, cases=[case])

Past a limit the read is refused (IdentityRefused), a Brake is tripped, supervisors and
auditors see it at once (the navigation count and the banner, accounts/context_processors.py)
and the configured e-mail addresses or webhook are told "a brake tripped: sign in"
(accounts/alerts.py, through a Celery task that carries the brake's id). From then on every
identity read of that person is refused until another supervisor or an administrator
lifts the brake with a reason (``lift``). Everything that does not decrypt identity keeps working.

Limits (settings.BRAKE_*) count distinct cases in a sliding hour and a sliding day,
separately for the cases assigned to the person and for all others. Reading the same
case again does not count again.

Lives in ``accounts`` (a person's limits, like the login policy) because defectors, support
and debriefing all depend on it and must not depend on each other, and ``audit`` sits below
accounts: the gate knows a case only by its id and its assignee's id (CaseRef), so it
imports none of them.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import tasks
from accounts.models import Brake, IdentityRead
from accounts.roles import Role
from audit.services import log_event

if TYPE_CHECKING:
    from accounts.models import User

# The first key of the per-person advisory lock (the second is the person's id): any fixed number.
BRAKE_LOCK = 0x0B7A_4E
WINDOWS = {Brake.Window.HOUR: datetime.timedelta(hours=1), Brake.Window.DAY: datetime.timedelta(days=1)}
# The roles that may lift someone else's brake.
LIFTERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
# The roles that are alerted in the application (the navigation count and the banner).
ALERTED = frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})
REASON_MIN, REASON_MAX = 3, 300


class CaseRef(Protocol):
    """What the brake needs to know of a case: its id and whom it is assigned to (a Case will do)."""

    @property
    def pk(self) -> Any: ...

    @property
    def assigned_to_id(self) -> Any: ...


@dataclass(frozen=True)
class CaseRead:
    """A CaseRef for a read whose "assigned" person is not the case's assignee (a debrief's debriefer)."""

    pk: uuid.UUID
    assigned_to_id: int | None


class IdentityRefused(PermissionDenied):
    """The person's identity reads are refused: a brake is on. ``tripped``: this read tripped it.

    Answered by accounts.middleware.BrakeMiddleware with a plain page (403), whatever view raised it.
    """

    def __init__(self, *, tripped: bool) -> None:
        self.tripped = tripped
        super().__init__(refusal_message())


def refusal_message() -> str:
    return _(
        "Identities are paused for your account: you opened the identities of more cases in a short time "
        "than a day's work needs. Everything else keeps working. Ask another supervisor or an administrator "
        "to lift the pause: they have been alerted."
    )


def limit_for(window: str, *, assigned: bool) -> int:
    if window == Brake.Window.HOUR:
        return int(settings.BRAKE_ASSIGNED_PER_HOUR if assigned else settings.BRAKE_OTHER_PER_HOUR)
    return int(settings.BRAKE_ASSIGNED_PER_DAY if assigned else settings.BRAKE_OTHER_PER_DAY)


def _lock_person(person: User) -> None:
    # Two tabs or two workers of one person count one at a time; other people never wait.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BRAKE_LOCK, person.pk % 2**31])


def _first_limit_passed(*, by: User, wanted: dict[Any, bool], now: datetime.datetime) -> tuple[str, bool, int] | None:
    """(window, assigned, limit) of the first limit that ``by``'s reads with ``wanted`` pass, or None.

    One aggregate over the person's rows of the last day (the index on person and time),
    leaving out the wanted cases: each of those counts once, now, whenever it was read before.
    """
    earlier = IdentityRead.objects.filter(person=by, last_at__gt=now - WINDOWS[Brake.Window.DAY]).exclude(
        case_id__in=list(wanted)
    )
    counts = earlier.aggregate(**{
        f"{window}_{assigned}": Count("pk", filter=Q(assigned=assigned, last_at__gt=now - length))
        for window, length in WINDOWS.items()
        for assigned in (True, False)
    })  # fmt: skip
    for window in WINDOWS:
        for assigned in (True, False):
            count = counts[f"{window}_{assigned}"] + sum(1 for own in wanted.values() if own is assigned)
            limit = limit_for(window, assigned=assigned)
            if count > limit:
                return window, assigned, limit
    return None


def admit(*, by: User, cases: Iterable[CaseRef]) -> None:
    """Let ``by`` read the identity of ``cases`` (count them), or raise IdentityRefused.

    Call it before decrypting anything, and outside any transaction of your own: a trip
    commits here even though the read is refused, and would be rolled back with yours.
    Serialised per person (an advisory lock held while counting and recording), so two
    tabs or two workers cannot both slip under a limit. One index range read of the
    person's last day in the ledger (IdentityRead), never a scan of the audit trail.

    Raises IdentityRefused(tripped=False) while a brake is on, IdentityRefused(tripped=True)
    when these cases pass a limit (the brake is now on and the alert queued).
    """
    wanted = {case.pk: case.assigned_to_id == by.pk for case in cases}
    if not wanted:
        return
    with transaction.atomic():
        _lock_person(by)
        now = timezone.now()  # after the wait for the lock: the rows of the tab that held it are older
        if Brake.objects.filter(person=by, lifted_at__isnull=True).exists():
            raise IdentityRefused(tripped=False)
        passed = _first_limit_passed(by=by, wanted=wanted, now=now)
        if passed is None:
            IdentityRead.objects.bulk_create(
                [IdentityRead(person=by, case_id=pk, assigned=own, last_at=now) for pk, own in wanted.items()],
                update_conflicts=True,
                unique_fields=["person", "case_id"],
                update_fields=["assigned", "last_at"],
            )
            return
        _trip(by=by, now=now, window=passed[0], assigned=passed[1], limit=passed[2])
    raise IdentityRefused(tripped=True)


def refuse_if_braked(*, by: User) -> None:
    """Raise IdentityRefused(tripped=False) while ``by``'s brake is on.

    For a read that may find no case to count (a search, a duplicate check): its "nothing
    found" answers a question about a person too, so a braked person gets no answer at all.
    """
    if Brake.objects.filter(person=by, lifted_at__isnull=True).exists():
        raise IdentityRefused(tripped=False)


def _trip(*, by: User, now: datetime.datetime, window: str, assigned: bool, limit: int) -> Brake:
    brake = Brake.objects.create(person=by, tripped_at=now, window=window, assigned=assigned, limit=limit)
    scope = "assigned" if assigned else "other"
    log_event(
        action="accounts.brake.tripped",
        actor=by,
        object_ref=f"brake:{brake.pk}",
        reason=f"{scope} cases, {window}: over {limit}",
    )
    # robust: a broker that is down must not turn the refusal into an error page; the in-app alert stands.
    transaction.on_commit(lambda: tasks.send_brake_alert.delay(brake.pk), robust=True)
    return brake


def open_brakes() -> QuerySet[Brake]:
    return Brake.objects.filter(lifted_at__isnull=True)


def is_braked(person: User) -> bool:
    return open_brakes().filter(person=person).exists()


@transaction.atomic
def lift(*, brake: Brake, by: User, reason: str) -> bool:
    """Lift ``brake``: its person may read identities again, counted afresh. False if already lifted.

    Raises PermissionDenied unless ``by`` is a supervisor or an administrator other than
    the braked person; ValidationError for a reason outside REASON_MIN..REASON_MAX characters.
    """
    if by.role not in LIFTERS or brake.person_id == by.pk:
        raise PermissionDenied
    reason = reason.strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        limits = {"min": REASON_MIN, "max": REASON_MAX}
        raise ValidationError(_("Give the reason for lifting the brake (%(min)s to %(max)s characters).") % limits)
    brake = Brake.objects.select_for_update().get(pk=brake.pk)
    if brake.lifted_at is not None:
        return False  # a second click, or another lifter was quicker
    brake.lifted_at, brake.lifted_by = timezone.now(), by
    brake.save(update_fields=["lifted_at", "lifted_by"])
    # A fresh count: the reads before the brake are in the audit trail, not held against the person.
    IdentityRead.objects.filter(person_id=brake.person_id).delete()
    log_event(action="accounts.brake.lifted", actor=by, object_ref=f"brake:{brake.pk}", reason=reason)
    return True
