"""Writing a backup: what is on disk, what is not, and what a failure leaves behind."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

import pyrage
import pytest
from django.conf import settings
from django.db import connection
from pyrage import passphrase, x25519

from audit.models import AuditEvent
from audit.services import log_event
from backups import services
from backups.models import Backup
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

SENTINEL = "Sentinel Kyaw Thura Oo"


def files_of(backup: Backup) -> list[Path]:
    return sorted(settings.BACKUP_DIR.glob(f"{backup.name}.*"))


def test_a_backup_is_three_private_files_and_a_signed_manifest(trustee):
    case = CaseFactory(full_name=SENTINEL)
    last = log_event(action="tests.something.happened")
    backup = services.create_backup()

    assert backup.status == Backup.Status.OK and backup.size > 0
    names = [path.name.removeprefix(backup.name) for path in files_of(backup)]
    assert names == [".dump.zst.age", ".keyring.json.age", ".manifest.json"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files_of(backup))
    body = json.loads((settings.BACKUP_DIR / f"{backup.name}.manifest.json").read_text())["body"]
    assert body["recipients"] == settings.BACKUP_RECIPIENTS
    assert body["tool"].startswith("pg_dump") and body["compression"] == "zstd"
    assert body["checkpoint"] == {"seq": last.seq, "head": last.hash}
    assert "defectors" in body["migrations"] and body["shred_list"] == []
    for path in files_of(backup):
        content = path.read_bytes()
        assert b"PGDMP" not in content and SENTINEL.encode() not in content and case.code.encode() not in content


def test_nothing_the_server_holds_decrypts_a_backup(trustee):
    """SECRET_KEY, every KEK and root key, and the database password: as age passphrases and identities."""
    backup = services.create_backup()
    keyring = settings.KEYRING
    secrets = [settings.SECRET_KEY, connection.settings_dict["PASSWORD"] or "", settings.AUDIT_KEY]
    raw_keys = [*keyring.keks.values(), keyring.blind_index_key, keyring.audit_key, keyring.signing_key]
    secrets += [base64.b64encode(key).decode() for key in raw_keys] + [key.hex() for key in raw_keys]
    identities = [x25519.Identity.from_str(_bech32_identity(key)) for key in raw_keys]
    assert len(identities) == len(raw_keys)

    for path in [p for p in files_of(backup) if p.suffix == ".age"]:
        ciphertext = path.read_bytes()
        for secret in secrets:
            with pytest.raises(pyrage.DecryptError):
                passphrase.decrypt(ciphertext, secret)
        for identity in identities:
            with pytest.raises(pyrage.DecryptError):
                pyrage.decrypt(ciphertext, [identity])
    # And no age identity is anywhere in the installation's tree.
    for path in (settings.BASE_DIR / "var").rglob("*"):
        if path.is_file() and path.stat().st_size < 10_000_000:
            assert b"AGE-SECRET-KEY-" not in path.read_bytes(), path


def test_no_plaintext_reaches_any_temporary_directory_during_a_backup(trustee):
    CaseFactory.create_batch(30, full_name=SENTINEL)
    places = {Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), settings.BACKUP_DIR}

    def files() -> dict[str, tuple[float, int]]:
        found = {}
        for place in places:
            for root, _dirs, names in os.walk(place):
                for name in names:
                    path = os.path.join(root, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    found[path] = (info.st_mtime, info.st_size)
        return found

    before = files()  # other programs' files are not ours to judge; new or changed ones are
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for path, state in files().items():
                if before.get(path) == state:
                    continue
                try:
                    with open(path, "rb") as file:
                        head = file.read(1 << 20)
                except OSError:
                    continue
                if b"PGDMP" in head or SENTINEL.encode() in head:
                    seen.append(path)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        backup = services.create_backup()
    finally:
        done.set()
        watcher.join()

    assert backup.status == Backup.Status.OK
    assert seen == []


def test_the_database_password_is_never_in_a_process_argument(trustee, monkeypatch):
    """The password goes to pg_dump through its environment (trust auth ignores it here)."""
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "sentinel-db-password")
    launched: list[tuple[list[str], dict]] = []
    real_popen = subprocess.Popen

    def recording_popen(args, **kwargs):  # type: ignore[no-untyped-def]
        launched.append((list(args), dict(kwargs.get("env") or {})))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    backup = services.create_backup()

    assert backup.status == Backup.Status.OK
    dumps = [(args, env) for args, env in launched if args[0] == "pg_dump" and "--format=custom" in args]
    assert dumps and all("sentinel-db-password" not in " ".join(args) for args, _env in dumps)
    assert dumps[0][1]["PGPASSWORD"] == "sentinel-db-password"


def test_a_dump_that_dies_halfway_leaves_no_file_and_is_recorded(trustee, tmp_path, monkeypatch):
    # A pg_dump that writes part of a dump, then fails (a full disk, a dropped connection).
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'pg_dump (PostgreSQL) 15'; exit 0; }\n"
        "head -c 200000 /dev/urandom; echo 'connection lost' >&2; exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")

    backup = services.create_backup()

    assert backup.status == Backup.Status.FAILED and backup.error == "pg_dump failed (exit 1): connection lost"
    assert list(settings.BACKUP_DIR.iterdir()) == []
    event = AuditEvent.objects.filter(action="backups.backup.failed").get()
    assert event.object_ref == backup.name


def test_a_backup_without_recipients_fails_plainly(trustee, settings):
    settings.BACKUP_RECIPIENTS = []
    backup = services.create_backup()
    assert backup.status == Backup.Status.FAILED and "HAVEN_BACKUP_RECIPIENTS" in backup.error
    assert list(settings.BACKUP_DIR.iterdir()) == []


def test_the_backup_command_works_on_the_embedded_sqlite_database(trustee, tmp_path):
    """make run's default: SQLite in var/, read through SQLite's backup API into memory."""
    identity_file, identity = trustee
    env = {
        **os.environ, "DJANGO_DEBUG": "1", "HAVEN_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": "",
        "HAVEN_BACKUP_RECIPIENTS": str(identity.to_public()), "HAVEN_BACKUP_DIR": str(tmp_path / "sqlite-backups"),
    }  # fmt: skip
    manage = [str(settings.BASE_DIR / ".venv/bin/python"), str(settings.BASE_DIR / "manage.py")]
    (tmp_path / "var").mkdir()
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*manage, "backup"], env=env, check=True, capture_output=True)
    subprocess.run([*manage, "verify_backup"], env=env, check=True, capture_output=True)
    manifest = next((tmp_path / "sqlite-backups").glob("*.manifest.json"))
    target = tmp_path / "restored.sqlite3"

    result = subprocess.run(
        [*manage, "restore", str(manifest), "--identity", str(identity_file), "--database", f"sqlite:///{target}"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "checkpoint matches" in result.stdout
    assert target.read_bytes().startswith(b"SQLite format 3")


def _bech32_identity(key: bytes) -> str:
    """``key`` as an age X25519 identity string (bech32, HRP age-secret-key-)."""
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    hrp = "age-secret-key-"

    def polymod(values: list[int]) -> int:
        generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
        check = 1
        for value in values:
            top = check >> 25
            check = (check & 0x1FFFFFF) << 5 ^ value
            for i in range(5):
                check ^= generator[i] if (top >> i) & 1 else 0
        return check

    data, acc, bits = [], 0, 0
    for byte in key:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod([*expanded, *data, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return (hrp + "1" + "".join(charset[d] for d in data + checksum)).upper()
