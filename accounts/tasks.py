from __future__ import annotations

from celery import shared_task

from accounts import alerts


@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=10, retry_backoff=True, retry_backoff_max=600)
def send_brake_alert(brake_id: int) -> None:
    """Tell the configured e-mail addresses and webhook that a brake tripped: the brake's id, nothing else.

    Retried (backing off up to ten minutes) until the channels answer; each channel is sent once.
    """
    alerts.send_brake_alert(brake_id=brake_id)


@shared_task(acks_late=True)
def resend_brake_alerts() -> None:
    """Beat, every few minutes: queue again the alert of every brake of the last day not yet sent.

    A trip while the broker was down queued nothing, and a task that used up its retries
    stopped: neither leaves a brake untold once the broker and the channels are back.
    """
    for brake_id in alerts.pending():
        send_brake_alert.delay(brake_id)
