"""A dependency that is down gets a plain 503 page that says which one, not a generic 500.

PostgreSQL stopped, Redis stopped or unreachable: every request that needs them fails
with an exception from psycopg, redis-py or kombu, raised in a view or in a middleware
(the session is loaded from the database by the authentication middleware, and saved on
the way out). ``DependencyDownMiddleware`` (first in MIDDLEWARE) answers those raised by
views; ``health.views.server_error`` (handler500) answers those raised anywhere else.

The page is rendered from a standalone template with no request context: no context
processor, session, cache or database is touched, and the language comes from the
request alone (the language cookie, then Accept-Language). One warning line is logged
per request, naming the part and the path, never the exception's text (it can name
hosts) and no traceback.

"What you sent was not saved" is said only when it is true: for an unsafe method the
middleware notes each write that was committed during the request (a write in
autocommit, or one inside a transaction whose outermost block committed). With no such
write the page says nothing was saved; otherwise it says part of it may have been.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from django.db import connection, transaction
from django.db.utils import InterfaceError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger("health.unavailable")

Part = Literal["database", "cache"]
# Seconds a client (or a person) is asked to wait before trying again.
RETRY_AFTER = 30
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")
# Set on the request once its one log line is written: a second exception on the way out
# (a middleware's process_response failing the same way) must not log again.
_LOGGED = "_haven_unavailable_logged"
_WRITTEN = "_haven_committed_write"


def _dependency_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    import psycopg
    import redis.exceptions
    from kombu.exceptions import OperationalError as KombuOperationalError

    database: tuple[type[BaseException], ...] = (psycopg.OperationalError, psycopg.InterfaceError, InterfaceError)
    cache: tuple[type[BaseException], ...] = (
        redis.exceptions.ConnectionError,  # TimeoutError's parent in redis-py is RedisError: listed below
        redis.exceptions.TimeoutError,
        KombuOperationalError,
    )
    return database, cache


DATABASE_ERRORS, CACHE_ERRORS = _dependency_errors()
# SQLSTATEs that mean the server cannot be reached or is going away (PostgreSQL's appendix A:
# class 08 connection exception, 57P01-57P03 shutdown / cannot connect now, 53300 too many
# connections). A failure to connect or a dropped connection has no SQLSTATE at all.
CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _database_unreachable(exc: BaseException) -> bool:
    """A connection failure, not a query's own error (a deadlock, a timeout, a lock: those are 500s)."""
    if not isinstance(exc, DATABASE_ERRORS):
        return False
    state = getattr(exc, "sqlstate", None)
    return state is None or state.startswith(CONNECTION_STATES)


def part_of(exc: BaseException | None) -> Part | None:
    """Which dependency ``exc`` says is unreachable ("database" or "cache"), else None.

    Follows explicit causes only (``raise ... from``, as Django's database error wrapper
    does), never the exception being handled when another was raised: a bug in an
    ``except`` block is a bug, reported as a 500 with its traceback.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, CACHE_ERRORS):
            return "cache"
        if _database_unreachable(exc):
            return "database"
        exc = exc.__cause__
    return None


def language_of(request: HttpRequest) -> str:
    """The person's language from the request only: the language cookie, then Accept-Language."""
    return translation.get_language_from_request(request, check_path=False)


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def response_for(request: HttpRequest, part: Part, exc: BaseException | None = None) -> HttpResponse:
    """The 503 answer for ``request`` when ``part`` is down, logged once."""
    unsafe = request.method not in SAFE_METHODS
    written = bool(getattr(request, _WRITTEN, False))
    if not getattr(request, _LOGGED, False):
        setattr(request, _LOGGED, True)
        logger.warning(
            "Unavailable (503): the %s is unreachable (%s) on %s %s",
            "database" if part == "database" else "cache/broker",
            type(exc).__name__ if exc is not None else "-",
            request.method,
            request.path.encode("unicode_escape").decode("ascii"),  # a %0A in the path forges no log line
        )
    language = language_of(request)
    with translation.override(language):
        what = _("the database") if part == "database" else _("the cache and task queue")
        if not unsafe:
            saved = ""
        elif written:
            saved = _("Part of what you sent may have been saved. Check before you send it again.")
        else:
            saved = _("What you sent was not saved.")
        response: HttpResponse
        if _wants_json(request):
            error = _("Haven cannot reach %(part)s just now. Try again in a minute.") % {"part": what}
            data: dict[str, Any] = {"error": f"{error} {saved}".strip()}
            if unsafe:
                data["saved"] = None if written else False  # None: part of it may have been
            response = JsonResponse(data, status=503)
        else:
            body = get_template("health/unavailable.html").render(
                {"language": language, "part": what, "saved": saved, "retry_after": RETRY_AFTER}
            )
            response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    # Django's own "Service Unavailable" line, with its traceback, would repeat the one above.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@contextmanager
def noting_committed_writes(request: HttpRequest) -> Iterator[None]:
    """Mark ``request`` once a write it made is committed (see the module's docstring)."""

    def committed() -> None:
        setattr(request, _WRITTEN, True)

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and sql.lstrip().upper().startswith(_WRITES):
            if connection.in_atomic_block or connection.get_autocommit():
                # Runs at once in autocommit; inside a transaction, only if its outermost block commits.
                transaction.on_commit(committed)
            else:
                committed()  # managed by hand: assume the worst, that it may have been saved
        return result

    with connection.execute_wrapper(wrapper):
        yield


class DependencyDownMiddleware:
    """First in MIDDLEWARE: a view's dependency error becomes the 503 page (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        with noting_committed_writes(request):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        part = part_of(exception)
        if part is None:
            return None
        return response_for(request, part, exception)
