"""The exfiltration brake's out-of-band alert: e-mail and a webhook, where an administrator configured them.

The text is the same everywhere and names nobody: "a brake tripped: sign in". Who tripped
it, and what they read, is seen only inside Haven, by people who signed in.
"""

from __future__ import annotations

import datetime
import json
import threading
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Brake

WEBHOOK_TIMEOUT = 10  # seconds


def alert_text() -> str:
    return _("a brake tripped: sign in")


def send_brake_alert(*, brake_id: int) -> None:
    """Send the alert of brake ``brake_id`` to each configured channel that has not had it yet.

    Idempotent: a retry sends only what failed (Brake.emailed_at, Brake.posted_at). Raises
    whatever the mail server or the webhook raised (OSError, urllib.error.URLError) so the
    task retries; a non-2xx answer from the webhook counts as a failure.
    """
    text = alert_text()
    # Each channel under the brake's row lock: a retry and the sweep (resend_pending) that
    # run at once send it once; one channel's failure does not undo the other's record.
    if settings.BRAKE_ALERT_EMAILS:
        with transaction.atomic():
            brake = Brake.objects.select_for_update().filter(pk=brake_id, emailed_at=None).first()
            if brake is not None:
                # Blind copies: the people alerted do not learn each other's addresses from it.
                EmailMessage(subject=text, body=text, bcc=settings.BRAKE_ALERT_EMAILS).send()
                Brake.objects.filter(pk=brake.pk).update(emailed_at=timezone.now())
    if settings.BRAKE_ALERT_WEBHOOK:
        with transaction.atomic():
            brake = Brake.objects.select_for_update().filter(pk=brake_id, posted_at=None).first()
            if brake is not None:
                _post(text)
                Brake.objects.filter(pk=brake.pk).update(posted_at=timezone.now())


def _post(text: str) -> None:
    """POST the alert to the webhook within WEBHOOK_TIMEOUT seconds in all.

    urllib's timeout bounds each socket read, so a receiver that answers a byte every few
    seconds would hold the worker for as long as it likes: the request runs in a daemon
    thread, and this gives up (TimeoutError, so the task retries) when the time is up.
    Raises OSError (URLError, a non-2xx answer) as the request did.
    """
    # settings.py refuses any scheme but http(s) for this URL.
    request = urllib.request.Request(  # noqa: S310
        settings.BRAKE_ALERT_WEBHOOK,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    outcome: list[BaseException | None] = []

    def send() -> None:
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise OSError(f"the brake webhook answered {response.status}")
        except BaseException as error:  # handed to the caller's thread
            outcome.append(error)
        else:
            outcome.append(None)

    sender = threading.Thread(target=send, name="brake-webhook", daemon=True)
    sender.start()
    sender.join(WEBHOOK_TIMEOUT)
    if not outcome:
        raise TimeoutError(f"the brake webhook did not answer within {WEBHOOK_TIMEOUT} s")
    if outcome[0] is not None:
        raise outcome[0]


def pending() -> list[int]:
    """Ids of brakes tripped in the last day whose alert has not reached a configured channel."""
    unsent = Q()
    if settings.BRAKE_ALERT_EMAILS:
        unsent |= Q(emailed_at=None)
    if settings.BRAKE_ALERT_WEBHOOK:
        unsent |= Q(posted_at=None)
    if not unsent:
        return []
    since = timezone.now() - datetime.timedelta(days=1)
    return list(Brake.objects.filter(unsent, tripped_at__gte=since).values_list("pk", flat=True))
