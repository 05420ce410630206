"""A real Celery worker for a test: another process, on the test database and the test Redis broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import psycopg
from django.db import connection

T = TypeVar("T")


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def real_worker(log_path: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``celery worker`` (solo pool) until the block ends; its log goes to ``log_path``.

    The test must use ``django_db(transaction=True)``: the worker sees committed rows only.
    """
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-heartbeat",
               "--without-gossip", "--without-mingle", "-l", "warning"]  # fmt: skip
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            command, env={**os.environ, "DATABASE_URL": database_url(), **env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield worker
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def wait_for(condition: Callable[[], T], *, what: str, timeout: float = 120.0, every: float = 0.2) -> T:
    """Poll ``condition`` until it returns something true (returned); TimeoutError after ``timeout`` s.

    Generous by default: a loaded two-core machine starts a worker in seconds, not always in one.
    """
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)
    return value


def kill(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL, as the out-of-memory killer, `docker kill` or a power cut does: no clean-up runs."""
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def _connect(*, autocommit: bool) -> psycopg.Connection:
    """A connection of the test's own to the test database, outside Django's."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or None, user=db["USER"],
        password=db["PASSWORD"] or None, dbname=db["NAME"], autocommit=autocommit,
    )  # fmt: skip


class TableLock:
    """ACCESS EXCLUSIVE on a table, held by a connection of the test's own: whoever reads it waits."""

    def __init__(self, table: str) -> None:
        self.connection = _connect(autocommit=False)
        self.connection.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')  # a fixed name from the test

    def waiting(self) -> list[int]:
        """The server processes (other connections) now waiting for this lock."""
        with _connect(autocommit=True) as other:
            rows = other.execute(
                "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (self.connection.info.backend_pid,),
            ).fetchall()
        return [pid for (pid,) in rows]

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def gone(pids: list[int]) -> bool:
    """None of these server processes is left (a killed client's query ends once it may run)."""
    with _connect(autocommit=True) as other:
        return not other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)).fetchall()


@contextmanager
def table_locked(table: str) -> Iterator[TableLock]:
    lock = TableLock(table)
    try:
        yield lock
    finally:
        if not lock.connection.closed:
            lock.release()


def forget_unacked() -> None:
    """Drop the messages a killed worker left unacknowledged in this test's broker database."""
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("unacked", "unacked_index", "unacked_mutex")
