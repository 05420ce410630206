"""The snapshot task on a real Celery worker; the daily schedule; what goes through Redis."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from config.celery import app
from reporting import services, tasks
from reporting.models import Snapshot
from tests.reporting.world import SENTINEL_NAME, TODAY
from tests.worker import real_worker


@pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
def test_a_draft_is_computed_on_a_real_worker_and_only_its_id_goes_through_redis(
    reporting_world, supervisor, tmp_path: Path
):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    reporting_world()
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    app.control.purge()
    snapshot = services.start_draft(by=supervisor, today=TODAY)  # commits, then queues

    queued = broker.lrange("celery", 0, -1)
    assert len(queued) == 1
    body = json.loads(queued[0])
    assert body["headers"]["task"] == "reporting.tasks.compute_snapshot"
    assert body["headers"]["argsrepr"] == repr((str(snapshot.pk),))
    assert SENTINEL_NAME not in queued[0].decode() and "Sentinel" not in queued[0].decode()

    with real_worker(tmp_path / "worker.log"):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            snapshot.refresh_from_db()
            if not snapshot.is_busy:
                break
            time.sleep(0.5)
    assert snapshot.status == Snapshot.Status.DRAFT, (tmp_path / "worker.log").read_text()[-2000:]
    assert snapshot.progress == 100 and snapshot.publication
    for key in broker.scan_iter():
        value = broker.dump(key) or b""
        assert SENTINEL_NAME.encode() not in value, key


@pytest.mark.django_db
def test_the_schedule_queues_one_draft_per_newly_closed_quarter(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        first = services.scheduled_draft(today=TODAY)
    assert first is not None and first.created_by is None and str(first.period_end) == "2026-03-31"
    Snapshot.objects.filter(pk=first.pk).update(status=Snapshot.Status.DRAFT)
    assert services.scheduled_draft(today=TODAY) is None  # the same day again: nothing more
    assert services.scheduled_draft(today=TODAY.replace(month=6)) is None  # 2026 Q2 has not closed plus a month
    with django_capture_on_commit_callbacks():
        assert services.scheduled_draft(today=TODAY.replace(month=8)) is not None
    assert Snapshot.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_computation_says_why_and_publishes_nothing(supervisor, monkeypatch):
    from reporting import compute
    from reporting.disclosure import DisclosureError

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise DisclosureError("no pattern")

    monkeypatch.setattr(compute.disclosure, "protect", refuse)
    snapshot = services.start_draft(by=supervisor, today=TODAY)
    services.run_computation(str(snapshot.pk))
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.FAILED and "protects every small count" in snapshot.error
    assert snapshot.publication == [] and not Snapshot.objects.published().exists()
    services.run_computation(str(snapshot.pk))  # a retry of a snapshot no longer queued does nothing


def test_beat_schedules_the_daily_draft_check():
    entry = settings.CELERY_BEAT_SCHEDULE["quarterly-report-draft"]
    assert entry["task"] == "reporting.tasks.scheduled_draft" and entry["task"] in app.tasks
    assert tasks.compute_snapshot.name == "reporting.tasks.compute_snapshot"
