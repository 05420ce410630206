"""Health checks: each answers "ok", "late" or "failing" for one part of Haven, quickly.

Two lists (README, "What an operator sees"):

- ``READY``: can this web process serve pages: the database answers a query, the cache
  answers, the keyring is loaded, the static files were collected. ``/readyz`` (for a
  load balancer or the container's health check).
- ``HEALTH``: the whole installation: everything in READY, the broker reachable, and
  each background part's heartbeat recent (``health.heartbeats.PARTS``). ``/healthz`` (for
  monitoring) and ``manage.py health``.

A check is a callable returning a ``Result``; it never raises. Timeouts are short: the
database's connect_timeout and the cache's socket timeouts (config/settings.py), the
broker's below. A check's ``detail`` names no host, version or exception text: it is
shown only to an operator (the token, or the command), but still kept plain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

Status = Literal["ok", "late", "failing"]
BROKER_TIMEOUT = 3.0  # seconds


@dataclass(frozen=True)
class Result:
    name: str
    status: Status
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


Check = Callable[[], Result | Sequence[Result]]


def _failing(name: str, exc: BaseException) -> Result:
    # The class only: an exception's text can name a host, a user or a path.
    logger.warning("Health check %s failing: %s", name, type(exc).__name__)
    return Result(name, "failing", type(exc).__name__)


# Seconds the database check waits for PostgreSQL to answer a new connection, handshake included.
DATABASE_TIMEOUT = 3


def database() -> Result:
    """A new connection and ``SELECT 1``, within DATABASE_TIMEOUT seconds.

    Not the request's kept connection: a query on a connection that is already open has
    no client-side deadline, so a PostgreSQL that hangs (stopped, not down) would hold
    the check, and the web worker, until gunicorn kills it. libpq's connect_timeout
    covers the whole handshake, so a new connection gives up in time.
    """
    from django.db import connection

    try:
        if connection.vendor != "postgresql":
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        else:
            params = connection.get_connection_params()
            postgres_answers({key: params[key] for key in params if key not in ("cursor_factory", "context")})
    except Exception as exc:
        return _failing("database", exc)
    return Result("database", "ok")


def postgres_answers(params: dict[str, Any]) -> None:
    """``SELECT 1`` on a new psycopg connection (``params``: psycopg.connect's keywords) within
    DATABASE_TIMEOUT seconds; raises psycopg.OperationalError otherwise."""
    import psycopg

    with psycopg.connect(**{**params, "connect_timeout": DATABASE_TIMEOUT}) as fresh:
        fresh.execute("SELECT 1").fetchone()


def cache() -> Result:
    from django.core.cache import cache as default_cache

    try:
        default_cache.set("health:probe", 1, timeout=10)
        if default_cache.get("health:probe") != 1:
            return Result("cache", "failing", "wrong answer")
    except Exception as exc:
        return _failing("cache", exc)
    return Result("cache", "ok")


def keyring() -> Result:
    ring = settings.KEYRING
    if not ring.keks or not ring.blind_index_key or not ring.audit_key:
        return Result("keyring", "failing", "not loaded")
    return Result("keyring", "ok")


def static_files() -> Result:
    """With the manifest storage, this process found the manifest (``collectstatic`` ran before it started).

    The storage reads the manifest once, when the process first uses it: a process started
    before collectstatic answers 500 on every page until it is restarted, and fails here too.
    """
    from django.contrib.staticfiles.storage import staticfiles_storage

    try:
        staticfiles_storage.url("css/haven.css")
    except Exception as exc:
        return _failing("static", exc)
    return Result("static", "ok")


def broker() -> Result:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return Result("broker", "ok", "none (tasks run in the web process)")
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
            if conn.transport.driver_type == "redis":
                conn.default_channel.client.ping()
    except Exception as exc:
        return _failing("broker", exc)
    return Result("broker", "ok")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def heartbeats() -> list[Result]:
    """One result per part in health.heartbeats.PARTS: ok, late (heartbeats.overdue), or failing (unreadable)."""
    from health.heartbeats import PARTS, last, overdue

    if settings.CELERY_TASK_ALWAYS_EAGER:  # a laptop without a task queue: nothing runs in the background
        return [Result(name, "ok", "none (no task queue)") for name in PARTS]
    try:
        found, late = last(*PARTS), set(overdue())
    except Exception as exc:
        # Unknown rather than dead: the database that holds them did not answer (its own check says so).
        logger.warning("Health check heartbeats unreadable: %s", type(exc).__name__)
        return [Result(name, "failing", "unknown: database unreachable") for name in PARTS]
    now = timezone.now()
    results = []
    for name in PARTS:
        at = found[name]
        age = "never" if at is None else _age(now - at)
        results.append(Result(name, "late" if name in late else "ok", age))
    return results


# A check is added by naming it in one of these lists (a function returning one Result or several).
READY: list[Check] = [database, cache, keyring, static_files]
HEALTH: list[Check] = [*READY, broker, heartbeats]


def run(checks: Sequence[Check]) -> list[Result]:
    results: list[Result] = []
    for check in checks:
        answer = check()
        results.extend([answer] if isinstance(answer, Result) else answer)
    return results
