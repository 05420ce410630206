from __future__ import annotations

from django.db import models
from django.utils import timezone


class Heartbeat(models.Model):
    """The last time a background part of Haven showed it was alive, one row per part.

    ``name`` is a fixed word ("worker", "beat", "reminders", ...), never data. The
    health check and the dashboards compare ``at`` with how often the part should beat
    (health.heartbeats.PARTS). ``since`` is its first heartbeat: beat up for a day and
    a daily run that never happened is late, while a fresh installation is not.
    """

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
