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


@pytest.mark.django_db(transaction=True)
def test_a_draft_started_while_the_broker_is_down_waits_and_is_computed_when_it_is_back(
    reporting_world, supervisor, client_for, monkeypatch, tmp_path: Path
):
    """No 500 and no draft stuck for good: the page says it waits, and beat's sweep queues it on a real worker."""
    from kombu.exceptions import OperationalError

    from reporting.models import Snapshot as SnapshotModel

    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    reporting_world()
    app.control.purge()

    def broker_down(*args: object, **kwargs: object) -> None:
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.compute_snapshot, "delay", broker_down)  # the broker outside the system, down
    client = client_for(supervisor)
    response = client.post("/reports/manage/start/")
    assert response.status_code == 302
    snapshot = SnapshotModel.objects.get()
    assert snapshot.status == SnapshotModel.Status.QUEUED
    monkeypatch.undo()  # the broker is back
    SnapshotModel.objects.filter(pk=snapshot.pk).update(created_at=snapshot.created_at - tasks.UNCLAIMED_AFTER * 2)
    page = client.get(f"/reports/manage/{snapshot.pk}/").content.decode()
    assert "It will start on its own when the task queue is back" in page

    with real_worker(tmp_path / "worker.log"):
        tasks.resume_queued.delay()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            snapshot.refresh_from_db()
            if not snapshot.is_busy:
                break
            time.sleep(0.5)
    assert snapshot.status == SnapshotModel.Status.DRAFT, (tmp_path / "worker.log").read_text()[-2000:]
