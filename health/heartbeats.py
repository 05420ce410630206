"""Heartbeats: a part of Haven records that it is alive; the health check reads how long ago.

record("worker")                 -> None    (one upsert; raises DatabaseError if the database is down)
last("worker", "beat")           -> {"worker": datetime | None, "beat": datetime | None}
overdue(now)                     -> ["reminders"]   (the parts that are late, by PARTS; one query)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from health.models import Heartbeat


@dataclass(frozen=True)
class Part:
    every: timedelta  # how often it beats when all is well
    late_after: timedelta  # silent for longer than this: late


# Every part that beats, how often, and when it counts as late. The daily runs record on
# completion, at a wall-clock hour: a day plus an hour of slack.
PARTS = {
    "worker": Part(timedelta(seconds=30), timedelta(minutes=3)),  # health.tasks.worker_heartbeat, queued by beat
    "beat": Part(timedelta(seconds=30), timedelta(minutes=3)),  # every tick (health.scheduler)
    "reminders": Part(timedelta(days=1), timedelta(hours=25)),  # support.tasks.send_reminders
    "nightly-backup": Part(timedelta(days=1), timedelta(hours=25)),  # backups.tasks.nightly_backup
}
DAILY = ("reminders", "nightly-backup")


def record(name: str, *, at: datetime | None = None) -> None:
    """Upsert ``name``'s heartbeat at ``at`` (default now); its first one is kept as ``since``."""
    at = at or timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"at": at}, create_defaults={"at": at, "since": at})


def last(*names: str) -> dict[str, datetime | None]:
    """Each name's last heartbeat, None for a part that never beat (one query)."""
    found = dict(Heartbeat.objects.filter(name__in=names).values_list("name", "at"))
    return {name: found.get(name) for name in names}


def overdue(now: datetime | None = None, *, names: tuple[str, ...] = tuple(PARTS)) -> list[str]:
    """The parts among ``names`` that are late (in PARTS' order); one query.

    A part that never beat is late, except a daily run while beat has not been up for
    that run's ``late_after`` yet (a fresh installation is not late).
    """
    now = now or timezone.now()
    rows = {row.name: row for row in Heartbeat.objects.filter(name__in={*names, "beat"})}
    late = []
    for name in names:
        part, row = PARTS[name], rows.get(name)
        if row is not None:
            if now - row.at > part.late_after:
                late.append(name)
        elif name not in DAILY or ((beat := rows.get("beat")) is not None and now - beat.since > part.late_after):
            late.append(name)
    return late
