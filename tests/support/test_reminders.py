from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from defectors.models import Case
from support.models import Notification, Referral, Task
from support.services import create_reminders
from support.tasks import send_reminders
from tests.factories import CaseFactory, UserFactory

TODAY = datetime.date.today()
YESTERDAY = TODAY - datetime.timedelta(days=1)


def overdue_world(caseworker, supervisor, provider) -> Case:  # type: ignore[no-untyped-def]
    """An urgent case with an overdue follow-up, an overdue task and a referral sent 30 days ago."""
    case = CaseFactory(created_by=caseworker, full_name="Sentinel Reminder Name")
    Case.objects.filter(pk=case.pk).update(urgency=Case.Urgency.URGENT, next_follow_up=YESTERDAY)
    Task(case=case, title="Sentinel task title", owner=caseworker, due_on=YESTERDAY).save()
    Referral(
        case=case, provider=provider, service_type="legal", status="sent", created_by=caseworker,
        status_changed_at=timezone.now() - datetime.timedelta(days=30),
    ).save()  # fmt: skip
    return case


def test_overdue_items_notify_the_caseworker_and_for_urgent_cases_the_supervisor(caseworker, supervisor, provider):
    case = overdue_world(caseworker, supervisor, provider)
    assert create_reminders(today=TODAY) == 6  # three items, two people each
    kinds = sorted(Notification.objects.filter(user=caseworker, case=case).values_list("kind", flat=True))
    assert kinds == ["follow_up", "referral", "task"]
    assert Notification.objects.filter(user=supervisor).count() == 3


def test_running_twice_makes_no_duplicate(caseworker, supervisor, provider):
    overdue_world(caseworker, supervisor, provider)
    create_reminders(today=TODAY)
    assert create_reminders(today=TODAY) == 0
    assert Notification.objects.count() == 6


def test_items_not_yet_due_or_done_notify_no_one(caseworker, provider, case):
    Case.objects.filter(pk=case.pk).update(next_follow_up=TODAY)
    Task(case=case, title="t", owner=caseworker, due_on=YESTERDAY, done_at=timezone.now()).save()
    Referral(
        case=case, provider=provider, service_type="legal", status="sent", created_by=caseworker,
        status_changed_at=timezone.now() - datetime.timedelta(days=3),
    ).save()  # fmt: skip
    assert create_reminders(today=TODAY) == 0


def test_a_new_follow_up_date_is_a_new_reminder(caseworker, case):
    Case.objects.filter(pk=case.pk).update(next_follow_up=YESTERDAY)
    create_reminders(today=TODAY)
    Case.objects.filter(pk=case.pk).update(next_follow_up=YESTERDAY - datetime.timedelta(days=1))
    assert create_reminders(today=TODAY) == 1


def _deactivate(user) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=user.pk).update(is_active=False)


def _told(**where: object) -> set[str]:
    return set(Notification.objects.filter(**where).values_list("user__username", flat=True))


@pytest.fixture
def supervisors(supervisor, make_user):  # type: ignore[no-untyped-def]
    """Two active supervisors, and a deactivated one who must never be told."""
    gone = make_user(User.Role.SUPERVISOR, username="gone-supervisor")
    _deactivate(gone)
    return {supervisor.username, make_user(User.Role.SUPERVISOR, username="sue").username}


def test_a_deactivated_caseworkers_overdue_follow_up_goes_to_every_active_supervisor(caseworker, supervisors, case):
    Case.objects.filter(pk=case.pk).update(next_follow_up=YESTERDAY)  # not urgent: only the caseworker's, once
    _deactivate(caseworker)
    assert create_reminders(today=TODAY) == 2
    assert _told(kind="follow_up", object_id=case.pk, case=case) == supervisors
    assert create_reminders(today=TODAY) == 0  # a rerun adds none
    assert Notification.objects.count() == 2


def test_an_active_caseworkers_overdue_follow_up_goes_to_them_alone(caseworker, supervisors, case):
    Case.objects.filter(pk=case.pk).update(next_follow_up=YESTERDAY)
    assert create_reminders(today=TODAY) == 1
    assert _told() == {caseworker.username}


def test_a_task_owned_by_a_deactivated_person_goes_to_every_active_supervisor(caseworker, supervisors, case):
    former = UserFactory(username="former")
    task = Task.objects.create(case=case, title="t", owner=former, due_on=YESTERDAY)
    _deactivate(former)
    assert create_reminders(today=TODAY) == 2
    assert _told(kind="task", object_id=task.pk) == supervisors
    assert create_reminders(today=TODAY) == 0


def test_a_waiting_referral_of_a_deactivated_caseworker_goes_to_every_active_supervisor(
    caseworker, supervisors, case, provider
):
    referral = Referral.objects.create(
        case=case, provider=provider, service_type="legal", status="sent", created_by=caseworker,
        status_changed_at=timezone.now() - datetime.timedelta(days=30),
    )  # fmt: skip
    _deactivate(caseworker)
    assert create_reminders(today=TODAY) == 2
    assert _told(kind="referral", object_id=referral.pk) == supervisors


def test_an_unassigned_cases_overdue_follow_up_goes_to_every_active_supervisor(caseworker, supervisors, case):
    Case.objects.filter(pk=case.pk).update(next_follow_up=YESTERDAY, assigned_to=None)
    assert create_reminders(today=TODAY) == 2
    assert _told() == supervisors


def test_an_urgent_case_of_a_deactivated_caseworker_tells_each_supervisor_once(
    caseworker, supervisor, supervisors, provider
):
    overdue_world(caseworker, supervisor, provider)
    _deactivate(caseworker)
    assert create_reminders(today=TODAY) == 6  # three items, two supervisors, no one twice
    assert _told() == supervisors


