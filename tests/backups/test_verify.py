"""verify_backup: a changed, truncated or substituted file fails, naming the file; no private key needed."""

from __future__ import annotations

import json
from pathlib import Path

import pyrage
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from pyrage import x25519

from audit.models import AuditEvent
from backups import services
from backups.models import Backup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backup(trustee) -> Backup:
    made = services.create_backup()
    assert made.status == Backup.Status.OK
    return made


def path_of(backup: Backup, suffix: str) -> Path:
    return settings.BACKUP_DIR / f"{backup.name}{suffix}"


def problems(backup: Backup) -> list[str]:
    return services.verify_backup(path=path_of(backup, ".manifest.json")).problems


def test_an_untouched_backup_verifies_and_is_marked_verified(backup, capsys):
    call_command("verify_backup")
    assert f"OK {backup.name}.manifest.json" in capsys.readouterr().out
    backup.refresh_from_db()
    assert backup.is_verified


def test_a_flipped_byte_fails_naming_the_file(backup):
    dump = path_of(backup, ".dump.zst.age")
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))

    assert problems(backup) == [f"database file {dump.name} was changed or substituted: its SHA-256 does not match"]
    backup.refresh_from_db()
    assert not backup.is_verified and "SHA-256" in backup.verify_error
    assert AuditEvent.objects.filter(action="backups.backup.verify_failed", object_ref=backup.name).exists()


def test_a_truncated_file_fails_naming_the_file(backup):
    keyring = path_of(backup, ".keyring.json.age")
    keyring.write_bytes(keyring.read_bytes()[:-10])

    [problem] = problems(backup)
    assert problem.startswith(f"keyring file {keyring.name} is truncated")


def test_a_substituted_file_encrypted_to_the_same_recipients_fails(backup):
    dump = path_of(backup, ".dump.zst.age")
    recipients = [x25519.Recipient.from_str(value) for value in settings.BACKUP_RECIPIENTS]
    size = dump.stat().st_size
    # rage's headers vary in length (a grease stanza: about 170 lengths, none above 2 %), so two
    # encryptions match in length about once in 140: aim each try at the previous try's header.
    plain = size - len(pyrage.encrypt(b"", recipients))
    for _attempt in range(5000):
        substitute = pyrage.encrypt(b"PGDMP".ljust(plain, b"x"), recipients)
        if len(substitute) == size:
            break
        plain += size - len(substitute)
    assert len(substitute) == size
    dump.write_bytes(substitute)

    assert problems(backup) == [f"database file {dump.name} was changed or substituted: its SHA-256 does not match"]


def test_a_changed_manifest_fails_its_signature(backup):
    manifest = path_of(backup, ".manifest.json")
    data = json.loads(manifest.read_text())
    data["body"]["shred_list"] = []
    data["body"]["files"]["database"]["size"] += 1
    manifest.write_text(json.dumps(data))

    [problem] = problems(backup)
    assert "signature does not match" in problem


def test_a_manifest_signed_with_another_key_fails(backup):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from backups import manifest as manifests

    path = path_of(backup, ".manifest.json")
    body = json.loads(path.read_text())["body"]
    path.write_text(json.dumps(manifests.sign(body, Ed25519PrivateKey.generate(), "forged")))

    [problem] = problems(backup)
    assert "signed by another key" in problem


def test_a_missing_file_fails(backup):
    path_of(backup, ".keyring.json.age").unlink()
    assert problems(backup) == [f"keyring file {backup.name}.keyring.json.age is missing"]


def test_the_command_fails_and_says_which_backup(backup, capsys):
    dump = path_of(backup, ".dump.zst.age")
    dump.write_bytes(dump.read_bytes()[:100])

    with pytest.raises(CommandError, match="1 of 1 backups failed verification"):
        call_command("verify_backup", str(dump))
    assert f"FAILED {backup.name}.manifest.json: database file {dump.name} is truncated" in capsys.readouterr().err


def test_a_damaged_age_header_is_reported(backup, settings):
    from backups.streams import BackupError, read_age_header

    dump = path_of(backup, ".dump.zst.age")
    assert read_age_header(dump) == ["X25519"] or "X25519" in read_age_header(dump)
    dump.write_bytes(b"not age at all")
    with pytest.raises(BackupError, match="not an age file"):
        read_age_header(dump)
