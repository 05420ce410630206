"""``manage.py check --deploy``: backups that only the trustees can read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import checks

from backups import demo_key


@checks.register(checks.Tags.security, deploy=True)
def check_backup_recipients(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The demo trustee key is refused: its identity is public, so its backups are anyone's to read."""
    demo = demo_key.demo_recipients(list(settings.BACKUP_RECIPIENTS), settings.BACKUP_DEMO_KEY_FILE)
    if not demo:
        return []
    return [
        checks.Error(
            f"Backups are encrypted to the demo trustee key ({demo[0][:16]}...): anyone who takes the server "
            "can read them (its identity is var/demo-trustee-key.txt, the same on every laptop).",
            hint='Set HAVEN_BACKUP_RECIPIENTS to the trustees\' own age public keys (README, "Backups").',
            id="backups.E001",
        )
    ]
