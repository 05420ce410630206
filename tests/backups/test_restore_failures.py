"""A restore that cannot work says so first and plainly, and never leaves a half-restored database."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from backups import manifest, services, streams, versions
from backups.models import Backup
from backups.streams import BackupError
from config.settings import database_from_url
from defectors.models import Case
from tests.backups.conftest import query_scratch
from tests.factories import CaseFactory
from vault.services import shred

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

SENTINEL = "Sentinel Thiri Aung"


def manifest_of(backup: Backup) -> Path:
    return settings.BACKUP_DIR / f"{backup.name}.manifest.json"


def resign(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Change a manifest's body and sign it again with the installation's key (as a genuine one would be)."""
    data = json.loads(path.read_text())
    change(data["body"])
    keyring = settings.KEYRING
    path.write_text(json.dumps(manifest.sign(data["body"], keyring.signer(), keyring.signing_public_key)))


def execute(url: str, sql: str) -> None:
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as target:
        target.execute(sql)


def tables_in(url: str) -> int:
    return query_scratch(url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0]


def plain_dump() -> bytes:
    """A real archive of the test database, as pg_dump writes it (for making damaged ones)."""
    return subprocess.run(
        ["pg_dump", "--format=custom", "--compress=0", "--no-password"],
        env=streams.postgres_env(connection.settings_dict), capture_output=True, check=True,
    ).stdout  # fmt: skip


# Versions -------------------------------------------------------------------------------


def test_the_manifest_records_the_server_pg_dump_and_archive_versions_signed(trustee):
    backup = services.create_backup()
    body = json.loads(manifest_of(backup).read_text())["body"]

    server = connection.cursor().connection.info.server_version
    assert body["versions"]["server"] == f"{server // 10000}.{server % 10000}"
    assert body["versions"]["pg_dump"] == "{}.{}".format(*versions.parse_version(streams.tool_version("pg_dump")))
    archive = plain_dump()[5:7]
    assert body["versions"]["archive"] == f"custom {archive[0]}.{archive[1]}"
    # Signed like the rest: a changed version is a changed manifest.
    data = json.loads(manifest_of(backup).read_text())
    data["body"]["versions"]["pg_dump"] = "10.1"
    manifest_of(backup).write_text(json.dumps(data))
    assert "signature does not match" in services.verify_backup(path=manifest_of(backup)).problems[0]


def test_a_backup_from_a_newer_pg_dump_is_refused_first_naming_both_versions(trustee, scratch_database, tmp_path):
    backup = services.create_backup()
    resign(manifest_of(backup), lambda body: body["versions"].update(pg_dump="99.1", archive="custom 1.99"))
    ours = "{}.{}".format(*versions.parse_version(streams.tool_version("pg_restore")))

    # Refused before anything else: the identity is not even read.
    with pytest.raises(BackupError) as refused:
        services.restore_backup(
            path=manifest_of(backup), identity_file=tmp_path / "absent.txt", database_url=scratch_database
        )

    message = str(refused.value)
    assert "pg_dump 99.1 (archive format 1.99)" in message and f"pg_restore is {ours}" in message
    assert "PostgreSQL 99's client tools or newer" in message
    assert tables_in(scratch_database) == 0


def test_a_backup_of_a_newer_server_is_refused_naming_both_versions(trustee, scratch_database, tmp_path):
    backup = services.create_backup()
    resign(manifest_of(backup), lambda body: body["versions"].update(server="99.0"))

    with pytest.raises(BackupError, match=r"PostgreSQL 99\.0 server; the target server is PostgreSQL \d+\.\d+"):
        services.restore_backup(
            path=manifest_of(backup), identity_file=tmp_path / "absent.txt", database_url=scratch_database
        )
    assert tables_in(scratch_database) == 0


def test_an_older_manifest_without_versions_restores_with_a_warning(trustee, scratch_database):
    identity_file, _ = trustee
    CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    resign(manifest_of(backup), lambda body: body.pop("versions"))
    said: list[str] = []

    report = services.restore_backup(
        path=manifest_of(backup), identity_file=identity_file, database_url=scratch_database, say=said.append
    )

    assert report.ok
    assert report.warnings and "compatibility was not checked" in report.warnings[0]
    assert any(line.startswith("Warning: the manifest does not record") for line in said)


# Messages that say what failed --------------------------------------------------------


