"""Retention over a simulated year: exactly the last 7 daily, 5 weekly and 12 monthly backups stay."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditEvent
from backups import services
from backups.models import Backup
from backups.retention import to_keep

YANGON = ZoneInfo("Asia/Yangon")


def stub_backup(directory, at: datetime, *, verified: bool = True) -> str:
    """A backup's three files, and its row: verified, or failing its check."""
    name = f"haven-{at.astimezone(ZoneInfo('UTC')):%Y%m%dT%H%M%SZ}-abcdef"
    for suffix in (".dump.zst.age", ".keyring.json.age", ".manifest.json"):
        (directory / f"{name}{suffix}").write_bytes(b"")
    Backup.objects.create(
        name=name,
        status=Backup.Status.OK,
        started_at=at,
        verified_at=at,
        verify_error="" if verified else "checksum mismatch",
    )
    return name


def kept_days(directory) -> list[date]:
    names = [path.name.removesuffix(".manifest.json") for path in directory.glob("*.manifest.json")]
    return sorted(services.backup_time(name).astimezone(YANGON).date() for name in names)


@pytest.mark.django_db
def test_a_year_of_nightly_backups_keeps_exactly_what_the_settings_say(settings, tmp_path):
    settings.TIME_ZONE, settings.BACKUP_DIR = "Asia/Yangon", tmp_path
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY, settings.BACKUP_KEEP_MONTHLY = 7, 5, 12
    day = date(2025, 1, 1)
    while day <= date(2025, 12, 31):
        stub_backup(tmp_path, datetime.combine(day, time(2, 0), YANGON))
        if day.day == 15:  # an administrator's extra backup that afternoon: the newest of the day wins
            stub_backup(tmp_path, datetime.combine(day, time(15, 30), YANGON))
        services.prune_backups()
        day += timedelta(days=1)

    daily = [date(2025, 12, d) for d in range(25, 32)]
    weekly = [date(2025, 12, 7), date(2025, 12, 14), date(2025, 12, 21)]  # Sundays; 28 and 31 are daily
    monthly = [date(2025, m, 1) + timedelta(days=-1) for m in range(2, 13)]  # the last day of Jan..Nov
    assert kept_days(tmp_path) == sorted(daily + weekly + monthly)
    assert len(list(tmp_path.iterdir())) == 3 * 21  # no orphan files of pruned backups
    assert AuditEvent.objects.filter(action="backups.backup.pruned").count() == 365 + 12 - 21


def test_the_newest_backup_is_kept_even_when_retention_keeps_nothing():
    stamps = [datetime(2025, 1, d, tzinfo=YANGON) for d in range(1, 10)]
    assert to_keep(stamps, daily=0, weekly=0, monthly=0) == {stamps[-1]}


@pytest.mark.django_db
def test_retention_never_prunes_the_newest_verified_backup_for_newer_ones_that_fail_their_check(settings, tmp_path):
    settings.TIME_ZONE, settings.BACKUP_DIR = "Asia/Yangon", tmp_path
    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY, settings.BACKUP_KEEP_MONTHLY = 1, 0, 0
    good = stub_backup(tmp_path, datetime(2025, 3, 1, 2, 0, tzinfo=YANGON))
    older = stub_backup(tmp_path, datetime(2025, 2, 28, 2, 0, tzinfo=YANGON))
    bad = [stub_backup(tmp_path, datetime(2025, 3, day, 2, 0, tzinfo=YANGON), verified=False) for day in (2, 3, 4)]
    assert services.prune_backups() == [older]
    left = {path.name.removesuffix(".manifest.json") for path in tmp_path.glob("*.manifest.json")}
    assert left == {good, *bad}  # the failed ones stay for an administrator to look at, and take no slot
