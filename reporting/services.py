"""The life of a report: computed (draft), proposed by a supervisor, approved by a different
administrator (published), or not approved; withdrawn if need be. Every step is audited.

Re-authentication before proposing and approving is the views' job (allauth).
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from audit.services import log_event
from health.running import keep_beating
from reporting import compute
from reporting.disclosure import DisclosureError
from reporting.models import Snapshot
from reporting.tables import last_closed_quarter, quarter_end

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


def _require(user: User | None, *roles: str) -> None:
    if user is not None and user.role not in roles:
        raise PermissionDenied


def start_draft(*, by: User | None, today: datetime.date | None = None) -> Snapshot:
    """Queue a draft covering every quarter that has closed plus the lag; returns its row.

    ``by`` None: started by the schedule. The worker computes it (reporting.tasks).
    Raises ValidationError while another snapshot is queued or being computed (one computing
    whose heartbeat stopped does not count: beat's sweep computes it again or fails it).
    """
    _require(by, Role.SUPERVISOR)
    today = today or timezone.localdate()
    last = last_closed_quarter(today, lag_months=settings.HAVEN_REPORT_LAG_MONTHS)
    k, base = settings.HAVEN_REPORT_THRESHOLD, settings.HAVEN_REPORT_ROUNDING_BASE
    _refuse_another_rule(k, base)
    with transaction.atomic():
        if Snapshot.objects.select_for_update().in_progress().exists():
            raise ValidationError(_("A report is already being computed."))
        snapshot = Snapshot.objects.create(
            period_end=quarter_end(last),
            threshold=k,
            rounding_base=base,
            created_by=by,
        )
        log_event(action="reporting.snapshot.requested", actor=by, object_ref=str(snapshot.id))
        from reporting import tasks

        # robust: with the broker down the row stays queued, the page says so, and beat's sweep
        # (reporting.tasks.resume_queued) queues it once the broker is back; never a 500.
        transaction.on_commit(lambda: tasks.compute_snapshot.delay(str(snapshot.id)), robust=True)
    return snapshot


def _refuse_another_rule(threshold: int, rounding_base: int) -> None:
    earlier = Snapshot.objects.ever_public().with_another_rule(threshold, rounding_base)
    if earlier is not None:
        raise ValidationError(rule_changed_message(earlier))


def rule_changed_message(earlier: Snapshot) -> str:
    return _(
        "Earlier reports were published with a threshold of %(k)s and rounding to %(base)s. "
        "Keep those settings (HAVEN_REPORT_THRESHOLD, HAVEN_REPORT_ROUNDING_BASE): with other ones, "
        "the releases together could narrow a hidden count."
    ) % {"k": earlier.threshold, "base": earlier.rounding_base}


def scheduled_draft(*, today: datetime.date | None = None) -> Snapshot | None:
    """Beat's daily run: a draft once a new quarter becomes reportable, and only once (idempotent)."""
    today = today or timezone.localdate()
    end = quarter_end(last_closed_quarter(today, lag_months=settings.HAVEN_REPORT_LAG_MONTHS))
    if Snapshot.objects.filter(period_end__gte=end).exclude(status=Snapshot.Status.FAILED).exists():
        return None
    try:
        return start_draft(by=None, today=today)
    except ValidationError as error:
        logger.warning("scheduled report draft not started: %s", error.messages[0])
        return None


class Superseded(Exception):
    """This computation's worker was taken for dead and the snapshot computed again or failed."""


def run_computation(snapshot_id: str) -> Snapshot | None:
    """Compute a queued snapshot (the worker's task); a snapshot not queued is left alone (a retry).

    While it computes, a thread of its own beats the row and writes the progress, each
    committed at once (the computation's own transaction shows nothing until it ends).
    """
    with transaction.atomic():
        snapshot = Snapshot.objects.select_for_update().filter(pk=snapshot_id, status=Snapshot.Status.QUEUED).first()
        if snapshot is None:
            return None
        snapshot.status, snapshot.progress, snapshot.heartbeat_at = Snapshot.Status.COMPUTING, 0, timezone.now()
        snapshot.attempts += 1
        snapshot.save(update_fields=["status", "progress", "heartbeat_at", "attempts"])

    mine = Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.Status.COMPUTING, attempts=snapshot.attempts)
    try:
        with keep_beating(mine) as beat, transaction.atomic():
            compute.compute(snapshot, progress=lambda percent: beat.set(progress=percent))
            if not mine.select_for_update().exists():
                raise Superseded
            snapshot.save()
            log_event(action="reporting.snapshot.computed", actor=snapshot.created_by, object_ref=str(snapshot.id))
    except Superseded:
        logger.warning("report %s was computed again elsewhere: this computation is dropped", snapshot.id)
        snapshot.refresh_from_db()
    except compute.RuleChanged as error:
        _failed(snapshot, rule_changed_message(error.earlier))
    except DisclosureError:
        _failed(snapshot, _("No pattern of suppressed cells protects every small count. Nothing was published."))
    except Exception:
        logger.exception("report %s could not be computed", snapshot.id)
        _failed(snapshot, _("The computation failed; the worker's log says why."))
    return snapshot


def _failed(snapshot: Snapshot, message: str) -> None:
    with transaction.atomic():
        if Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.Status.COMPUTING, attempts=snapshot.attempts).update(
            status=Snapshot.Status.FAILED, error=message[:300]
        ):
            log_event(action="reporting.snapshot.failed", actor=snapshot.created_by, object_ref=str(snapshot.id))
    snapshot.refresh_from_db()


