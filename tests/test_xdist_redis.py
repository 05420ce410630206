from __future__ import annotations

import os

from django.conf import settings

from tests.xdist_redis import shifted


def test_each_test_process_moves_its_redis_databases_up_by_two() -> None:
    assert shifted("redis://127.0.0.1:6379/9", 2) == "redis://127.0.0.1:6379/11"
    assert shifted("redis://127.0.0.1:6379/8", 0) == "redis://127.0.0.1:6379/8"
    # Never wrapped round onto another's databases: Redis refuses an index past its last one.
    assert shifted("redis://127.0.0.1:6379/15", 2) == "redis://127.0.0.1:6379/17"
    assert shifted("redis://redis:6379", 4) == "redis://redis:6379/4"  # no path: database 0
    assert shifted("rediss://tls.example/3", 2) == "rediss://tls.example/3"  # not a form it knows: unchanged


def test_the_settings_are_read_after_the_urls_are_moved() -> None:
    # Under xdist, gw1 and up have moved URLs in the environment: the settings must hold those.
    assert os.environ["REDIS_URL"] == settings.REDIS_URL
    assert os.environ["CELERY_BROKER_URL"] == settings.CELERY_BROKER_URL
