import re
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from audit.brake import IdentityRefused
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


class BrakeMiddleware:
    """Answer an identity read the exfiltration brake refused (audit.brake.IdentityRefused) with a plain page.

    One place for every view that reads identities: the view only calls ``brake.admit``.
    403, with what happened and whom to ask; the person's other pages keep working.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IdentityRefused):
            return None
        return render(request, "audit/brake_refused.html", {"message": exception.args[0]}, status=403)
