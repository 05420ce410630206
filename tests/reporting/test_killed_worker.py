"""A worker killed (SIGKILL) while computing a report: the report is computed again by a fresh
worker, a few times at most; its progress shows while it computes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from config.celery import app
from reporting import compute, services, tasks
from reporting.models import Snapshot
from tests.reporting.world import TODAY
from tests.worker import _connect, forget_unacked, gone, kill, real_worker, table_locked, wait_for


@pytest.mark.django_db(transaction=True)  # the worker is another process: it sees committed rows only
def test_a_report_whose_worker_is_killed_is_computed_again_by_a_fresh_worker(supervisor, settings, tmp_path: Path):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    app.control.purge()
    log = tmp_path / "worker.log"
    try:
        # The computation reads the published periods early on: locked, it really computes and waits.
        with table_locked("reporting_publishedperiod") as lock, real_worker(log, HAVEN_HEARTBEAT_SECONDS="1") as worker:
            snapshot = services.start_draft(by=supervisor, today=TODAY)
            waiting = wait_for(lock.waiting, what="the computation to wait for the lock")
            snapshot.refresh_from_db()
            assert snapshot.status == Snapshot.Status.COMPUTING and snapshot.attempts == 1, log.read_text()[-2000:]
            with pytest.raises(ValidationError, match="already being computed"):
                services.start_draft(by=supervisor, today=TODAY)
            kill(worker)
            lock.release()
        wait_for(lambda: gone(waiting), what="the killed worker's query to end")

        settings.HEARTBEAT_STALE_SECONDS = 2  # beat's sweep, a little sooner than a minute
        assert wait_for(services.redo_stopped_computations, what="the sweep") == [str(snapshot.pk)]
        snapshot.refresh_from_db()
        assert snapshot.status == Snapshot.Status.QUEUED and snapshot.progress == 0
        assert AuditEvent.objects.filter(action="reporting.snapshot.requeued", object_ref=str(snapshot.pk)).exists()
        settings.HEARTBEAT_STALE_SECONDS = 60

        with real_worker(tmp_path / "fresh.log"):
            tasks.compute_snapshot.delay(str(snapshot.pk))
            wait_for(lambda: not Snapshot.objects.get(pk=snapshot.pk).is_busy, what="the computation")
        snapshot.refresh_from_db()
        assert snapshot.status == Snapshot.Status.DRAFT, (tmp_path / "fresh.log").read_text()[-2000:]
        assert snapshot.attempts == 2 and snapshot.progress == 100 and snapshot.publication
        assert Snapshot.objects.count() == 1
    finally:
        forget_unacked()


@pytest.mark.django_db
def test_a_report_whose_worker_died_again_and_again_fails_with_the_reason(supervisor, settings, client_for):
    silent = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5)
    first = Snapshot.objects.create(
        period_end=TODAY, threshold=10, rounding_base=5, status=Snapshot.Status.COMPUTING, heartbeat_at=silent,
        attempts=1, progress=40, created_by=supervisor,
    )  # fmt: skip
    last = Snapshot.objects.create(
        period_end=TODAY, threshold=10, rounding_base=5, status=Snapshot.Status.COMPUTING, heartbeat_at=silent,
        attempts=services.MAX_ATTEMPTS,
    )  # fmt: skip
    alive = Snapshot.objects.create(
        period_end=TODAY, threshold=10, rounding_base=5, status=Snapshot.Status.COMPUTING, heartbeat_at=timezone.now(),
        attempts=1,
    )  # fmt: skip

    assert services.redo_stopped_computations() == [str(first.pk)]

    statuses = dict(Snapshot.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "queued", last.pk: "failed", alive.pk: "computing"}
    last.refresh_from_db()
    assert "The worker stopped while computing (killed or restarted), 3 times" in last.error
    assert AuditEvent.objects.filter(action="reporting.snapshot.failed", object_ref=str(last.pk)).exists()
    assert services.redo_stopped_computations() == []
    page = client_for(supervisor).get(f"/reports/manage/{first.pk}/").content.decode()
    assert "The worker stopped while computing this report" in page and "when the task queue is back" not in page
    page = client_for(supervisor).get(f"/reports/manage/{last.pk}/").content.decode()
    assert "The worker stopped while computing (killed or restarted), 3 times" in page


@pytest.mark.django_db
def test_a_computing_report_whose_worker_stopped_no_longer_blocks_a_new_one_once_noticed(supervisor, settings):
    silent = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 5)
    Snapshot.objects.create(
        period_end=TODAY, threshold=10, rounding_base=5, status=Snapshot.Status.COMPUTING, heartbeat_at=silent,
        attempts=services.MAX_ATTEMPTS,
    )  # fmt: skip
    services.redo_stopped_computations()
    assert services.start_draft(by=supervisor, today=TODAY).status == Snapshot.Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_progress_shows_while_the_report_computes(supervisor, settings, monkeypatch):
    """Written by the heartbeat's own connection: the computation's transaction is still open."""
    settings.HEARTBEAT_SECONDS = 0.05
    seen = []
    original = compute.compute

    def watched(snapshot, *, progress):  # type: ignore[no-untyped-def]
        progress(40)
        with _connect(autocommit=True) as other:
            row = "SELECT progress, heartbeat_at FROM reporting_snapshot"
            seen.append(wait_for(lambda: other.execute(row).fetchone()[0] == 40, what="the progress", timeout=30))
            first = other.execute(row).fetchone()[1]
            wait_for(lambda: other.execute(row).fetchone()[1] > first, what="another beat", timeout=30)
        return original(snapshot, progress=progress)

    monkeypatch.setattr(compute, "compute", watched)
    snapshot = services.start_draft(by=supervisor, today=TODAY)
    services.run_computation(str(snapshot.pk))
    snapshot.refresh_from_db()
    assert seen == [True] and snapshot.status == Snapshot.Status.DRAFT and snapshot.progress == 100


@pytest.mark.django_db(transaction=True)
def test_a_computation_taken_for_dead_and_queued_again_is_dropped_when_it_ends(supervisor, monkeypatch):
    original = compute.compute

    def swept_meanwhile(snapshot, *, progress):  # type: ignore[no-untyped-def]
        with _connect(autocommit=True) as other:  # beat's sweep, from its own process
            other.execute("UPDATE reporting_snapshot SET status = 'queued', heartbeat_at = NULL")
        return original(snapshot, progress=progress)

    monkeypatch.setattr(compute, "compute", swept_meanwhile)
    snapshot = services.start_draft(by=supervisor, today=TODAY)
    services.run_computation(str(snapshot.pk))
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.QUEUED and snapshot.publication == []
    assert not AuditEvent.objects.filter(action="reporting.snapshot.computed").exists()


def test_beat_sweeps_computing_reports_every_minute():
    assert settings.CELERY_BEAT_SCHEDULE["reports-queued"] == {"task": tasks.resume_queued.name, "schedule": 60}
    assert tasks.compute_snapshot.acks_late
