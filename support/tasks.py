from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from support import services


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=True)
def send_reminders() -> int:
    """Daily (beat): in-app reminders for overdue follow-ups, tasks and waiting referrals.

    No arguments, no personal data in the message; idempotent, so a retry is safe.
    """
    return services.create_reminders(today=timezone.localdate())
