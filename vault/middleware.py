from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.services import log_event
from vault.fields import RecordDamaged
from vault.keys import key_scope

logger = logging.getLogger(__name__)


class VaultMiddleware:
    """Unwrapped keys live for one request; a damaged record gets a plain page, not a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with key_scope():
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, RecordDamaged):
            return None
        record_damage(request, exception)
        return render(request, "vault/damaged.html", status=500)


def record_damage(request: HttpRequest | None, damage: RecordDamaged) -> None:
    """Log and audit a value that does not open (the page, or ``{% vault_value %}``, says "damaged")."""
    # The exception names the table, row id and field: never a value.
    logger.error("Damaged record: %s", damage)
    user = getattr(request, "user", None)
    log_event(
        action="vault.record.damaged",
        actor=user if user is not None and user.is_authenticated else None,
        object_ref=f"{damage.label}:{damage.pk}",
        reason=damage.field,
    )
