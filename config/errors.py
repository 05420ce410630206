"""How client errors look and are logged, the same with debug on (`make run`) as in production.

With DEBUG on, Django answers a 404 with its technical page, which lists every
URL pattern or names the view that raised it, answers a 400 (an oversized or
malformed request) with its full technical page of settings and request data,
and logs each 403 with its traceback. Neither helps on a laptop demo, and both show more than a user or a
console needs.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.views import defaults

# What both of Django's technical pages say, and no page of Haven does: how a
# technical page is told from a view's own 400 or 404 (a form with errors, an
# invalid invitation), which must pass untouched.
TECHNICAL_PAGE_MARK = b"DEBUG = True</code>"


class PlainNotFoundMiddleware:
    """With debug on, answer Django's technical 404 and 400 with the site's own pages (templates/404.html, 400.html).

    Last in MIDDLEWARE, so that it sees the 404s of URL resolution and of views,
    and the page it renders still passes out through the security headers
    (django-csp adds no CSP to a 404 with debug on). Does nothing with debug
    off, where Django already renders that page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not settings.DEBUG or response.status_code not in (400, 404) or response.streaming:
            return response
        if TECHNICAL_PAGE_MARK not in response.content:
            return response
        if response.status_code == 404:
            return defaults.page_not_found(request, Http404())
        return defaults.bad_request(request, SuspiciousOperation())


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keep a 4xx log record to its one line: Django attaches the traceback of a
    PermissionDenied (403) or a bad request (400), which says nothing about a
    fault and may carry an exception's message. 5xx records keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
