from __future__ import annotations

from celery import shared_task

from accounts import alerts


# A few quick retries for a blip; past them, beat's sweep (resend_brake_alerts) tries again
# every minute for a day, so a long outage costs one task a minute, not a growing pile.
@shared_task(acks_late=True, autoretry_for=(Exception,), max_retries=3, retry_backoff=2, retry_backoff_max=30)
def send_brake_alert(brake_id: int) -> None:
    """Tell the configured e-mail addresses and webhook that a brake tripped: the brake's id, nothing else.

    Each channel is sent once (Brake.emailed_at, Brake.posted_at), however often this runs.
    """
    alerts.send_brake_alert(brake_id=brake_id)


@shared_task(acks_late=True)
def resend_brake_alerts() -> None:
    """Beat, every minute: queue again the alert of every brake of the last day not yet sent.

    A trip while the broker was down queued nothing, a killed worker's task waits for the
    broker's visibility timeout, and a task that used up its retries stopped: none of them
    leaves a brake untold once the broker and the channels are back.
    """
    for brake_id in alerts.pending():
        send_brake_alert.delay(brake_id)
