"""What every benchmark runs in (a throwaway test database of its own and the test suite's settings) and how it times.

    with bench_database("brake", BRAKE_OTHER_PER_HOUR=10**6):
        main()

Never the configured database nor the test suite's: ``test_<name>_bench_<bench>``, created
empty (migrated) and dropped afterwards. Static files unhashed (no collectstatic) and a fast
password hasher, as in tests/conftest.py; any other setting the benchmark needs is passed as
a keyword. Needs django.setup() first.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, connections
from django.test.utils import override_settings, setup_test_environment


@contextmanager
def bench_database(bench: str, **overrides: Any) -> Iterator[None]:
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_{bench}"
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    test_settings = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        **overrides,
    )
    test_settings.enable()
    try:
        yield
    finally:
        test_settings.disable()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        connections.close_all()


def median_ms(fn: Callable[[], object], *, runs: int, warm_up: int = 3) -> float:
    """The median wall time of ``runs`` calls of ``fn``, in milliseconds, after ``warm_up`` untimed ones."""
    for _ in range(warm_up):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
