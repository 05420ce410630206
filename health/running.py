"""A heartbeat for running work: a row's ``heartbeat_at``, beaten from a thread of its own.

    with keep_beating(Backup.objects.filter(pk=pk, status=Backup.Status.RUNNING)) as beat:
        ...                        # the work, in this thread and its own transactions
        beat.set(progress=40)      # written at once by the heartbeat thread, not by the work

Django's connections are per thread: the heartbeat thread has its own, so every beat is
committed at once, whatever transaction the work holds open (a progress written inside
the work's transaction is seen by nobody until it ends). The queryset names the row *while
it runs*: once the work set another status (or beat's sweep gave up on it), a beat changes
nothing. Leave the block only after the work's transaction ended: the thread may be
waiting for that row's lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


class Beating:
    def __init__(self, rows: QuerySet[Any], every: float) -> None:
        self.rows, self.every = rows, every
        self._fields: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._run, name="row-heartbeat", daemon=True)

    def set(self, **fields: Any) -> None:
        """Write ``fields`` with the next beat, which comes now."""
        with self._lock:
            self._fields.update(fields)
        self._wake.set()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.clear()
                with self._lock:
                    fields, self._fields = self._fields, {}
                try:
                    self.rows.update(heartbeat_at=timezone.now(), **fields)
                except Exception:  # the database away for a moment: the next beat tries again
                    logger.warning("heartbeat not written; trying again", exc_info=True)
                    connections[self.rows.db].close()
                self._wake.wait(self.every)
        finally:
            connections.close_all()  # this thread's own connections only

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=self.every + 30)


@contextmanager
def keep_beating(rows: QuerySet[Any], *, every: float | None = None) -> Iterator[Beating]:
    """Beat ``rows`` (set ``heartbeat_at``) now and every HEARTBEAT_SECONDS until the block ends."""
    beating = Beating(rows, every if every is not None else settings.HEARTBEAT_SECONDS)
    beating.start()
    try:
        yield beating
    finally:
        beating.stop()
