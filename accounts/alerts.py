"""The exfiltration brake's out-of-band alert: e-mail and a webhook, where an administrator configured them.

The text is the same everywhere and names nobody: "a brake tripped: sign in". Who tripped
it, and what they read, is seen only inside Haven, by people who signed in.
"""

from __future__ import annotations

import json
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage
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
    brake = Brake.objects.filter(pk=brake_id).first()
    if brake is None:
        return
    text = alert_text()
    if settings.BRAKE_ALERT_EMAILS and brake.emailed_at is None:
        # Blind copies: the people alerted do not learn each other's addresses from it.
        EmailMessage(subject=text, body=text, bcc=settings.BRAKE_ALERT_EMAILS).send()
        Brake.objects.filter(pk=brake.pk).update(emailed_at=timezone.now())
    if settings.BRAKE_ALERT_WEBHOOK and brake.posted_at is None:
        # settings.py refuses any scheme but http(s) for this URL.
        request = urllib.request.Request(  # noqa: S310
            settings.BRAKE_ALERT_WEBHOOK,
            data=json.dumps({"text": text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise OSError(f"the brake webhook answered {response.status}")
        Brake.objects.filter(pk=brake.pk).update(posted_at=timezone.now())
