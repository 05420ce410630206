from __future__ import annotations

from celery import shared_task

from health import heartbeats


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat() -> None:
    """Beat, every 30 s: a worker took a message and reached the database (health.heartbeats.PARTS)."""
    heartbeats.record("worker")