def test_the_queries_do_not_grow_with_the_cases(caseworker, supervisors, provider, django_assert_num_queries):
    """The supervisors, the follow-ups, the tasks, the referrals (each with its person's is_active,
    joined), and the insert between two counts; with more cases, some a deactivated person's, no more."""
    overdue_world(caseworker, None, provider)
    with django_assert_num_queries(9) as few:  # with the savepoint and its release around the insert
        create_reminders(today=TODAY)
    Notification.objects.all().delete()
    former = UserFactory(username="former")
    for owner in (caseworker, former, former):
        overdue_world(owner, None, provider)
    _deactivate(former)
    with django_assert_num_queries(len(few.captured_queries)):
        # Three items in each of four urgent cases: two supervisors each, and the active caseworker on two.
        assert create_reminders(today=TODAY) == 4 * 3 * 2 + 2 * 3


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_runs_on_a_real_worker_twice_without_duplicates(make_user, provider, tmp_path: Path):
    """The message carries no personal data; a real worker (Redis broker, the test database) runs it."""
    caseworker, supervisor = make_user(username="rw"), make_user("supervisor", username="rs")
    overdue_world(caseworker, supervisor, provider)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")
    send_reminders.delay()
    send_reminders.delay()
    queued = broker.lrange("celery", 0, -1)
    assert len(queued) == 2
    for message in queued:
        body = json.loads(message)
        assert "Sentinel" not in json.dumps(body)
        assert body["headers"]["argsrepr"] == "()" and body["headers"]["kwargsrepr"] == "{}"
    env = {**os.environ, "DATABASE_URL": _database_url()}
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--without-heartbeat",
               "--without-gossip", "--without-mingle", "-l", "warning"]  # fmt: skip
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        # Both messages are done when none is queued or unacknowledged (acks_late: acked after running).
        while time.monotonic() < deadline and (broker.llen("celery") or broker.hlen("unacked")):
            time.sleep(0.5)
        assert (broker.llen("celery"), broker.hlen("unacked")) == (0, 0), (tmp_path / "worker.log").read_text()
        assert Notification.objects.count() == 6, (tmp_path / "worker.log").read_text()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()


def test_reminders_run_at_a_wall_clock_hour_in_the_organisations_zone():
    """Not an interval from beat's start (every restart of beat postponed them by a day): 06:00 in Yangon."""
    import datetime
    import zoneinfo

    from django.conf import settings

    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["support-reminders"]
    assert entry["task"] == "support.tasks.send_reminders" and entry["task"] in app.tasks
    schedule = entry["schedule"]
    schedule.app = app
    assert str(app.conf.timezone) == settings.TIME_ZONE == "Asia/Yangon"
    yangon = zoneinfo.ZoneInfo("Asia/Yangon")
    # 05:59 in Yangon (UTC+06:30) is 23:29 UTC the day before: due in a minute, whatever UTC's date says.
    last_run = datetime.datetime(2026, 3, 9, 6, 0, tzinfo=yangon)
    now = datetime.datetime(2026, 3, 10, 5, 59, tzinfo=yangon)
    assert now.astimezone(datetime.UTC).day == 9
    schedule.nowfun = lambda: now
    due, wait = schedule.is_due(last_run)
    assert not due and 55 <= wait <= 65
    schedule.nowfun = lambda: now + datetime.timedelta(minutes=1)
    assert schedule.is_due(last_run)[0]


def test_a_message_a_killed_worker_took_comes_back_before_an_hour_but_after_the_longest_task():
    from django.conf import settings

    from config.celery import app

    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT < timeout < 60 * 60


@pytest.mark.django_db(transaction=True)
def test_reminders_killed_mid_run_are_delivered_again_and_made_exactly_once(make_user, provider, tmp_path: Path):
    """The whole worker killed (SIGKILL): its message stays unacknowledged in Redis and another worker
    takes it back after the visibility timeout (shortened here to a second), then runs it once."""
    from health import heartbeats
    from tests.worker import forget_unacked, gone, kill, real_worker, table_locked, wait_for

    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL)")
    caseworker, supervisor = make_user(username="rw"), make_user("supervisor", username="rs")
    overdue_world(caseworker, supervisor, provider)
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery")
    forget_unacked()
    try:
        with table_locked("support_notification") as lock, real_worker(tmp_path / "worker.log") as worker:
            send_reminders.delay()
            waiting = wait_for(lock.waiting, what="the reminders to wait for the lock")
            kill(worker)
            lock.release()
        wait_for(lambda: gone(waiting), what="the killed worker's query to end")
        assert Notification.objects.count() == 0 and heartbeats.last("reminders")["reminders"] is None
        assert (broker.llen("celery"), broker.hlen("unacked")) == (0, 1)  # taken, never acknowledged
        delivered = broker.zrange("unacked_index", 0, -1, withscores=True)[0][1]
        wait_for(lambda: time.time() - delivered > 1.5, what="the visibility timeout")

        with real_worker(tmp_path / "fresh.log", HAVEN_BROKER_VISIBILITY_TIMEOUT="1"):
            wait_for(lambda: heartbeats.last("reminders")["reminders"], what="the reminders, delivered again")
            wait_for(lambda: not broker.hlen("unacked"), what="the message to be acknowledged")
        assert Notification.objects.count() == 6, (tmp_path / "fresh.log").read_text()[-2000:]
        assert broker.llen("celery") == 0
    finally:
        forget_unacked()


@pytest.mark.django_db
def test_a_run_records_the_reminders_heartbeat(caseworker, supervisor, provider):
    from health import heartbeats

    overdue_world(caseworker, supervisor, provider)
    assert send_reminders() == 6 and send_reminders() == 0  # twice the same day: no duplicate
    assert Notification.objects.count() == 6 and heartbeats.last("reminders")["reminders"] is not None
