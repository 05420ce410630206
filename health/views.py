"""/readyz and /healthz (health.checks), and the 500 handler that tells a dependency that is down from a fault.

Anonymous callers get one word, "ok" (200) or "unavailable" (503): nothing about hosts,
versions or exceptions. A caller presenting the operator's token (HAVEN_HEALTH_TOKEN, as
``Authorization: Bearer <token>``, never in the URL) gets one line per check as well.
"""

from __future__ import annotations

import hmac
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from health import checks, unavailable


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: a dependency that is down gets the 503 page; any other fault the plain 500 page.

    Called by Django inside its ``except`` block, for an exception raised anywhere (a
    middleware loading the session included). Neither page touches the database.
    """
    exc = sys.exc_info()[1]
    part = unavailable.part_of(exc)
    if part is not None:
        return unavailable.response_for(request, part, exc)
    return defaults.server_error(request, template_name)


def _has_token(request: HttpRequest) -> bool:
    expected = settings.HAVEN_HEALTH_TOKEN
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def report(results: list[checks.Result]) -> str:
    """One line per check: ``name status [detail]``."""
    return "".join(f"{r.name} {r.status}{' ' + r.detail if r.detail else ''}\n" for r in results)


def _answer(request: HttpRequest, which: list[checks.Check]) -> HttpResponse:
    results = checks.run(which)
    healthy = all(r.ok for r in results)
    body = "ok\n" if healthy else "unavailable\n"
    if _has_token(request):
        body += report(results)
    response = HttpResponse(body, status=200 if healthy else 503, content_type="text/plain; charset=utf-8")
    if not healthy:
        response["Retry-After"] = str(unavailable.RETRY_AFTER)
        # Each failing check logged its own line; Django's "Service Unavailable" error would add nothing.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@login_not_required
@require_GET
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    """Can this web process serve pages (checks.READY)? For a load balancer."""
    return _answer(request, checks.READY)


@login_not_required
@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Is the whole installation well (checks.HEALTH)? For monitoring."""
    return _answer(request, checks.HEALTH)
