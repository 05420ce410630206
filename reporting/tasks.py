from __future__ import annotations

from celery import shared_task

from reporting import services


@shared_task(acks_late=False)  # not retried blindly: a failure is recorded on the snapshot
def compute_snapshot(snapshot_id: str) -> None:
    """Compute a queued draft: the message carries the snapshot's id and nothing else."""
    services.run_computation(snapshot_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def scheduled_draft() -> None:
    """Daily (beat): queue a draft once a new quarter is reportable; idempotent, no arguments."""
    services.scheduled_draft()
