"""The nightly task on a real Celery worker, against the test database and the test Redis broker."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from backups import tasks
from backups.models import Backup
from config.celery import app
from tests.factories import CaseFactory
from tests.worker import real_worker


@pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
def test_the_nightly_task_backs_up_and_verifies_on_a_real_worker(trustee, tmp_path):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    CaseFactory()
    env = {
        "HAVEN_BACKUP_DIR": str(settings.BACKUP_DIR),
        "HAVEN_BACKUP_RECIPIENTS": ",".join(settings.BACKUP_RECIPIENTS),
    }
    app.control.purge()  # this worktree's broker database: nothing else's tasks
    with real_worker(tmp_path / "worker.log", **env):
        tasks.nightly_backup.delay()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            backup = Backup.objects.filter(status__in=[Backup.Status.OK, Backup.Status.FAILED]).first()
            if backup and backup.verified_at:
                break
            time.sleep(0.5)

    assert backup is not None, (tmp_path / "worker.log").read_text()[-2000:]
    assert backup.status == Backup.Status.OK and backup.is_verified
    assert (settings.BACKUP_DIR / f"{backup.name}.manifest.json").exists()


@pytest.mark.django_db(transaction=True)
def test_a_backup_started_from_the_page_runs_and_is_verified(trustee, admin):
    from backups import services

    backup = services.start_backup(by=admin)

    tasks.run_backup(str(backup.id))  # what the worker runs: the task body itself, in this process

    backup.refresh_from_db()
    assert backup.status == Backup.Status.OK and backup.is_verified and backup.started_by == admin


def test_beat_runs_the_nightly_backup_at_the_configured_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-backup"]
    assert entry["task"] == "backups.tasks.nightly_backup" and entry["task"] in app.tasks
    assert entry["schedule"].hour == {settings.BACKUP_HOUR} and entry["schedule"].minute == {0}


@pytest.mark.django_db(transaction=True)
def test_a_backup_queued_with_no_task_is_run_once_by_the_sweep_and_a_second_message_does_nothing(trustee, admin):
    """As after the broker was down at the click: the sweep finds the row; a late duplicate message runs nothing."""
    from datetime import timedelta

    from django.utils import timezone

    waiting = Backup.objects.create(
        started_by=admin, recipients=list(settings.BACKUP_RECIPIENTS), started_at=timezone.now() - timedelta(minutes=5)
    )
    fresh = Backup.objects.create(started_by=admin, recipients=list(settings.BACKUP_RECIPIENTS))
    swept = []
    original, tasks.run_backup.delay = tasks.run_backup.delay, lambda backup_id: swept.append(backup_id)
    try:
        tasks.resume_queued()
    finally:
        tasks.run_backup.delay = original
    assert swept == [str(waiting.id)]  # the fresh one still has its own message coming
    tasks.run_backup(str(waiting.id))
    waiting.refresh_from_db()
    assert waiting.status == Backup.Status.OK and waiting.is_verified
    tasks.run_backup(str(waiting.id))  # the original message, arriving late
    assert Backup.objects.filter(status=Backup.Status.OK).count() == 1
    fresh.delete()


def test_beat_sweeps_queued_backups_and_drafts_every_minute():
    from reporting import tasks as reporting_tasks

    sweeps = {"backups-queued": tasks.resume_queued, "reports-queued": reporting_tasks.resume_queued}
    for name, task in sweeps.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == task.name and entry["schedule"] == 60
