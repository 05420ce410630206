import logging
import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.context import request_id_scope
from audit.services import log_event
from vault.fields import RecordDamaged

logger = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestIdMiddleware:
    """Give each request an id that audit events and logs can share.

    A proxy's X-Request-ID is kept when it looks like an id, and only when a
    trusted proxy is configured (HAVEN_TRUSTED_PROXY_COUNT, as for client
    addresses): without one, the header came from the client, who must not
    choose how its events are correlated. Anything else is replaced. The id is
    current (audit.context) until the response is made, then reset.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "") if settings.ALLAUTH_TRUSTED_PROXY_COUNT > 0 else ""
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        with request_id_scope(request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class DamagedRecordMiddleware:
    """A value that does not open gets a plain page, not a traceback, and is recorded.

    Here and not in the vault: the vault imports nothing of the audit trail.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
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
