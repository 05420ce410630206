"""Beat as a real process: it records its heartbeat, and a database that is down does not stop it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from health import heartbeats
from tests.services import free_port
from tests.worker import database_url, wait_for


def run_beat(tmp_path: Path, database: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info",
               "-s", str(tmp_path / "celerybeat-schedule")]  # fmt: skip
    log = (tmp_path / "beat.log").open("wb")
    # A due task within seconds, not beat's 30 s first interval.
    env = {**os.environ, "DATABASE_URL": database, "HAVEN_WORKER_HEARTBEAT_SECONDS": "2"}
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(beat: subprocess.Popen[bytes]) -> None:
    from config.celery import app

    beat.terminate()
    beat.wait(timeout=30)
    app.control.purge()  # what it sent, for no worker: the next test starts from an empty queue


@pytest.mark.django_db(transaction=True)  # beat is another process: the test reads what it committed
def test_beat_records_its_heartbeat(tmp_path: Path):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    beat = run_beat(tmp_path, database_url())
    try:
        wait_for(lambda: heartbeats.last("beat")["beat"], what="beat's heartbeat")
    finally:
        stop(beat)
    assert heartbeats.overdue(names=("beat",)) == []


def test_beat_goes_on_while_the_database_is_down(tmp_path: Path):
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    nowhere = f"postgres://postgres@127.0.0.1:{free_port()}/haven"  # nothing listens there
    beat = run_beat(tmp_path, nowhere)
    log = tmp_path / "beat.log"
    try:
        wait_for(lambda: "beat heartbeat not recorded" in log.read_text(), what="the failed heartbeat", timeout=60)
        wait_for(lambda: "Scheduler: Sending due task" in log.read_text() or None, what="a due task", timeout=45)
        assert beat.poll() is None, log.read_text()[-2000:]
        assert log.read_text().count("beat heartbeat not recorded") == 1  # once per outage, not per tick
    finally:
        stop(beat)
