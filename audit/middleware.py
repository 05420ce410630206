import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from audit.context import request_id_scope

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
