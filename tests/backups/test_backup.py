"""Writing a backup: what is on disk, what is not, and what a failure leaves behind."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyrage
import pytest
from django.conf import settings
from django.db import connection
from pyrage import passphrase, x25519

from audit.models import AuditEvent
from audit.services import log_event
from backups import demo_key, services, streams
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
    # And no age identity is anywhere in the installation's tree, but make run's demo key
    # (public, never a recipient here), which does not decrypt it either.
    for path in (settings.BASE_DIR / "var").rglob("*"):
        if path.is_file() and path.stat().st_size < 10_000_000 and b"AGE-SECRET-KEY-" in path.read_bytes():
            assert path.name == demo_key.FILE_NAME, path
            for identity in streams.read_identities(path):
                for backup_file in [p for p in files_of(backup) if p.suffix == ".age"]:
                    with pytest.raises(pyrage.DecryptError):
                        pyrage.decrypt(backup_file.read_bytes(), [identity])


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
        # the archive-format probe (a schema-only dump) is answered by the real tool
        f'case "$*" in *--schema-only*) exec {shutil.which("pg_dump")} "$@";; esac\n'
        "head -c 200000 /dev/urandom; echo 'connection lost' >&2; exit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")

    backup = services.create_backup()

    assert backup.status == Backup.Status.FAILED and backup.error == "pg_dump failed (exit 1): connection lost"
    assert list(settings.BACKUP_DIR.iterdir()) == []
    event = AuditEvent.objects.filter(action="backups.backup.failed").get()
    assert event.object_ref == backup.name


def _has_bytes(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:  # renamed or removed since it was listed
        return False


def test_a_stream_process_killed_mid_backup_fails_the_backup_and_leaves_no_file(trustee, tmp_path, monkeypatch):
    # A pg_dump that sends part of a dump, then waits: the stream process is killed meanwhile
    # (an out-of-memory kill, an operator's kill -9).
    fake = tmp_path / "bin" / "pg_dump"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'pg_dump (PostgreSQL) 15'; exit 0; }\n"
        # the archive-format probe (a schema-only dump) is answered by the real tool
        f'case "$*" in *--schema-only*) exec {shutil.which("pg_dump")} "$@";; esac\n'
        "head -c 3000000 /dev/urandom; exec sleep 60\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    launched: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def recording_popen(args, **kwargs):  # type: ignore[no-untyped-def]
        process = real_popen(args, **kwargs)
        launched.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)

    def kill_the_stream() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            streams_ = [p for p in launched if str(streams.PIPELINE) in p.args]
            # Any of the partial files (the dump's, the keyring's: in the directory's own order).
            partial = list(settings.BACKUP_DIR.glob("*.partial"))
            if streams_ and any(_has_bytes(path) for path in partial):
                os.kill(streams_[0].pid, signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_stream)
    killer.start()
    started = time.monotonic()
    backup = services.create_backup()
    killer.join()

    assert backup.status == Backup.Status.FAILED
    assert backup.error == "the backup stream process stopped (killed by signal 9)"
    assert list(settings.BACKUP_DIR.iterdir()) == []
    assert time.monotonic() - started < 30  # pg_dump was stopped, not waited for
    assert AuditEvent.objects.filter(action="backups.backup.failed", object_ref=backup.name).exists()
    dumps = [p for p in launched if p.args[0] == "pg_dump" and "--format=custom" in p.args]
    assert dumps and dumps[0].poll() is not None


def test_the_stream_runs_in_a_lean_process_without_django_or_secrets(trustee, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "sentinel-db-password")
    launched: list[tuple[list[str], dict]] = []
    real_popen = subprocess.Popen

    def recording_popen(args, **kwargs):  # type: ignore[no-untyped-def]
        launched.append((list(args), dict(kwargs.get("env") or {})))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    assert services.create_backup().status == Backup.Status.OK

    [(args, env)] = [(args, env) for args, env in launched if str(streams.PIPELINE) in args]
    assert args[:3] == [sys.executable, "-I", str(streams.PIPELINE)]
    assert set(env) <= {"PATH", "LD_LIBRARY_PATH", "LANG", "LC_ALL"}
    # What the stream process imports: the standard library, pyrage and zstandard; nothing of Haven's.
    probe = (
        "import runpy, sys; runpy.run_path(sys.argv[1], run_name='probe'); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'config', 'backups', 'vault', 'psycopg'}))"
    )
    result = subprocess.run([sys.executable, "-I", "-c", probe, str(streams.PIPELINE)], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_the_stream_process_memory_stays_small_whatever_the_size(tmp_path, trustee):
    _identity_file, identity = trustee
    source = subprocess.Popen(["head", "-c", "120000000", "/dev/urandom"], stdout=subprocess.PIPE)
    assert source.stdout is not None
    sizes: list[int] = []
    written = streams.encrypt_in_child(
        tmp_path / "big.age", [identity.to_public()], stdin=source.stdout, progress=sizes.append
    )
    source.wait()

    assert written.size > 120_000_000 and written.peak_kb < 64 * 1024
    assert sizes and sizes == sorted(sizes) and sizes[-1] < written.size  # progress, as the file grew
    assert written.sha256 == hashlib.sha256((tmp_path / "big.age").read_bytes()).hexdigest()


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
    """``key`` as an age X25519 identity string (bech32, HRP age-secret-key-); pyrage checks it where used."""
    return demo_key.bech32("age-secret-key-", key).upper()


def test_pg_dump_and_pg_restore_get_where_to_connect_and_no_other_secret(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "sentinel-secret-key-in-the-environment")
    monkeypatch.setenv("HAVEN_HEALTH_TOKEN", "sentinel-health-token")
    monkeypatch.setenv("DATABASE_URL", "postgres://haven:sentinel-password@db/haven")
    env = streams.postgres_env({"HOST": "db", "PORT": "5432", "USER": "haven", "PASSWORD": "pw", "NAME": "haven"})
    assert "sentinel" not in repr(env)
    assert env["PGPASSWORD"] == "pw" and env["PGHOST"] == "db" and env["PATH"] == os.environ["PATH"]
