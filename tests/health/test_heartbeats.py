from datetime import timedelta

import pytest
from django.utils import timezone

from health import heartbeats


@pytest.mark.django_db
def test_a_heartbeat_is_kept_per_part_and_the_newest_wins():
    earlier = timezone.now() - timedelta(minutes=5)
    heartbeats.record("worker", at=earlier)
    assert heartbeats.last("worker", "beat") == {"worker": earlier, "beat": None}
    heartbeats.record("worker")
    assert heartbeats.last("worker")["worker"] > earlier


@pytest.mark.django_db
def test_overdue_names_the_parts_that_are_late_by_their_own_interval():
    now = timezone.now()
    heartbeats.record("beat", at=now - timedelta(seconds=20))
    heartbeats.record("worker", at=now - timedelta(minutes=4))
    heartbeats.record("reminders", at=now - timedelta(hours=24))
    assert heartbeats.overdue(now) == ["worker"]  # the nightly backup: beat has not been up for a day yet
    assert heartbeats.overdue(now + timedelta(hours=2)) == ["worker", "beat", "reminders"]
    assert heartbeats.overdue(now, names=("reminders",)) == []


@pytest.mark.django_db
def test_a_fresh_installation_is_late_only_for_what_should_already_beat():
    now = timezone.now()
    assert heartbeats.overdue(now) == ["worker", "beat"]
    heartbeats.record("beat", at=now)
    heartbeats.record("worker", at=now)
    assert heartbeats.overdue(now) == []
    heartbeats.record("beat", at=now + timedelta(hours=26))  # beat up for 26 h; the daily runs never ran
    heartbeats.record("worker", at=now + timedelta(hours=26))
    assert heartbeats.overdue(now + timedelta(hours=26)) == ["reminders", "nightly-backup"]


@pytest.mark.django_db
def test_the_worker_heartbeat_task_records_the_worker():
    from health import tasks

    tasks.worker_heartbeat()
    assert heartbeats.overdue(names=("worker",)) == []


def test_beat_queues_the_worker_heartbeat_and_records_its_own():
    from celery.beat import PersistentScheduler
    from django.conf import settings

    from config.celery import app
    from health.scheduler import HeartbeatScheduler

    entry = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]
    assert entry["task"] == "health.tasks.worker_heartbeat" and entry["task"] in app.tasks
    assert entry["schedule"] == 30 and entry["options"]["expires"] < 30
    assert app.conf.beat_scheduler == "health.scheduler:HeartbeatScheduler"
    assert heartbeats.PARTS["worker"].late_after > 2 * timedelta(seconds=entry["schedule"])
    assert issubclass(HeartbeatScheduler, PersistentScheduler)  # the schedule file: a restart postpones nothing


@pytest.mark.django_db(transaction=True)  # a failed heartbeat closes the connection
def test_beat_records_its_heartbeat_as_it_ticks_and_goes_on_when_the_database_is_down(tmp_path, monkeypatch):
    from django.db import OperationalError

    from config.celery import app
    from health.scheduler import HeartbeatScheduler

    scheduler = HeartbeatScheduler(app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    scheduler.record_heartbeat()
    first = heartbeats.last("beat")["beat"]
    assert first is not None

    def down(name: str, **kwargs: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(heartbeats, "record", down)
    scheduler._beaten_at = 0.0
    scheduler.record_heartbeat()  # logged, not raised: beat goes on
    assert scheduler._failing
    monkeypatch.undo()
    scheduler._beaten_at = 0.0
    scheduler.record_heartbeat()
    assert not scheduler._failing and heartbeats.last("beat")["beat"] > first
