from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from health import heartbeats
from support import services


# acks_late and rejected when a pool child is lost: delivered again after a killed worker
# (at once, or after the broker's visibility timeout when the whole worker was killed).
# Safe, because a second run adds no reminder (services.create_reminders).
@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def send_reminders() -> int:
    """Daily (beat): in-app reminders for overdue follow-ups, tasks and waiting referrals.

    No arguments, no personal data in the message; idempotent, so a retry is safe. Records
    the "reminders" heartbeat: a day without one shows on the supervisor's dashboard.
    """
    created = services.create_reminders(today=timezone.localdate())
    heartbeats.record("reminders")
    return created
