"""Heartbeats: a part of Haven records that it is alive; the health check reads how long ago.

record("worker")                 -> None    (one upsert; raises DatabaseError if the database is down)
last("worker", "beat")           -> {"worker": datetime | None, "beat": datetime | None}
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from health.models import Heartbeat


def record(name: str, *, at: datetime | None = None) -> None:
    """Upsert ``name``'s heartbeat at ``at`` (default now)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at or timezone.now()})


def last(*names: str) -> dict[str, datetime | None]:
    """Each name's last heartbeat, None for a part that never beat (one query)."""
    found = dict(Heartbeat.objects.filter(name__in=names).values_list("name", "at"))
    return {name: found.get(name) for name in names}
