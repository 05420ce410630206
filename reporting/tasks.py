from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from reporting import services
from reporting.models import Snapshot

# A queued row older than this has no task that will run it (the broker was down when it
# was queued, or lost the message): the sweep queues it again. run_computation claims a
# row under a lock, so a second message for it does nothing.
UNCLAIMED_AFTER = datetime.timedelta(minutes=1)


# acks_late: a message whose worker was killed is delivered again and does nothing (the row
# was claimed). Not rejected when a pool child is lost: beat's sweep computes the snapshot
# again once its heartbeat stops, a few times at most (services.redo_stopped_computations).
@shared_task(acks_late=True, reject_on_worker_lost=False)
def compute_snapshot(snapshot_id: str) -> None:
    """Compute a queued draft: the message carries the snapshot's id and nothing else."""
    services.run_computation(snapshot_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def scheduled_draft() -> None:
    """Daily (beat): queue a draft once a new quarter is reportable; idempotent, no arguments."""
    services.scheduled_draft()


@shared_task(acks_late=True)
def resume_queued() -> None:
    """Beat, every minute: queue again every draft whose worker stopped computing it (killed,
    restarted) and every draft still waiting after a minute (ids only)."""
    redo = services.redo_stopped_computations()
    stale = Snapshot.objects.filter(status=Snapshot.Status.QUEUED, created_at__lt=timezone.now() - UNCLAIMED_AFTER)
    for snapshot_id in {*redo, *map(str, stale.values_list("pk", flat=True))}:
        compute_snapshot.delay(snapshot_id)