# A computation whose worker died is started again this many times in all, then failed.
MAX_ATTEMPTS = 3


def redo_stopped_computations() -> list[str]:
    """Beat's sweep: every computing snapshot whose heartbeat stopped (its worker was killed or
    restarted) is queued again, up to MAX_ATTEMPTS computations, then failed with the reason.

    Returns the ids queued again; the caller sends their tasks.
    """
    redo = []
    for snapshot in Snapshot.objects.stopped():
        with transaction.atomic():
            stopped = Snapshot.objects.stopped().filter(pk=snapshot.pk, attempts=snapshot.attempts)
            if snapshot.attempts < MAX_ATTEMPTS:
                if stopped.update(status=Snapshot.Status.QUEUED, progress=0, heartbeat_at=None):
                    log_event(action="reporting.snapshot.requeued", actor=snapshot.created_by,
                              object_ref=str(snapshot.id), reason="the worker stopped while computing")  # fmt: skip
                    redo.append(str(snapshot.id))
                continue
            message = _(
                "The worker stopped while computing (killed or restarted), %(n)s times: nothing was kept. "
                "Compute a new draft; if it stops again, the worker's log says why."
            ) % {"n": snapshot.attempts}
            if stopped.update(status=Snapshot.Status.FAILED, error=message[:300]):
                log_event(action="reporting.snapshot.failed", actor=snapshot.created_by, object_ref=str(snapshot.id),
                          reason="the worker stopped while computing")  # fmt: skip
    return redo


def _locked(snapshot: Snapshot, status: str) -> Snapshot:
    locked = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
    if locked.status != status:
        raise ValidationError(_("This report has changed since the page was shown: it is now “%(status)s”.")
                              % {"status": locked.get_status_display()})  # fmt: skip
    return locked


def _refuse_if_stale(snapshot: Snapshot) -> None:
    if Snapshot.objects.ever_public().count() != snapshot.public_before:
        raise ValidationError(
            _(
                "Another report was published after this draft was computed. "
                "Compute a new draft: this one does not take the other into account."
            )
        )


def propose(*, snapshot: Snapshot, by: User) -> Snapshot:
    """A supervisor proposes a reviewed draft for publication."""
    _require(by, Role.SUPERVISOR)
    with transaction.atomic():
        locked = _locked(snapshot, Snapshot.Status.DRAFT)
        _refuse_if_stale(locked)
        locked.status, locked.proposed_by, locked.proposed_at = Snapshot.Status.PROPOSED, by, timezone.now()
        locked.save(update_fields=["status", "proposed_by", "proposed_at"])
        log_event(action="reporting.snapshot.proposed", actor=by, object_ref=str(locked.id))
    return locked


def approve(*, snapshot: Snapshot, by: User) -> Snapshot:
    """An administrator, not the person who proposed it, publishes a proposed snapshot.

    Its quarters are frozen from now on (compute.freeze_periods). Raises
    ValidationError for the proposer, a snapshot no longer proposed, or one computed
    before another was published.
    """
    _require(by, Role.ADMIN)
    with transaction.atomic():
        # One approval at a time: the second waits here, then finds itself stale.
        list(Snapshot.objects.select_for_update().filter(status=Snapshot.Status.PROPOSED).order_by("pk"))
        locked = _locked(snapshot, Snapshot.Status.PROPOSED)
        if by.pk in (locked.proposed_by_id, locked.created_by_id):
            raise ValidationError(_("A report must be approved by someone other than the person who proposed it."))
        _refuse_if_stale(locked)
        _refuse_another_rule(locked.threshold, locked.rounding_base)
        locked.status, locked.approved_by, locked.approved_at = Snapshot.Status.PUBLISHED, by, timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        compute.freeze_periods(locked)
        log_event(action="reporting.snapshot.approved", actor=by, object_ref=str(locked.id))
    return locked


def reject(*, snapshot: Snapshot, by: User, reason: str) -> Snapshot:
    """An administrator declines a proposed snapshot (the reason is sealed in the audit trail)."""
    _require(by, Role.ADMIN)
    with transaction.atomic():
        locked = _locked(snapshot, Snapshot.Status.PROPOSED)
        locked.status = Snapshot.Status.REJECTED
        locked.save(update_fields=["status"])
        log_event(action="reporting.snapshot.rejected", actor=by, object_ref=str(locked.id), reason=reason)
    return locked


def withdraw(*, snapshot: Snapshot, by: User, reason: str) -> Snapshot:
    """Take a published snapshot down; donors then see only a notice. Its periods stay frozen."""
    _require(by, Role.ADMIN, Role.SUPERVISOR)
    if not reason.strip():
        raise ValidationError(_("Say why the report is withdrawn."))
    with transaction.atomic():
        locked = _locked(snapshot, Snapshot.Status.PUBLISHED)
        locked.status, locked.withdrawn_by, locked.withdrawn_at = Snapshot.Status.WITHDRAWN, by, timezone.now()
        locked.save(update_fields=["status", "withdrawn_by", "withdrawn_at"])
        log_event(action="reporting.snapshot.withdrawn", actor=by, object_ref=str(locked.id), reason=reason)
    return locked


def record_download(*, snapshot: Snapshot, table: str, by: User) -> None:
    log_event(action="reporting.csv.downloaded", actor=by, object_ref=f"{snapshot.id}/{table}")
