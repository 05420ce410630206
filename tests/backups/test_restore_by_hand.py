"""README's by-hand restore (bin/restore-by-hand.sh): standard tools only, only a signed backup,
never a half-restored database."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import stat
import subprocess
import threading
import time
from pathlib import Path

import psycopg
import pytest
import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection
from pyrage import encrypt, x25519

from backups import manifest, services
from backups.models import Backup
from tests.backups.conftest import _admin_connection
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

SCRIPT = Path(settings.BASE_DIR) / "bin" / "restore-by-hand.sh"
SENTINEL = "Sentinel Hnin Wai"


@pytest.fixture
def target_name():
    """A database name no one uses; it, its scratch and any replaced copy are dropped afterwards.

    37 characters, the longest the script takes: its replaced copy's name is then exactly 63,
    PostgreSQL's limit, so every test runs at that edge.
    """
    name = f"haven_byhand_{secrets.token_hex(4)}".ljust(37, "x")
    yield name
    with _admin_connection() as admin:
        for (found,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name}%",)):
            admin.execute(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')


def script_env(public_key: str | None = None) -> dict[str, str]:
    """libpq's variables for the test database, and the trustees' copy of the signing key."""
    db = connection.settings_dict
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PG", "HAVEN_SIGNING"))}
    env.update(PGHOST=db["HOST"] or "127.0.0.1", PGPORT=str(db["PORT"] or 5432), PGUSER=db["USER"])
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    if public_key is not None:
        env["HAVEN_SIGNING_PUBLIC_KEY"] = public_key
    return env


def run_script(*args: str, public_key: str | None = None) -> subprocess.CompletedProcess[str]:
    """The script as README shows it: ``--public-key`` first, with this installation's key by default."""
    key = settings.KEYRING.signing_public_key if public_key is None else public_key
    return subprocess.run(
        ["bash", str(SCRIPT), "--public-key", key, *args], env=script_env(), capture_output=True, text=True, timeout=300
    )


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


def backup_file(backup: Backup) -> Path:
    return settings.BACKUP_DIR / f"{backup.name}.dump.zst.age"


