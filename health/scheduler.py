"""Beat's own heartbeat: the scheduler records "beat" as it ticks (CELERY_BEAT_SCHEDULER)."""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


class HeartbeatScheduler(PersistentScheduler):
    """The file-backed scheduler (a restart neither forgets nor postpones a run), which also
    records the "beat" heartbeat at most every EVERY seconds.

    The database down must not stop beat: a failed heartbeat is logged, once per outage,
    and tried again on a later tick; the schedule goes on.
    """

    EVERY = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._beaten_at = 0.0
        self._failing = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        self.record_heartbeat()
        return min(super().tick(*args, **kwargs), self.EVERY)

    def record_heartbeat(self) -> None:
        if time.monotonic() - self._beaten_at < self.EVERY:
            return
        from health import heartbeats

        try:
            close_old_connections()
            heartbeats.record("beat")
        except Exception:  # the database away: beat goes on, the heartbeat waits
            if not self._failing:
                logger.warning("beat heartbeat not recorded (is the database reachable?)", exc_info=True)
            self._failing = True
            connection.close()
            self._beaten_at = time.monotonic() - self.EVERY + 5  # try again in a few seconds
            return
        self._failing = False
        self._beaten_at = time.monotonic()
