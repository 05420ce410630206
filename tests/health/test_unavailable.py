"""The 503 page's words: which part, and "not saved" only when nothing was saved."""

from __future__ import annotations

import json

import psycopg
import psycopg.errors
import pytest
import redis.exceptions
from django.db import transaction
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from kombu.exceptions import OperationalError as KombuOperationalError

from health import heartbeats
from health.models import Heartbeat
from health.unavailable import DependencyDownMiddleware, part_of


@pytest.mark.parametrize(
    ("exc", "part"),
    [
        (InterfaceError("connection already closed"), "database"),
        (psycopg.OperationalError("connection failed"), "database"),  # no SQLSTATE: could not connect
        (psycopg.errors.AdminShutdown("terminating connection"), "database"),
        (psycopg.errors.TooManyConnections("too many clients"), "database"),
        # a query's own failure is not an outage: a 500 with its traceback, for the operator to see
        (psycopg.errors.QueryCanceled("statement timeout"), None),
        (psycopg.errors.DeadlockDetected("deadlock"), None),
        (psycopg.errors.LockNotAvailable("lock"), None),
        (OperationalError("database is locked"), None),  # SQLite's, wrapped by Django with no psycopg cause
        (redis.exceptions.ConnectionError("x"), "cache"),
        (redis.exceptions.TimeoutError("x"), "cache"),
        (KombuOperationalError("x"), "cache"),
        (RuntimeError("x"), None),
        (ValueError("x"), None),
        (None, None),
    ],
)
def test_which_part_an_exception_names(exc, part):
    assert part_of(exc) == part


def test_a_dependency_error_wrapped_in_another_is_found():
    try:
        try:
            raise redis.exceptions.ConnectionError("refused")
        except redis.exceptions.ConnectionError as inner:
            raise RuntimeError("rate limit failed") from inner
    except RuntimeError as outer:
        assert part_of(outer) == "cache"


def test_django_s_wrapper_is_followed_to_the_connection_failure():
    try:
        try:
            raise psycopg.OperationalError("connection to server failed: Connection refused")
        except psycopg.OperationalError as inner:
            raise OperationalError("connection failed") from inner
    except OperationalError as outer:
        assert part_of(outer) == "database"


def test_a_bug_while_handling_an_outage_is_a_bug_not_an_outage():
    try:
        try:
            raise psycopg.OperationalError("connection failed")
        except psycopg.OperationalError:
            raise KeyError("a bug in the except block")  # noqa: B904 (the point of the test)
    except KeyError as bug:
        assert part_of(bug) is None


def lost(message: str) -> OperationalError:
    """Django's error for a dropped connection, as its wrapper raises it: from psycopg's."""
    error = OperationalError(message)
    error.__cause__ = psycopg.OperationalError(message)
    return error


def _through_middleware(view, request: HttpRequest) -> HttpResponse:  # type: ignore[no-untyped-def]
    """The middleware as Django calls it: __call__ around the view, process_exception on its error."""
    middleware = DependencyDownMiddleware(lambda r: r)

    def get_response(r: HttpRequest) -> HttpResponse:
        try:
            return view(r)
        except Exception as exc:
            answer = middleware.process_exception(r, exc)
            if answer is None:
                raise
            return answer

    middleware.get_response = get_response
    return middleware(request)


def _fails(request: HttpRequest) -> HttpResponse:
    raise lost("server closed the connection unexpectedly")


@pytest.mark.django_db(transaction=True)
def test_a_post_that_wrote_nothing_says_it_was_not_saved():
    response = _through_middleware(_fails, RequestFactory().post("/x/"))
    assert response.status_code == 503
    assert "What you sent was not saved." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_post_whose_transaction_was_rolled_back_says_it_was_not_saved():
    def view(request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            heartbeats.record("worker")
            raise lost("lost in the middle")

    response = _through_middleware(view, RequestFactory().post("/x/"))
    assert "What you sent was not saved." in response.content.decode()
    assert not Heartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_post_that_committed_a_write_before_failing_does_not_claim_nothing_was_saved():
    def view(request: HttpRequest) -> HttpResponse:
        heartbeats.record("worker")  # committed (autocommit)
        raise lost("the database went away after the first write")

    body = _through_middleware(view, RequestFactory().post("/x/")).content.decode()
    assert Heartbeat.objects.exists()
    as_json = _through_middleware(view, RequestFactory().post("/x/", HTTP_ACCEPT="application/json"))
    assert json.loads(as_json.content)["saved"] is None
    assert "What you sent was not saved." not in body
    assert "Part of what you sent may have been saved." in body


@pytest.mark.django_db(transaction=True)
def test_a_get_says_nothing_about_saving():
    body = _through_middleware(_fails, RequestFactory().get("/x/")).content.decode()
    assert "saved" not in body
    as_json = _through_middleware(_fails, RequestFactory().get("/x/", HTTP_ACCEPT="application/json"))
    assert "saved" not in json.loads(as_json.content)


@pytest.mark.django_db(transaction=True)
def test_other_exceptions_pass_through():
    def view(request: HttpRequest) -> HttpResponse:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        _through_middleware(view, RequestFactory().post("/x/"))


@pytest.mark.django_db(transaction=True)
def test_a_json_caller_gets_json():
    request = RequestFactory().post("/x/", HTTP_ACCEPT="application/json")
    response = _through_middleware(_fails, request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    data = json.loads(response.content)
    assert data["saved"] is False and "the database" in data["error"]


@pytest.mark.django_db(transaction=True)
def test_the_debrief_autosave_gets_a_body_that_is_not_json_so_it_retries():
    """static/js/debrief.js retries (same token) when the answer does not parse as JSON; a JSON
    error without a retry would leave the answers marked saved."""
    request = RequestFactory().post("/x/", HTTP_X_AUTOSAVE="1", HTTP_ACCEPT="*/*")
    response = _through_middleware(_fails, request)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
