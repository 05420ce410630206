"""Forms sent by the page's script (static/js/send.js) rather than by the browser's own submit.

The script keeps the page, with what was typed, when the server cannot take a
form; otherwise it must end where a normal submit would. Two answers change
for a request it marks with ``X-Haven-Send: 1``:

- a redirect is told, not made: 204 with the target in ``X-Haven-Location``,
  and the script navigates there. Followed inside the script, the target page
  would be fetched once unseen and its one-time messages ("Note saved.") lost,
  and a redirect to the login page (the session ended) could not be told from
  a page that asks to log in. ``X-Haven-Login`` says the target is the login
  page: from a signed-in page, the session has ended and nothing was saved;
- a CSRF refusal carries a fresh token in ``X-Haven-Csrf``: a login in another
  tab, after the session ended, changes the token the page holds. Only a
  same-origin script can send the header (a cross-site one cannot without a
  CORS preflight, which Haven does not answer) or read the answer. Only to the
  person the page was shown to (``X-Haven-Person``, the page's user id): after
  one person signs out and another signs in on the same browser, the first one's
  text is not sent again under the second one's name; ``X-Haven-Other-Person``
  tells the script to keep it and say so.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.utils.crypto import constant_time_compare
from django.views.csrf import csrf_failure as django_csrf_failure

SENT_HEADER = "X-Haven-Send"
LOCATION_HEADER = "X-Haven-Location"
LOGIN_HEADER = "X-Haven-Login"
CSRF_HEADER = "X-Haven-Csrf"
PERSON_HEADER = "X-Haven-Person"
OTHER_PERSON_HEADER = "X-Haven-Other-Person"
# Set by a view that kept what was posted although the session had ended (defectors.views.intake):
# the script then follows the redirect to the login page, which says so.
KEPT_HEADER = "X-Haven-Kept"
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def is_sent(request: HttpRequest) -> bool:
    return request.method == "POST" and request.headers.get(SENT_HEADER) == "1"


class SentFormMiddleware:
    """Answer a redirect to a sent form with 204 and ``X-Haven-Location`` (see the module's text).

    Early in MIDDLEWARE, so that it sees every redirect, those of the login and
    session middleware included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_sent(request) and response.status_code in REDIRECTS and response.has_header("Location"):
            response[LOCATION_HEADER] = response["Location"]
            if urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL):
                response[LOGIN_HEADER] = "1"
            del response["Location"]
            response.status_code = 204
            response.content = b""
        return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (templates/403_csrf.html); to a sent form, with the token now valid."""
    response = django_csrf_failure(request, reason)
    if is_sent(request):
        user = getattr(request, "user", None)
        now = str(user.pk) if user is not None and user.is_authenticated else ""
        if constant_time_compare(request.headers.get(PERSON_HEADER, ""), now):
            response[CSRF_HEADER] = get_token(request)
        else:
            response[OTHER_PERSON_HEADER] = "1"
    return response
