"""A backup that fails, however it fails, ends as a failed row with its reason, an audit event and no file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent
from backups import manifest, services
from backups.models import Backup
from tests.factories import CaseFactory
from tests.services import own_postgres

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows


@pytest.fixture
def small_disk(tmp_path, settings):
    """BACKUP_DIR on a real 256 KB filesystem of its own (tmpfs), unmounted afterwards."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root in a container that allows it): {mounted.stderr}")
    settings.BACKUP_DIR = mountpoint / "backups"
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(disk: Path, *, leave: int) -> None:
    """Fill ``disk`` with one file until only about ``leave`` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / f"filler-{uuid.uuid4().hex[:6]}", "wb") as file:
        file.write(b"\0" * max(free - leave, 0))


def assert_failed_cleanly(backup: Backup, *words: str) -> AuditEvent:
    backup.refresh_from_db()
    assert backup.status == Backup.Status.FAILED and backup.finished_at is not None and backup.size == 0
    for word in words:
        assert word in backup.error, backup.error
    assert sorted(settings.BACKUP_DIR.glob(f"{backup.name}*")) == []
    event = AuditEvent.objects.filter(action="backups.backup.failed", object_ref=backup.name).get()
    assert event.reason == backup.error
    return event


def test_a_disk_that_fills_during_the_dump_leaves_a_failed_row_and_no_file(trustee, small_disk):
    # Ciphertext does not compress: a few hundred cases make a dump larger than what is left.
    CaseFactory.create_batch(100, full_name="Disk Filler " * 10)
    services.backup_dir()
    fill(small_disk, leave=8 * 1024)

    backup = services.create_backup()

    assert_failed_cleanly(backup, "dumping the database failed", "the backup disk is full")


def test_a_disk_that_fills_before_the_manifest_leaves_no_file_either(trustee, small_disk, monkeypatch):
    """The database and keyring files are written; the disk is full when the manifest comes."""
    real_write = manifest.write_manifest

    def write_on_a_full_disk(directory, signed):  # type: ignore[no-untyped-def]
        fill(small_disk, leave=0)  # the disk is really full: the write below really fails
        return real_write(directory, signed)

    monkeypatch.setattr(manifest, "write_manifest", write_on_a_full_disk)

    backup = services.create_backup()

    assert_failed_cleanly(backup, "writing the manifest failed", "the backup disk is full")
    assert [path.name for path in settings.BACKUP_DIR.iterdir()] == []


def test_a_database_that_is_gone_fails_the_backup_naming_pg_dump(trustee, monkeypatch):
    """pg_dump against a PostgreSQL that stopped: the row says pg_dump could not connect."""
    with own_postgres() as pg:
        pg.createdb("haven_gone")
        port = pg.port
        pg.stop()
        # Only pg_dump is sent there (it reads these at its start); Django's own connection, open
        # before the change, stays on the test database.
        connection.ensure_connection()
        monkeypatch.setitem(connection.settings_dict, "PORT", str(port))
        monkeypatch.setitem(connection.settings_dict, "NAME", "haven_gone")

        backup = services.create_backup()

    assert_failed_cleanly(backup, "pg_dump failed (exit 1)", "pg_dump: error: connection to server", "refused")
    assert "Is the server running" not in backup.error  # the error line, not the hint after it


def test_an_interrupted_backup_is_recorded_as_failed_and_removes_its_files(trustee, tmp_path, monkeypatch):
    """Ctrl-C on `manage.py backup` (a real SIGINT) while the dump streams: no file, a failed row."""
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'pg_dump (PostgreSQL) 15.2'; exit 0; }\n"
        "head -c 300000 /dev/urandom; sleep 3; head -c 300000 /dev/urandom\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    row = Backup.objects.create(recipients=list(settings.BACKUP_RECIPIENTS))
    partial_seen = threading.Event()

    def interrupt() -> None:
        for _ in range(200):
            if list(settings.BACKUP_DIR.glob("*.partial")):
                partial_seen.set()
                break
            threading.Event().wait(0.01)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    # An interrupt goes on up once recorded, unless the encryption took it as its own error.
    with contextlib.suppress(KeyboardInterrupt):
        services.create_backup(backup=row)

    assert partial_seen.is_set()
    assert_failed_cleanly(row)
    assert "interrupted" in row.error or "KeyboardInterrupt" in row.error, row.error


def test_an_unexpected_error_is_named_by_its_kind_only(trustee, monkeypatch):
    """A failure the service does not know (here: the keyring file vanished) still ends cleanly."""
    monkeypatch.setattr(settings, "KEYRING_FILE", str(Path(settings.BACKUP_DIR) / "no-such-keyring.json"))
    backup = services.create_backup()
    assert_failed_cleanly(backup, "writing the keyring failed", "No such file or directory")
    assert not list(settings.BACKUP_DIR.glob("*.dump.zst.age"))


def test_failure_reasons_carry_no_data():
    from django.db import IntegrityError

    reason = services.failure_reason(
        "dumping the database", IntegrityError('duplicate key (full_name)=("Aung San Oo") already exists')
    )
    assert reason == "dumping the database failed: unexpected IntegrityError (see the worker's log)"
