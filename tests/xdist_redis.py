"""Redis databases of its own for each test process when the suite runs on several (pytest-xdist).

``make test`` runs the suite on two processes (``-n 2``). PostgreSQL needs nothing: pytest-django
gives each process its own test database (test_haven_gw0, test_haven_gw1). Redis does: every
test clears the cache, and tests with a real Celery worker read the broker's queues, so two
processes on one Redis database would empty each other's cache and take each other's tasks.

Loaded with ``-p`` (pyproject.toml's addopts), before pytest-django reads the settings: process
gwK moves REDIS_URL and CELERY_BROKER_URL K x 2 databases up, so with the Makefile's 9 and 8,
gw0 keeps 9 and 8 and gw1 uses 11 and 10. Past the server's last database (16 by default) Redis
refuses the connection ("DB index is out of range") and the tests fail saying so: the numbers never
wrap round onto databases that something else may be using. Outside xdist it does nothing.
"""

from __future__ import annotations

import os
import re


def shifted(url: str, by: int) -> str:
    """``url`` with its database number (the path, 0 when absent) moved up ``by``."""
    match = re.fullmatch(r"(redis://[^/]+)(?:/(\d*))?", url)
    if not match:
        return url
    return f"{match[1]}/{int(match[2] or 0) + by}"


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if re.fullmatch(r"gw\d+", _worker) and int(_worker[2:]):
    for _name in ("REDIS_URL", "CELERY_BROKER_URL"):
        if os.environ.get(_name):
            os.environ[_name] = shifted(os.environ[_name], 2 * int(_worker[2:]))
