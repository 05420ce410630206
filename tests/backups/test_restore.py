"""The restore drill: back up, restore into a scratch database, check it; shredded stays shredded."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.conf import settings
from django.core.management import call_command

from audit.services import verify_chain
from backups import services
from backups.models import Backup
from backups.streams import BackupError
from defectors.models import Case
from tests.backups.conftest import query_scratch
from tests.factories import CaseFactory
from vault.services import shred

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

SENTINEL = "Sentinel Zaw Min Htet"


def manifest_of(backup: Backup):
    return settings.BACKUP_DIR / f"{backup.name}.manifest.json"


def test_a_backup_restores_into_a_scratch_database_and_passes_its_checks(trustee, scratch_database, capsys):
    identity_file, _ = trustee
    cases = CaseFactory.create_batch(3, full_name=SENTINEL)
    backup = services.create_backup()
    assert backup.status == Backup.Status.OK, backup.error

    call_command("restore", str(manifest_of(backup)), identity=str(identity_file), database=scratch_database)

    out = capsys.readouterr().out
    assert "checkpoint matches" in out and "0 keys failed, 0 records damaged" in out and "time:" in out
    codes = {row[0] for row in query_scratch(scratch_database, "SELECT code FROM defectors_case")}
    assert codes == {case.code for case in cases}
    # The restored chain verifies and holds the restore itself as its newest event.
    actions = [row[0] for row in query_scratch(scratch_database, "SELECT action FROM audit_auditevent ORDER BY seq")]
    assert actions[-1] == "backups.backup.restored"


def test_the_restore_report_shows_records_decrypted_with_the_restored_keyring(trustee, scratch_database):
    identity_file, _ = trustee
    CaseFactory.create_batch(2, full_name=SENTINEL)
    backup = services.create_backup()

    report = services.restore_backup(
        path=manifest_of(backup), identity_file=identity_file, database_url=scratch_database
    )

    assert report.ok
    assert report.checks["records_opened"] >= 2 and report.checks["keys_opened"] >= 2
    assert report.checks["audit_error"] == "" and report.checks["checkpoint_ok"]
    assert set(report.timings) == {"verify", "restore", "checks"}


def test_a_case_shredded_after_a_backup_stays_shredded_after_restoring_it(trustee, scratch_database):
    identity_file, _ = trustee
    kept, doomed = CaseFactory(full_name="Kept Person"), CaseFactory(full_name=SENTINEL)
    old = services.create_backup()
    shred(owner=doomed)
    services.create_backup()  # its manifest carries the newer shred list

    report = services.restore_backup(path=manifest_of(old), identity_file=identity_file, database_url=scratch_database)

    assert report.ok and report.checks["shreds_reapplied"] == 1
    rows = dict(query_scratch(scratch_database, "SELECT id::text, wrapped IS NULL FROM vault_datakey"))
    assert rows[str(doomed.data_key_id)] is True
    assert rows[str(kept.data_key_id)] is False
    tags = query_scratch(
        scratch_database,
        "SELECT service_number_index, name_dob_index FROM defectors_case WHERE code = %s",
        (doomed.code,),
    )
    assert tags == [(None, None)]


def test_a_shred_list_given_from_elsewhere_is_applied(trustee, scratch_database, tmp_path):
    identity_file, _ = trustee
    doomed = CaseFactory(full_name=SENTINEL)
    old = services.create_backup()
    shred(owner=doomed)
    newer = services.create_backup()
    elsewhere = tmp_path / "kept-by-a-trustee.manifest.json"
    shutil.move(manifest_of(newer), elsewhere)

    report = services.restore_backup(
        path=manifest_of(old), identity_file=identity_file, database_url=scratch_database, shred_lists=[elsewhere]
    )

    assert report.checks["shreds_reapplied"] == 1


def test_an_unsigned_shred_list_is_refused(trustee, scratch_database, tmp_path):
    identity_file, _ = trustee
    case = CaseFactory()
    old = services.create_backup()
    forged = json.loads(manifest_of(old).read_text())
    forged["body"]["shred_list"] = [str(case.data_key_id)]
    path = tmp_path / "forged.manifest.json"
    path.write_text(json.dumps(forged))

    with pytest.raises(BackupError, match="signature"):
        services.restore_backup(
            path=manifest_of(old), identity_file=identity_file, database_url=scratch_database, shred_lists=[path]
        )


def test_another_identity_cannot_restore(trustee, scratch_database, tmp_path):
    backup = services.create_backup()
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(subprocess.run(["age-keygen"], capture_output=True, text=True, check=True).stdout)

    with pytest.raises(BackupError, match="does not decrypt"):
        services.restore_backup(path=manifest_of(backup), identity_file=stranger, database_url=scratch_database)
    assert query_scratch(scratch_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


def test_the_live_chain_records_the_backup(trustee):
    backup = services.create_backup()
    assert verify_chain().ok
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="backups.backup.created", object_ref=backup.name).exists()
    assert Case.objects.count() == 0
