"""README's by-hand restore (bin/restore-by-hand.sh): standard tools only, never a half-restored database."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from backups import services
from backups.models import Backup
from tests.backups.conftest import _admin_connection
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

SCRIPT = Path(settings.BASE_DIR) / "bin" / "restore-by-hand.sh"
SENTINEL = "Sentinel Hnin Wai"


@pytest.fixture
def target_name():
    """A database name no one uses; it, its scratch and any replaced copy are dropped afterwards."""
    name = f"haven_byhand_{secrets.token_hex(4)}"
    yield name
    with _admin_connection() as admin:
        for (found,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name}%",)):
            admin.execute(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(PGHOST=db["HOST"] or "127.0.0.1", PGPORT=str(db["PORT"] or 5432), PGUSER=db["USER"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300)


def query(name: str, sql: str) -> list[tuple]:
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"] or None, dbname=name
    ) as conn:
        return conn.execute(sql).fetchall()


def databases(prefix: str) -> set[str]:
    with _admin_connection() as admin:
        rows = admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{prefix}%",))
        return {row[0] for row in rows}


def test_a_good_backup_restores_by_hand_whole(trustee, target_name):
    identity_file, _ = trustee
    case = CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    assert backup.status == Backup.Status.OK
    dump = settings.BACKUP_DIR / f"{backup.name}.dump.zst.age"

    result = run_script(str(identity_file), str(dump), target_name)

    assert result.returncode == 0, result.stderr
    assert f"Restored into {target_name}." in result.stdout
    assert databases(target_name) == {target_name}  # the scratch database took the real name
    assert query(target_name, "SELECT code FROM defectors_case") == [(case.code,)]
    triggers = query(target_name, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass")
    assert {"audit_event_append_only", "audit_event_no_truncate"} <= {row[0] for row in triggers}
    # And the keyring, by hand, as README shows.
    keyring = subprocess.run(
        ["age", "-d", "-i", str(identity_file), str(settings.BACKUP_DIR / f"{backup.name}.keyring.json.age")],
        capture_output=True, check=True,
    )  # fmt: skip
    assert json.loads(keyring.stdout)["keks"][0]["key"]


def test_a_truncated_file_leaves_no_scratch_and_the_existing_database_untouched(trustee, target_name, tmp_path):
    """Even with --replace: the existing database under the real name keeps every row."""
    identity_file, _ = trustee
    CaseFactory.create_batch(5, full_name=SENTINEL)
    backup = services.create_backup()
    dump = settings.BACKUP_DIR / f"{backup.name}.dump.zst.age"
    truncated = tmp_path / dump.name
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')
    with psycopg.connect(
        host=connection.settings_dict["HOST"], port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"], password=connection.settings_dict["PASSWORD"] or None,
        dbname=target_name, autocommit=True,
    ) as existing:  # fmt: skip
        existing.execute("CREATE TABLE live_data (id int PRIMARY KEY); INSERT INTO live_data VALUES (1), (2), (3)")

    result = run_script("--replace", str(identity_file), str(truncated), target_name)

    assert result.returncode != 0
    assert "the restore stopped" in result.stderr and "nothing was restored" in result.stderr
    assert f"the scratch database {target_name}_restoring is dropped; {target_name} is as it was" in result.stderr
    assert databases(target_name) == {target_name}
    assert query(target_name, "SELECT count(*) FROM live_data") == [(3,)]
    assert query(target_name, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(1,)]


def test_an_existing_database_is_not_replaced_without_asking(trustee, target_name):
    identity_file, _ = trustee
    backup = services.create_backup()
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')

    result = run_script(str(identity_file), str(settings.BACKUP_DIR / f"{backup.name}.dump.zst.age"), target_name)

    assert result.returncode == 1 and f"database {target_name} exists" in result.stderr
    assert databases(target_name) == {target_name}


def test_with_replace_the_old_database_is_kept_under_another_name(trustee, target_name):
    identity_file, _ = trustee
    case = CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')

    result = run_script(
        "--replace", str(identity_file), str(settings.BACKUP_DIR / f"{backup.name}.dump.zst.age"), target_name
    )

    assert result.returncode == 0, result.stderr
    found = databases(target_name)
    assert target_name in found and len(found) == 2
    assert next(iter(found - {target_name})).startswith(f"{target_name}_replaced_")
    assert query(target_name, "SELECT code FROM defectors_case") == [(case.code,)]
