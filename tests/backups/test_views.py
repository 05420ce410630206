"""The administrators' backups page, the warning on every admin page, and starting a backup."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from backups.models import Backup

STALE_WARNING = "There has been no good backup for more than 26 hours."
FAILED_WARNING = "The last backup failed."


@pytest.fixture
def reauthenticated(admin_client):
    """The administrator has just confirmed their password (allauth's reauthentication)."""
    session = admin_client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY][-1]["reauthenticated"] = True
    session.save()
    return admin_client


@pytest.fixture
def good_backup(db) -> Backup:
    return Backup.objects.create(
        name="haven-20260101T000000Z-aaaaaa", status=Backup.Status.OK, started_at=timezone.now() - timedelta(hours=2),
        finished_at=timezone.now() - timedelta(hours=2) + timedelta(seconds=42), size=123_456,
        recipients=["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"],
        verified_at=timezone.now(),
    )  # fmt: skip


def test_an_administrator_sees_each_backup_and_the_time_since_the_last_good_one(admin_client, good_backup):
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert "Last good backup: 2\xa0hours ago." in page
    assert "120.6\xa0KB" in page and "42.0 s" in page and "age1qyqszqgpqyq…" in page
    assert STALE_WARNING not in page and 'http-equiv="refresh"' not in page


def test_each_backup_is_named_as_its_files_are_and_the_times_say_their_zone(admin_client, good_backup, settings):
    """The name (in UTC) matches the files in BACKUP_DIR; the times beside it are local, and say so."""
    settings.TIME_ZONE = "Asia/Yangon"
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert '<code class="backup-name">haven-20260101T000000Z-aaaaaa</code>' in page
    assert "<caption>Times in Asia/Yangon</caption>" in page
    assert f'<code class="backup-path">{settings.BACKUP_DIR}</code>' in page and "<code>.manifest.json</code>" in page
    settings.TIME_ZONE = "UTC"
    assert "<caption>Times in UTC</caption>" in admin_client.get(reverse("backups:index")).content.decode()


def verified_cell(page: str, name: str) -> str:
    row = page[page.index(f">{name}</code>") :]
    cell = row[row.index('data-label="Verified">') + len('data-label="Verified">') :]
    return cell[: cell.index("</td>")]


def test_a_failed_or_pruned_backup_is_not_waiting_to_be_verified(admin_client, good_backup):
    """Only a backup that may still be verified says "not yet"; a failed or pruned one shows a dash."""
    Backup.objects.create(name="haven-20260102T000000Z-bbbbbb", status=Backup.Status.FAILED, error="pg_dump failed")
    Backup.objects.create(
        name="haven-20260103T000000Z-cccccc", status=Backup.Status.PRUNED, verified_at=timezone.now()
    )  # fmt: skip
    Backup.objects.create(name="haven-20260104T000000Z-dddddd", status=Backup.Status.OK)
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert verified_cell(page, "haven-20260102T000000Z-bbbbbb") == "—"
    assert verified_cell(page, "haven-20260103T000000Z-cccccc") == "—"
    assert verified_cell(page, "haven-20260104T000000Z-dddddd") == "not yet"
    assert verified_cell(page, good_backup.name) == "yes"


def installed_hours_ago(hours: float) -> None:
    MigrationRecorder.Migration.objects.update(applied=timezone.now() - timedelta(hours=hours))


@pytest.mark.parametrize("age_hours", [27, None])
def test_every_admin_page_warns_when_the_last_good_backup_is_too_old_or_missing(admin_client, age_hours):
    installed_hours_ago(24 * 30)
    if age_hours:
        Backup.objects.create(status=Backup.Status.OK, started_at=timezone.now() - timedelta(hours=age_hours))
    for name in ("accounts:people", "defectors:shred_requests", "backups:index"):
        assert STALE_WARNING in admin_client.get(reverse(name)).content.decode(), name


def test_a_fresh_installation_is_not_warned_before_its_first_backup_is_due(admin_client, settings):
    installed_hours_ago(settings.BACKUP_WARN_HOURS - 1)
    for name in ("accounts:people", "backups:index"):
        assert STALE_WARNING not in admin_client.get(reverse(name)).content.decode(), name
    # A day later, still no backup: now it is a real missing backup.
    installed_hours_ago(settings.BACKUP_WARN_HOURS + 1)
    assert STALE_WARNING in admin_client.get(reverse("accounts:people")).content.decode()


def test_a_fresh_installation_whose_first_backup_failed_is_warned(admin_client):
    installed_hours_ago(1)
    Backup.objects.create(status=Backup.Status.FAILED, started_at=timezone.now(), error="pg_dump failed (exit 1): x")
    assert FAILED_WARNING in admin_client.get(reverse("accounts:people")).content.decode()


def test_every_admin_page_warns_when_the_last_backup_failed(admin_client, good_backup):
    Backup.objects.create(status=Backup.Status.FAILED, error="pg_dump failed (exit 1): connection lost")
    page = admin_client.get(reverse("accounts:people")).content.decode()
    assert FAILED_WARNING in page


def test_other_roles_never_see_the_warning(client_for, make_user, db):
    supervisor = make_user(User.Role.SUPERVISOR)
    page = client_for(supervisor).get(reverse("defectors:case_list")).content.decode()
    assert STALE_WARNING not in page and reverse("backups:index") not in page


def test_starting_a_backup_asks_for_the_password_again_first(admin_client, admin):
    session = admin_client.session
    for method in session[AUTHENTICATION_METHODS_SESSION_KEY]:
        method["at"] = time.time() - 3600
    session.save()

    response = admin_client.post(reverse("backups:start"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    assert not Backup.objects.exists()


def test_starting_a_backup_queues_it_for_the_worker_and_the_page_follows_it(
    reauthenticated, admin, django_capture_on_commit_callbacks
):
    admin_client = reauthenticated
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("backups:start"))

    assert response.status_code == 302
    backup = Backup.objects.get()
    assert backup.status == Backup.Status.QUEUED and backup.started_by == admin
    # The task is sent once the row is committed (the audit trail has on-commit work of its own).
    assert [c for c in callbacks if "start_backup" in c.__qualname__] != []
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert 'http-equiv="refresh"' in page and "A backup is running" in page
    # True whether the worker has finished by now or not: the row, not the message, says how it went.
    assert "Backup started: its row below shows how it goes." in page


def test_a_second_backup_cannot_start_while_one_runs(reauthenticated, django_capture_on_commit_callbacks):
    admin_client = reauthenticated
    Backup.objects.create(status=Backup.Status.RUNNING, heartbeat_at=timezone.now())  # its worker beats
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(reverse("backups:start"), follow=True)
    assert "A backup is already running." in response.content.decode()
    assert Backup.objects.count() == 1 and [c for c in callbacks if "start_backup" in c.__qualname__] == []


def test_a_backup_whose_worker_stopped_beating_no_longer_holds_the_page(admin_client, settings):
    """Two minutes old, not thirty: the heartbeat, not a guess at how long a task may live."""
    silent = timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS + 1)
    Backup.objects.create(status=Backup.Status.RUNNING, started_at=silent, heartbeat_at=silent)
    page = admin_client.get(reverse("backups:index")).content.decode()
    assert 'http-equiv="refresh"' not in page and "A backup is running" not in page
