"""A real Celery worker for a test: another process, on the test database and the test Redis broker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection


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
