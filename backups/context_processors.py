from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import Role
from backups.models import Backup


def installed_at() -> datetime | None:
    """When this installation's database was made: its first migration (a restored one keeps its own)."""
    return MigrationRecorder.Migration.objects.order_by("applied").values_list("applied", flat=True).first()


def backup_warning(request: HttpRequest) -> dict[str, Any]:
    """For administrators: whether the last backup failed or the last good one is too old.

    A fresh installation is not warned before it is BACKUP_WARN_HOURS old (the
    first nightly backup has not been due yet); from then on, no good backup is
    a warning, and a failed one always is. One query on administrators' pages
    (two while there has never been a backup).
    """
    if getattr(getattr(request, "user", None), "role", "") != Role.ADMIN:
        return {}
    latest = list(
        Backup.objects.filter(status__in=[Backup.Status.OK, Backup.Status.FAILED])
        .order_by("-started_at")
        .values_list("status", "started_at")[:1]
    )
    if latest and latest[0][0] == Backup.Status.FAILED:
        return {"backup_warning": "failed"}
    threshold = timezone.now() - timedelta(hours=settings.BACKUP_WARN_HOURS)
    if not latest:
        installed = installed_at()
        return {} if installed is not None and installed > threshold else {"backup_warning": "stale"}
    if latest[0][1] < threshold:
        return {"backup_warning": "stale"}
    return {}
