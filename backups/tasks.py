from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from backups import services
from backups.models import Backup
from health import heartbeats

# A queued row older than this has no task that will run it (see resume_queued).
UNCLAIMED_AFTER = datetime.timedelta(minutes=1)
# A nightly run redelivered (its worker was killed) does nothing if one already ran this night.
NIGHT = datetime.timedelta(hours=12)


# acks_late: a message whose worker was killed is delivered again, and does nothing (the row
# was claimed). Not rejected when a pool child is lost: the row is the record, and beat's
# sweep fails it once its heartbeat stops (services.fail_stopped_backups).
@shared_task(acks_late=True, reject_on_worker_lost=False)
def run_backup(backup_id: str) -> None:
    """A backup started from the admin page: ids in, the service does the rest.

    The row is claimed (queued -> running) in one statement, so a second message for it
    (the sweep's, after a broker outage, or one delivered again) does nothing.
    """
    now = timezone.now()
    claimed = Backup.objects.filter(pk=backup_id, status=Backup.Status.QUEUED).update(
        status=Backup.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if claimed:
        backup = Backup.objects.get(pk=backup_id)
        services.back_up_and_verify(backup=backup, by=backup.started_by, prune=False)


@shared_task(acks_late=True, reject_on_worker_lost=False)
def nightly_backup() -> None:
    """Beat's nightly run (BACKUP_HOUR): back up, verify, prune; records the "nightly-backup" heartbeat.

    Delivered again after its worker was killed (the broker's visibility timeout), it backs
    up again, unless a nightly backup of the last hours completed or still runs.
    """
    done = Backup.objects.filter(started_by=None, started_at__gte=timezone.now() - NIGHT)
    if done.filter(status=Backup.Status.OK).exists() or done.in_progress().exists():
        return
    # Its heartbeat only for a good backup: failed nights make /healthz say "nightly-backup late".
    if services.back_up_and_verify().status == Backup.Status.OK:
        heartbeats.record("nightly-backup")


@shared_task(acks_late=True)
def resume_queued() -> None:
    """Beat, every minute: fail every running backup whose heartbeat stopped (its worker died),
    and queue again every backup still waiting after a minute (ids only)."""
    services.fail_stopped_backups()
    stale = Backup.objects.filter(status=Backup.Status.QUEUED, started_at__lt=timezone.now() - UNCLAIMED_AFTER)
    for backup_id in stale.values_list("pk", flat=True):
        run_backup.delay(str(backup_id))
