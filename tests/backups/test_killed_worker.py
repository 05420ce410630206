"""A worker killed (SIGKILL) during a backup: the row is failed with its reason within a sweep,
its files are removed, and a new backup starts and completes on a fresh worker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from backups import services, tasks
from backups.models import Backup
from config.celery import app
from tests.factories import CaseFactory
from tests.worker import forget_unacked, gone, kill, real_worker, table_locked, wait_for


def worker_env() -> dict[str, str]:
    return {
        "HAVEN_BACKUP_DIR": str(settings.BACKUP_DIR),
        "HAVEN_BACKUP_RECIPIENTS": ",".join(settings.BACKUP_RECIPIENTS),
        "HAVEN_HEARTBEAT_SECONDS": "1",
    }


@pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
def test_a_backup_whose_worker_is_killed_is_failed_with_its_reason_and_a_new_one_completes(
    trustee, admin, settings, tmp_path: Path
):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    CaseFactory()
    app.control.purge()
    log = tmp_path / "worker.log"
    try:
        # pg_dump reads every table: with one locked, the backup really runs and waits.
        with table_locked("reporting_publishedperiod") as lock, real_worker(log, **worker_env()) as worker:
            backup = services.start_backup(by=admin)
            waiting = wait_for(lock.waiting, what="pg_dump to wait for the lock")
            backup.refresh_from_db()
            assert backup.status == Backup.Status.RUNNING and backup.is_in_progress, log.read_text()[-2000:]
            partial = settings.BACKUP_DIR / f"{backup.name}.dump.zst.age.partial"
            assert partial.exists()
            with pytest.raises(Exception, match="A backup is already running"):
                services.start_backup(by=admin)
            kill(worker)
            lock.release()
        wait_for(lambda: gone(waiting), what="the killed worker's pg_dump to end")

        settings.HEARTBEAT_STALE_SECONDS = 2  # beat's sweep, a little sooner than a minute
        wait_for(lambda: services.fail_stopped_backups(), what="the sweep to notice the silent backup")
        backup.refresh_from_db()
        assert backup.status == Backup.Status.FAILED and not backup.is_in_progress
        assert backup.error.startswith("the worker stopped during the backup (killed or restarted)")
        assert list(settings.BACKUP_DIR.glob(f"{backup.name}.*")) == []
        event = AuditEvent.objects.get(action="backups.backup.failed")
        assert event.object_ref == backup.name and event.actor == admin
        assert services.fail_stopped_backups() == []  # once only

        with real_worker(tmp_path / "fresh.log", **worker_env()):
            again = services.start_backup(by=admin)  # no longer refused
            wait_for(
                lambda: Backup.objects.filter(pk=again.pk, verified_at__isnull=False).exists(),
                what="the new backup",
            )
        again.refresh_from_db()
        assert again.status == Backup.Status.OK and again.is_verified, (tmp_path / "fresh.log").read_text()[-2000:]
        assert AuditEvent.objects.filter(action="backups.backup.failed").count() == 1
    finally:
        forget_unacked()


@pytest.mark.django_db
def test_the_sweep_fails_only_backups_whose_heartbeat_stopped(trustee, admin, settings):
    now = timezone.now()
    silent = now - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5)
    dead = Backup.objects.create(name="haven-dead", status=Backup.Status.RUNNING, heartbeat_at=silent, started_by=admin)
    never = Backup.objects.create(name="", status=Backup.Status.RUNNING, started_at=silent)  # killed before it beat
    alive = Backup.objects.create(name="haven-alive", status=Backup.Status.RUNNING, heartbeat_at=now)
    queued = Backup.objects.create(status=Backup.Status.QUEUED, started_at=silent)
    directory = services.backup_dir()
    for name in ("haven-dead.dump.zst.age", "haven-dead.keyring.json.age.partial", "haven-alive.dump.zst.age.partial"):
        (directory / name).write_bytes(b"x")

    assert sorted(services.fail_stopped_backups()) == sorted([str(dead.pk), str(never.pk)])

    assert sorted(path.name for path in directory.iterdir()) == ["haven-alive.dump.zst.age.partial"]
    statuses = dict(Backup.objects.values_list("pk", "status"))
    assert statuses == {dead.pk: "failed", never.pk: "failed", alive.pk: "running", queued.pk: "queued"}
    assert AuditEvent.objects.filter(action="backups.backup.failed").count() == 2


@pytest.mark.django_db
def test_a_late_ending_of_a_backup_already_failed_keeps_the_reason(trustee, admin, monkeypatch):
    """Taken for dead (no heartbeat for a while) and failed, then it finishes after all: it stays failed."""

    def swept_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        Backup.objects.update(status=Backup.Status.FAILED, error="the worker stopped")
        raise services.BackupError("pg_dump failed (exit 1)")

    monkeypatch.setattr(services.streams, "dump_postgres", swept_meanwhile)
    backup = services.create_backup(by=admin)
    assert backup.status == Backup.Status.FAILED and backup.error == "the worker stopped"
    assert not AuditEvent.objects.filter(action="backups.backup.failed").exists()


@pytest.mark.django_db(transaction=True)
def test_a_running_backup_beats_from_its_own_connection(trustee, admin, settings, monkeypatch):
    """The heartbeat is committed at once while the backup runs, seen from another connection."""
    from tests.worker import _connect

    settings.HEARTBEAT_SECONDS = 0.05
    seen = []
    dump = services.streams.dump_postgres

    def watching(*args, **kwargs):  # type: ignore[no-untyped-def]
        with _connect(autocommit=True) as other:
            first = wait_for(
                lambda: other.execute("SELECT heartbeat_at FROM backups_backup").fetchone()[0], what="a beat"
            )
            wait_for(
                lambda: other.execute("SELECT heartbeat_at FROM backups_backup").fetchone()[0] > first,
                what="another beat",
            )
            seen.append(first)
        return dump(*args, **kwargs)

    monkeypatch.setattr(services.streams, "dump_postgres", watching)
    backup = services.create_backup(by=admin)
    assert backup.status == Backup.Status.OK and seen


def test_beat_sweeps_running_backups_every_minute():
    assert settings.CELERY_BEAT_SCHEDULE["backups-queued"] == {"task": tasks.resume_queued.name, "schedule": 60}
    assert tasks.run_backup.acks_late and tasks.nightly_backup.acks_late


@pytest.mark.django_db
def test_a_nightly_run_delivered_again_after_it_completed_does_nothing(trustee):
    from health import heartbeats

    tasks.nightly_backup()
    tasks.nightly_backup()  # the same message again (its worker was killed before it was acknowledged)
    assert Backup.objects.filter(status=Backup.Status.OK).count() == 1
    assert heartbeats.last("nightly-backup")["nightly-backup"] is not None