def signed_manifest(directory: Path, name: str, data: bytes, signer: Ed25519PrivateKey | None = None) -> Path:
    """A manifest for ``data`` as NAME.dump.zst.age, signed by the installation unless ``signer`` says otherwise."""
    body = {
        "name": name,
        "database": "postgresql",
        "files": {"database": {"name": f"{name}.dump.zst.age", "size": len(data), "sha256": sha256(data)}},
        "recipients": list(settings.BACKUP_RECIPIENTS),
        "shred_list": [],
    }
    if signer is None:
        signed = manifest.sign(body, settings.KEYRING.signer(), settings.KEYRING.signing_public_key)
    else:
        signed = manifest.sign(body, signer, public_key_of(signer))
    return manifest.write_manifest(directory, signed)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_key_of(signer: Ed25519PrivateKey) -> str:
    return base64.b64encode(signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def forged_dump(directory: Path, identity: x25519.Identity) -> tuple[str, bytes]:
    """What anyone can make: a file encrypted to the trustees' public age key (no secret needed)."""
    name = f"haven-20250101T000000Z-{secrets.token_hex(3)}"
    directory.mkdir(parents=True, exist_ok=True)
    sql = (
        b"CREATE FUNCTION evil() RETURNS bool LANGUAGE plpgsql AS $$ BEGIN ALTER ROLE x SUPERUSER; RETURN true; END $$;"
    )
    data = encrypt(zstandard.ZstdCompressor().compress(sql), [identity.to_public()])
    (directory / f"{name}.dump.zst.age").write_bytes(data)
    return name, data


def assert_refused_before_anything(result: subprocess.CompletedProcess[str], target: str, why: str) -> None:
    assert result.returncode == 1, result.stderr
    assert why in result.stderr
    assert "nothing was decrypted or created" in result.stderr
    assert f"FAILED; nothing was created or changed; {target} is as it was" in result.stderr
    assert "Restoring" not in result.stdout  # never reached the decryption
    assert databases(target) == set()


def test_a_good_backup_restores_by_hand_whole(trustee, target_name, tmp_path):
    identity_file, _ = trustee
    case = CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    assert backup.status == Backup.Status.OK

    result = run_script(str(identity_file), str(backup_file(backup)), target_name)

    assert result.returncode == 0, result.stderr
    assert "Verifying" in result.stdout and "Checking the SHA-256" in result.stdout
    assert f"Restored into {target_name}." in result.stdout
    assert databases(target_name) == {target_name}  # the scratch database took the real name
    assert query(target_name, "SELECT code FROM defectors_case") == [(case.code,)]
    triggers = query(target_name, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass")
    assert {"audit_event_append_only", "audit_event_no_truncate"} <= {row[0] for row in triggers}
    # And the keyring, with the line the script prints, readable by its owner only whatever the umask.
    line = result.stdout.splitlines()[-1].strip()
    assert line.startswith("(umask 077; age -d -i ") and line.endswith(f"{backup.name}.keyring.json.age)")
    subprocess.run(["bash", "-c", f"umask 022; {line}"], cwd=tmp_path, check=True)
    keyring = tmp_path / "keyring.json"
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert json.loads(keyring.read_text())["keks"][0]["key"]


def test_a_truncated_file_leaves_no_scratch_and_the_existing_database_untouched(trustee, target_name, tmp_path):
    """Even with --replace: the existing database under the real name keeps every row."""
    identity_file, _ = trustee
    CaseFactory.create_batch(5, full_name=SENTINEL)
    backup = services.create_backup()
    dump = backup_file(backup)
    truncated = tmp_path / dump.name
    truncated.write_bytes(dump.read_bytes()[: dump.stat().st_size * 2 // 3])
    genuine = settings.BACKUP_DIR / f"{backup.name}{manifest.SUFFIX}"
    (tmp_path / genuine.name).write_bytes(genuine.read_bytes())
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')
    with psycopg.connect(
        host=connection.settings_dict["HOST"], port=connection.settings_dict["PORT"] or None,
        user=connection.settings_dict["USER"], password=connection.settings_dict["PASSWORD"] or None,
        dbname=target_name, autocommit=True,
    ) as existing:  # fmt: skip
        existing.execute("CREATE TABLE live_data (id int PRIMARY KEY); INSERT INTO live_data VALUES (1), (2), (3)")

    # Beside its genuine manifest, the SHA-256 check refuses it before anything is decrypted.
    result = run_script("--replace", str(identity_file), str(truncated), target_name)

    assert result.returncode == 1
    assert "is not the file the manifest signed (its SHA-256 differs" in result.stderr
    assert "Restoring" not in result.stdout and databases(target_name) == {target_name}

    # Signed as it is (as if the installation had written a short file): pg_restore's one
    # transaction still restores nothing.
    body = json.loads((tmp_path / genuine.name).read_text())["body"]
    body["files"]["database"].update(size=truncated.stat().st_size, sha256=sha256(truncated.read_bytes()))
    manifest.write_manifest(
        tmp_path, manifest.sign(body, settings.KEYRING.signer(), settings.KEYRING.signing_public_key)
    )
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

    result = run_script(str(identity_file), str(backup_file(backup)), target_name)

    assert result.returncode == 1 and f"database {target_name} exists" in result.stderr
    assert databases(target_name) == {target_name}


def test_with_replace_the_old_database_is_kept_under_another_name(trustee, target_name):
    identity_file, _ = trustee
    case = CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')

    # The key from the environment this time, as README allows.
    result = subprocess.run(
        ["bash", str(SCRIPT), "--replace", str(identity_file), str(backup_file(backup)), target_name],
        env=script_env(public_key=settings.KEYRING.signing_public_key), capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    found = databases(target_name)
    assert target_name in found and len(found) == 2
    (replaced,) = found - {target_name}
    # The whole name, not cut at 63 bytes: what the script printed is what is there.
    assert re.fullmatch(rf"{target_name}_replaced_\d{{8}}T\d{{6}}Z", replaced) and len(replaced) == 63
    assert f"to {replaced} (kept)" in result.stdout
    assert query(target_name, "SELECT code FROM defectors_case") == [(case.code,)]


def forge_manifest(kind: str, directory: Path, name: str, data: bytes) -> None:
    """A manifest beside a forged dump, as someone without the installation's signing key can make it."""
    if kind == "none":
        return
    if kind == "unsigned":
        path = signed_manifest(directory, name, data)
        forged = json.loads(path.read_text())
        del forged["signature"]
    elif kind == "signature_of_another_body":  # a genuine signature, the sha256 changed under it
        path = signed_manifest(directory, name, b"the genuine dump")
        forged = json.loads(path.read_text())
        forged["body"]["files"]["database"]["sha256"] = sha256(data)
    elif kind == "attackers_key":  # signed, and honestly naming the key that signed it
        path = signed_manifest(directory, name, data, signer=Ed25519PrivateKey.generate())
        forged = json.loads(path.read_text())
    else:  # signed by another key, naming the installation's
        path = signed_manifest(directory, name, data, signer=Ed25519PrivateKey.generate())
        forged = json.loads(path.read_text())
        forged["signing_public_key"] = settings.KEYRING.signing_public_key
    path.write_text(json.dumps(forged))


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("none", "cannot read the backup's manifest"),
        ("unsigned", "is not a signed Haven backup manifest"),
        ("signature_of_another_body", "the manifest's signature does not match the key given"),
        ("attackers_key", "names another signing key than the one given"),
        ("another_key_naming_ours", "the manifest's signature does not match the key given"),
    ],
)
def test_a_forged_dump_encrypted_to_the_public_age_key_is_refused_before_anything(trustee, target_name, kind, why):
    """The trustees' age key is public: encrypting to it proves nothing. Only the signature does."""
    identity_file, identity = trustee
    name, data = forged_dump(settings.BACKUP_DIR, identity)
    forge_manifest(kind, settings.BACKUP_DIR, name, data)

    result = run_script(str(identity_file), str(settings.BACKUP_DIR / f"{name}.dump.zst.age"), target_name)

    if kind == "none":  # refused even before the trap is set
        assert result.returncode == 2 and why in result.stderr and databases(target_name) == set()
    else:
        assert_refused_before_anything(result, target_name, why)


def test_a_dump_that_is_not_the_one_the_manifest_signed_is_refused(trustee, target_name):
    identity_file, identity = trustee
    name, data = forged_dump(settings.BACKUP_DIR, identity)
    signed_manifest(settings.BACKUP_DIR, name, data[:-1] + bytes([data[-1] ^ 1]))  # one bit apart

    result = run_script(str(identity_file), str(settings.BACKUP_DIR / f"{name}.dump.zst.age"), target_name)

    assert_refused_before_anything(result, target_name, "is not the file the manifest signed (its SHA-256 differs")


def test_the_signing_key_is_required_and_must_be_the_installations(trustee, target_name):
    identity_file, identity = trustee
    name, data = forged_dump(settings.BACKUP_DIR, identity)
    signed_manifest(settings.BACKUP_DIR, name, data)  # genuinely signed by the installation
    dump = str(settings.BACKUP_DIR / f"{name}.dump.zst.age")

    missing = subprocess.run(
        ["bash", str(SCRIPT), str(identity_file), dump, target_name], env=script_env(), capture_output=True, text=True
    )
    assert missing.returncode == 2 and "give the installation's signing public key" in missing.stderr

    other = run_script(str(identity_file), dump, target_name, public_key=public_key_of(Ed25519PrivateKey.generate()))
    assert_refused_before_anything(other, target_name, "names another signing key than the one given")

    malformed = run_script(str(identity_file), dump, target_name, public_key="not-a-key")
    assert_refused_before_anything(malformed, target_name, "is not a base64 Ed25519 key")
    assert databases(target_name) == set()


def test_a_name_postgresql_would_cut_is_refused(trustee, target_name):
    """At 38 characters DATABASE_replaced_<time> passes 63 bytes; at 54, DATABASE_restoring would be DATABASE."""
    identity_file, identity = trustee
    name, data = forged_dump(settings.BACKUP_DIR, identity)
    signed_manifest(settings.BACKUP_DIR, name, data)
    for long_name in (target_name + "y", target_name.ljust(63, "y")):
        result = run_script(str(identity_file), str(settings.BACKUP_DIR / f"{name}.dump.zst.age"), long_name)

        assert result.returncode == 1 and "at most 37 characters" in result.stderr
        assert databases(target_name) == set()


def test_when_the_last_rename_fails_the_old_database_is_renamed_back(trustee, target_name):
    """The old database was moved aside, the restored one cannot take its name: put the old one back."""
    identity_file, _ = trustee
    CaseFactory(full_name=SENTINEL)
    backup = services.create_backup()
    db = connection.settings_dict
    params = dict(host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"] or None)
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{target_name}"')
    with psycopg.connect(**params, dbname=target_name, autocommit=True) as existing:
        existing.execute("CREATE TABLE live_data (id int PRIMARY KEY); INSERT INTO live_data VALUES (1), (2), (3)")
    scratch = f"{target_name}_restoring"
    stop = threading.Event()
    held: list[psycopg.Connection] = []

    def hold_the_scratch_database() -> None:
        """Someone connected to the scratch database: PostgreSQL then refuses to rename it (after 5 s)."""
        with _admin_connection() as admin:
            while not stop.is_set() and not held:
                if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (scratch,)).fetchone():
                    held.append(psycopg.connect(**params, dbname=scratch, autocommit=True))
                time.sleep(0.02)

    holder = threading.Thread(target=hold_the_scratch_database)
    holder.start()
    try:
        result = run_script("--replace", str(identity_file), str(backup_file(backup)), target_name)
    finally:
        stop.set()
        holder.join()
        for conn in held:
            conn.close()

    assert held, "the scratch database was never seen"
    assert result.returncode == 1
    assert f"cannot rename {scratch} to {target_name}" in result.stderr
    assert f"is renamed back to {target_name}, which is as it was" in result.stderr
    assert f"the scratch database {scratch} is dropped" in result.stderr
    assert databases(target_name) == {target_name}
    assert query(target_name, "SELECT count(*) FROM live_data") == [(3,)]
