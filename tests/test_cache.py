"""Redis holds nothing that runs code when read: the cache and Celery speak JSON only."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app as celery_app


class _Payload:
    """A pickle that, if ever loaded, creates a file (any code would run the same way)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.mknod, (str(self.marker),))


def test_a_pickle_planted_in_redis_is_refused_not_run(tmp_path):
    marker = tmp_path / "pwned"
    cache.set("planted", "a value")  # the key the cache itself would read
    raw_key = cache.make_and_validate_key("planted")
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    assert redis.exists(raw_key)
    redis.set(raw_key, pickle.dumps(_Payload(marker)))
    with pytest.raises(ValueError):
        cache.get("planted")
    assert not marker.exists()


@pytest.mark.parametrize(
    "value",
    ["text", "", 0, 7, -3, 2**40, True, None, 1.5, [1, "a", None], {"a": [1, 2]}, [1700000000.25, 1700000001.5]],
)
def test_json_values_round_trip(value):
    cache.set("value", value)
    assert cache.get("value") == value


def test_counters_stay_atomic_integers():
    cache.set("counter", 1)
    assert cache.incr("counter") == 2
    assert cache.get("counter") == 2


def test_celery_accepts_json_only():
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.result_serializer == "json"
    assert settings.CELERY_ACCEPT_CONTENT == ["json"]
