from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.roles import Role
from backups.models import Backup


def backup_warning(request: HttpRequest) -> dict[str, Any]:
    """For administrators: whether the last backup failed or the last good one is too old.

    One query, on administrators' pages only.
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
    if not latest or latest[0][1] < timezone.now() - timedelta(hours=settings.BACKUP_WARN_HOURS):
        return {"backup_warning": "stale"}
    return {}
