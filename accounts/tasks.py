from __future__ import annotations

from celery import shared_task

from accounts import alerts


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=10, retry_backoff=True, retry_backoff_max=600)
def send_brake_alert(brake_id: int) -> None:
    """Tell the configured e-mail addresses and webhook that a brake tripped: the brake's id, nothing else.

    Retried (backing off up to ten minutes) until the channels answer; each channel is sent once.
    """
    alerts.send_brake_alert(brake_id=brake_id)
