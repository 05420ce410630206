from __future__ import annotations

from celery import shared_task

from backups import services
from backups.models import Backup


@shared_task(acks_late=False)  # a backup is not retried blindly: the row records a failure
def run_backup(backup_id: str) -> None:
    """A backup started from the admin page: ids in, the service does the rest."""
    backup = Backup.objects.filter(pk=backup_id, status=Backup.Status.QUEUED).first()
    if backup is not None:
        services.back_up_and_verify(backup=backup, by=backup.started_by, prune=False)


@shared_task(acks_late=False)
def nightly_backup() -> None:
    """Beat's nightly run (BACKUP_HOUR): back up, verify, prune."""
    services.back_up_and_verify()
