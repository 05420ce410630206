"""Client errors with debug on (`make run`): the site's own 404 page, and a 403 logged in one line."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
from django.urls import reverse

from accounts.models import User
from config.errors import ClientErrorsWithoutTraceback
from tests.factories import CaseFactory

# What Django's technical 404 page says above its list of URL patterns.
PATTERN_LIST = "Django tried these URL patterns"


@pytest.fixture
def debug(settings):  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    return settings


def handlers_reached_from(name: str) -> list[logging.Handler]:
    """Every handler a record logged on ``name`` reaches, following propagation as logging does."""
    found: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(name)
    while logger:
        found += logger.handlers
        logger = logger.parent if logger.propagate else None
    return found


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """All that the configured log handlers write for django.request's records, during one test."""
    stream = io.StringIO()
    swapped = [
        (h, h.setStream(stream)) for h in handlers_reached_from("django.request") if type(h) is logging.StreamHandler
    ]
    assert swapped
    yield stream
    for handler, old in swapped:
        handler.setStream(old)


def test_without_the_middleware_debug_would_list_every_url_pattern(debug, client_for, make_user):
    """The marker the other tests look for is what Django really shows."""
    debug.MIDDLEWARE = [m for m in debug.MIDDLEWARE if m != "config.errors.PlainNotFoundMiddleware"]
    response = client_for(make_user()).get("/no-such-page/")
    assert response.status_code == 404
    assert PATTERN_LIST in response.content.decode()


def test_with_debug_an_unknown_url_gets_the_sites_404_page(debug, client_for, make_user):
    response = client_for(make_user()).get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing here, or it is not yours to see." in body
    assert PATTERN_LIST not in body
    assert "accounts/login/" not in body
    # Rendered inside the middleware stack: the page keeps the security headers
    # (all but the CSP, which django-csp leaves off every 404 with debug on).
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "X-Request-ID" in response.headers


def test_with_debug_another_caseworkers_case_gets_the_same_page(debug, client_for, make_user):
    case = CaseFactory(created_by=make_user(), full_name="Ko Sentinel Debugname")
    response = client_for(make_user()).get(reverse("defectors:case", args=[case.code]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing here, or it is not yours to see." in body
    assert "Raised by" not in body
    assert "defectors.views" not in body


def test_with_debug_other_responses_pass_unchanged(debug, client_for, make_user):
    response = client_for(make_user()).get(reverse("defectors:case_list"))
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers


def test_a_403_is_logged_in_one_line_without_a_traceback(console, client_for, make_user):
    response = client_for(make_user(User.Role.DONOR)).get(reverse("audit:event_list"))
    assert response.status_code == 403
    lines = [line for line in console.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1, console.getvalue()
    assert "WARNING django.request Forbidden (Permission denied): /audit/" in lines[0]


def test_a_403_with_debug_on_is_one_line_too(debug, console, client_for, make_user):
    """Django's own console handler, active with debug on, would print it a second time, with the traceback."""
    client_for(make_user(User.Role.DONOR)).get(reverse("audit:event_list"))
    lines = [line for line in console.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1, console.getvalue()
    assert "WARNING django.request Forbidden (Permission denied): /audit/" in lines[0]


def _record(status: int) -> logging.LogRecord:
    try:
        raise RuntimeError("Ko Sentinel Tracebackname")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "msg", (), exc_info)
    record.status_code = status
    return record


@pytest.mark.parametrize("status", [400, 403, 404, 499])
def test_the_filter_drops_the_traceback_of_a_client_error(status):
    record = _record(status)
    assert ClientErrorsWithoutTraceback().filter(record)
    assert record.exc_info is None
    assert "Ko Sentinel" not in logging.Formatter().format(record)


@pytest.mark.parametrize("status", [500, None])
def test_the_filter_keeps_the_traceback_of_a_server_error_and_of_other_records(status):
    record = _record(500)
    if status is None:
        del record.status_code
    assert ClientErrorsWithoutTraceback().filter(record)
    assert record.exc_info is not None
    assert "Ko Sentinel Tracebackname" in logging.Formatter().format(record)


def test_with_debug_an_oversized_request_gets_the_sites_400_page_not_the_technical_one(debug, client_for, make_user):
    """Django's technical 400 shows settings and request details; a plain page says nothing was saved."""
    debug.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(make_user()).post("/cases/", {"q": "x" * 5000})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Request not accepted" in body
    assert "DEBUG = True" not in body and "Traceback" not in body


def test_with_debug_a_views_own_400_form_page_passes_untouched(debug, client_for, make_user):
    """Only Django's technical pages are replaced: a form answered with 400 keeps its errors."""
    user = make_user()
    client = client_for(user)
    case = CaseFactory(assigned_to=user, created_by=user)
    response = client.post(reverse("defectors:edit_identity", kwargs={"code": case.code}), {"full_name": ""})
    assert response.status_code in (200, 400)
    assert "Request not accepted" not in response.content.decode()
