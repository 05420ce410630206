from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from backups import services
from backups.models import Backup

# A queued row older than this has no task that will run it (see resume_queued).
UNCLAIMED_AFTER = datetime.timedelta(minutes=1)


@shared_task(acks_late=False)  # a backup is not retried blindly: the row records a failure
def run_backup(backup_id: str) -> None:
    """A backup started from the admin page: ids in, the service does the rest.

    The row is claimed (queued -> running) in one statement, so a second message for it
    (the sweep's, after a broker outage) does nothing.
    """
    claimed = Backup.objects.filter(pk=backup_id, status=Backup.Status.QUEUED).update(
        status=Backup.Status.RUNNING, started_at=timezone.now()
    )
    if claimed:
        backup = Backup.objects.get(pk=backup_id)
        services.back_up_and_verify(backup=backup, by=backup.started_by, prune=False)


@shared_task(acks_late=False)
def nightly_backup() -> None:
    """Beat's nightly run (BACKUP_HOUR): back up, verify, prune."""
    services.back_up_and_verify()


@shared_task(acks_late=True)
def resume_queued() -> None:
    """Beat, every minute: queue again every backup still waiting after a minute (ids only)."""
    stale = Backup.objects.filter(status=Backup.Status.QUEUED, started_at__lt=timezone.now() - UNCLAIMED_AFTER)
    for backup_id in stale.values_list("pk", flat=True):
        run_backup.delay(str(backup_id))