def test_a_target_that_is_not_empty_is_refused_before_anything_is_restored(trustee, scratch_database):
    identity_file, _ = trustee
    backup = services.create_backup()
    execute(scratch_database, "CREATE TABLE precious (id int)")
    name = scratch_database.rsplit("/", 1)[1]

    with pytest.raises(BackupError, match=f"the target database {name} is not empty .*nothing was changed"):
        services.restore_backup(path=manifest_of(backup), identity_file=identity_file, database_url=scratch_database)
    assert tables_in(scratch_database) == 1


def test_pg_restore_into_a_database_that_is_not_empty_names_the_error_and_changes_nothing(
    trustee, scratch_database, tmp_path
):
    """pg_restore's own error line, not the SQL after it; the single transaction leaves the target as it was."""
    _identity_file, identity = trustee
    execute(scratch_database, "CREATE TABLE accounts_user (id int)")
    path = tmp_path / "whole.dump.zst.age"
    streams.encrypt_in_child(path, [identity.to_public()], data=plain_dump())
    target = database_from_url(scratch_database)

    with pytest.raises(BackupError) as failed:
        streams.restore_postgres(target, path, [identity])

    message = str(failed.value)
    assert message.startswith(f"pg_restore into {target['NAME']} failed (exit 1), nothing was restored: ")
    assert 'pg_restore: error: could not execute query: ERROR:  relation "accounts_user" already exists' in message
    assert "Command was" not in message and "CREATE TABLE" not in message and message != "$$;"
    assert tables_in(scratch_database) == 1


def test_a_truncated_archive_names_pg_restore_s_error_and_restores_nothing(trustee, scratch_database, tmp_path):
    """A damaged archive (encrypted whole, so only pg_restore can notice): nothing of it stays."""
    _identity_file, identity = trustee
    CaseFactory.create_batch(5, full_name=SENTINEL)
    whole = plain_dump()
    path = tmp_path / "truncated.dump.zst.age"
    streams.encrypt_in_child(path, [identity.to_public()], data=whole[: len(whole) * 2 // 3])
    target = database_from_url(scratch_database)

    with pytest.raises(BackupError) as failed:
        streams.restore_postgres(target, path, [identity])

    message = str(failed.value)
    assert "failed (exit 1), nothing was restored: pg_restore: error:" in message
    assert SENTINEL not in message
    assert tables_in(scratch_database) == 0  # not a half-restored database: nothing


def test_a_cut_off_encrypted_file_is_called_damaged_not_a_wrong_key(trustee, tmp_path):
    _identity_file, identity = trustee
    path = tmp_path / "cut.dump.zst.age"
    streams.encrypt_in_child(path, [identity.to_public()], data=os.urandom(500_000))
    path.write_bytes(path.read_bytes()[:100_000])

    with pytest.raises(BackupError, match=r"cut\.dump\.zst\.age is damaged or truncated: it stops decrypting part-way"):
        streams.decrypt_to(path, [identity], io.BytesIO())


def test_error_lines_keep_names_and_drop_values_and_sql():
    stderr = (
        'pg_restore: error: COPY failed for table "defectors_case": ERROR:  invalid input syntax for type date: '
        '"Aung San"\nCONTEXT:  COPY defectors_case, line 3, column born: "Aung San"\n'
        "pg_restore: error: could not execute query: ERROR:  value 'Thiri' is too long\n"
        "Command was: INSERT INTO x VALUES ('Thiri');\n"
    )
    assert streams.error_lines(stderr) == (
        'pg_restore: error: COPY failed for table "defectors_case": ERROR:  invalid input syntax for type date: "…"; '
        "pg_restore: error: could not execute query: ERROR:  value '…' is too long"
    )


# Shreds ---------------------------------------------------------------------------------


def test_a_restore_marks_a_re_shredded_case_as_the_live_shred_does(trustee, scratch_database):
    identity_file, _ = trustee
    kept, doomed = CaseFactory(full_name="Kept Person"), CaseFactory(full_name=SENTINEL)
    old = services.create_backup()
    shred(owner=doomed)
    services.create_backup()  # its manifest carries the newer shred list
    live = Case.objects.values("status", "shredded_at").get(pk=doomed.pk)
    assert live["status"] == Case.Status.CLOSED and live["shredded_at"] is not None

    report = services.restore_backup(path=manifest_of(old), identity_file=identity_file, database_url=scratch_database)

    assert report.ok and report.checks["shreds_reapplied"] == 1
    rows = dict(
        (row[0], row[1:])
        for row in query_scratch(scratch_database, "SELECT code, status, shredded_at IS NOT NULL FROM defectors_case")
    )
    assert rows[doomed.code] == (Case.Status.CLOSED, True)
    assert rows[kept.code] == (kept.status, False)
