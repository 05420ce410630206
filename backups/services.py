"""Backing up, verifying, pruning and restoring (README, "Backups").

A backup is three files in BACKUP_DIR that share a name: the database
(``.dump.zst.age`` or ``.sqlite3.zst.age``), the keyring (``.keyring.json.age``),
both age-encrypted to BACKUP_RECIPIENTS, and a signed ``.manifest.json``.
Files are written under ``.partial`` names and renamed only when the whole
backup succeeded, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.checkpoints import chain_head
from audit.models import AuditEvent
from audit.services import log_event, verify_chain
from backups import manifest, streams, versions
from backups.models import Backup
from backups.retention import to_keep
from backups.streams import BackupError
from backups.versions import postgres_versions
from health.running import keep_beating

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

NAME_PREFIX = "haven-"
STAMP = "%Y%m%dT%H%M%SZ"


def shred_list() -> list[str]:
    """The ids of every data key shredded so far (ids only: they identify no one)."""
    from vault.models import DataKey

    ids = DataKey.objects.filter(shredded_at__isnull=False).order_by("pk").values_list("pk", flat=True)
    return [str(key_id) for key_id in ids]


def migration_state() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup_dir() -> Path:
    directory = Path(settings.BACKUP_DIR)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def start_backup(*, by: User) -> Backup:
    """Queue a backup for the worker (the admin page's button); returns its row.

    Raises ValidationError while another backup is queued or running (a running one whose
    heartbeat stopped does not count: its worker is gone).
    """
    with transaction.atomic():
        if Backup.objects.select_for_update().in_progress().exists():
            raise ValidationError(_("A backup is already running."))
        backup = Backup.objects.create(started_by=by, recipients=list(settings.BACKUP_RECIPIENTS))
        log_event(action="backups.backup.requested", actor=by, object_ref=str(backup.id))

        from backups import tasks

        # robust: with the broker down the row stays queued and beat's sweep
        # (backups.tasks.resume_queued) queues it once the broker is back; never a 500.
        transaction.on_commit(lambda: tasks.run_backup.delay(str(backup.id)), robust=True)
    return backup


def create_backup(*, backup: Backup | None = None, by: User | None = None) -> Backup:
    """Dump, compress and encrypt the database and the keyring, then write the signed manifest.

    Returns the Backup row, status OK or FAILED (with ``error``, naming the step
    that failed); any failure removes every file of this backup and is recorded
    in the audit trail. Never raises for a failure: the row says what happened
    (an interrupt, KeyboardInterrupt or SystemExit, is recorded, then re-raised).
    The row beats while the backup runs: if the process is killed, beat's sweep
    (fail_stopped_backups) marks it failed and removes its files.
    """
    if backup is None:
        backup = Backup.objects.create(started_by=by, recipients=list(settings.BACKUP_RECIPIENTS))
    with keep_beating(Backup.objects.filter(pk=backup.pk, status=Backup.Status.RUNNING)):
        return _write_backup(backup, by)


def _write_backup(backup: Backup, by: User | None) -> Backup:
    started = timezone.now()
    backup.name = f"{NAME_PREFIX}{started.astimezone(UTC).strftime(STAMP)}-{backup.id.hex[:6]}"
    backup.status, backup.started_at, backup.size = Backup.Status.RUNNING, started, 0
    backup.recipients, backup.heartbeat_at = list(settings.BACKUP_RECIPIENTS), started
    backup.save(update_fields=["name", "status", "started_at", "size", "recipients", "heartbeat_at"])
    database = connection.settings_dict
    vendor = "sqlite" if database["ENGINE"].endswith("sqlite3") else "postgresql"
    step = "preparing the backup"
    try:
        directory = backup_dir()
        db_file = directory / f"{backup.name}.{'sqlite3' if vendor == 'sqlite' else 'dump'}.zst.age"
        keyring_file = directory / f"{backup.name}.keyring.json.age"

        def progress(size: int) -> None:
            Backup.objects.filter(pk=backup.pk).update(size=size)

        recipients = streams.parse_recipients(backup.recipients)
        seq, head = chain_head()  # before the dump: the dump holds at least this event
        partial = db_file.with_name(db_file.name + ".partial")
        step = "dumping the database"
        if vendor == "sqlite":
            tool = f"sqlite3 {streams.sqlite3.sqlite_version}"
            versions = {"server": f"sqlite {streams.sqlite3.sqlite_version}", "archive": "sqlite3 database image"}
            dumped = streams.dump_sqlite(database, partial, recipients, progress=progress)
        else:
            tool = streams.tool_version("pg_dump")
            dumped = streams.dump_postgres(database, partial, recipients, progress=progress)
            step = "reading the versions"
            versions = postgres_versions(database, connection.pg_version)  # type: ignore[attr-defined]
        partial.rename(db_file)
        step = "writing the keyring"
        keyring_partial = keyring_file.with_name(keyring_file.name + ".partial")
        keys = streams.encrypt_bytes(Path(settings.KEYRING_FILE).read_bytes(), keyring_partial, recipients)
        keyring_partial.rename(keyring_file)
        step = "writing the manifest"
        finished = timezone.now()
        body = {
            "name": backup.name,
            "created_at": started.astimezone(UTC).isoformat(),
            "finished_at": finished.astimezone(UTC).isoformat(),
            "database": vendor,
            "tool": tool,
            "versions": versions,
            "compression": "zstd",
            "files": {
                "database": {"name": db_file.name, "size": dumped.size, "sha256": dumped.sha256},
                "keyring": {"name": keyring_file.name, "size": keys.size, "sha256": keys.sha256},
            },
            "recipients": backup.recipients,
            "migrations": migration_state(),
            "checkpoint": {"seq": seq, "head": head},
            "shred_list": shred_list(),  # after the dump: covers keys shredded while it ran
        }
        keyring = settings.KEYRING
        manifest.write_manifest(directory, manifest.sign(body, keyring.signer(), keyring.signing_public_key))
    except BaseException as exc:
        # Every failure, of whatever kind (a full disk inside the encryption, a pg_dump
        # that died, a lost database, an interrupt), ends the same way: no file, a failed
        # row with its reason, an audit event. Only an interrupt goes on up afterwards.
        remove_files(backup.name)
        reason = failure_reason(step, exc)
        if not isinstance(exc, Exception):
            _record_failure(backup, by=by, reason=reason)
            raise
        if _record_failure(backup, by=by, reason=reason):
            backup.refresh_from_db()
        else:  # what the row would say, for the caller (manage.py backup prints it)
            backup.status, backup.error = Backup.Status.FAILED, reason
        return backup
    with transaction.atomic():
        if Backup.objects.filter(pk=backup.pk, status=Backup.Status.RUNNING).update(
            status=Backup.Status.OK, finished_at=finished, size=dumped.size + keys.size
        ):
            log_event(action="backups.backup.created", actor=by, object_ref=backup.name)
    backup.refresh_from_db()
    return backup


def remove_files(name: str) -> None:
    """Every file of backup ``name`` (written, half-written or ``.partial``) in BACKUP_DIR."""
    if not name:
        return
    with contextlib.suppress(OSError):
        for path in Path(settings.BACKUP_DIR).glob(f"{name}.*"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def failure_reason(step: str, exc: BaseException) -> str:
    """A plain reason for the row, the audit trail and the log: the step and the kind of failure, never data."""
    if isinstance(exc, BackupError):
        return str(exc)[:300]
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or re.search(r"os error 28|Errno 28", str(exc)):
        return f"{step} failed: the backup disk is full (no space left in {settings.BACKUP_DIR})"[:300]
    if isinstance(exc, OSError) and exc.strerror:
        return f"{step} failed: {exc.strerror}"[:300]
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return f"{step} was interrupted (the process was stopped)"
    if isinstance(exc, streams.pyrage.EncryptError | streams.zstandard.ZstdError | OSError):
        # Their messages describe the stream (an I/O error, a compressor state), never its contents.
        detail = (str(exc).strip().splitlines() or [""])[0][:160]
        return f"{step} failed: {type(exc).__name__}: {detail}"[:300]
    # Anything else (a lost database connection, a bug) by its kind only: its text may quote data.
    return f"{step} failed: unexpected {type(exc).__name__} (see the worker's log)"[:300]


# A failure is recorded even when the database went away with it (pg_dump lost its server):
# the row is retried every RECORD_EVERY seconds for RECORD_FOR seconds. Meanwhile the row's
# heartbeat thread keeps it from the sweep, whose reason ("the worker stopped") would be wrong.
RECORD_FOR = 180
RECORD_EVERY = 2


def _record_failure(backup: Backup, *, by: User | None, reason: str) -> bool:
    """Mark ``backup`` failed with ``reason`` and audit it; True once recorded, False if the database stayed away."""
    logger.error("backup %s failed: %s", backup.name, reason)
    deadline = time.monotonic() + RECORD_FOR
    while True:
        try:
            with transaction.atomic():
                # Only while running: a row beat's sweep already failed keeps its reason and its one event.
                if Backup.objects.filter(pk=backup.pk, status=Backup.Status.RUNNING).update(
                    status=Backup.Status.FAILED, finished_at=timezone.now(), error=reason, size=0
                ):
                    log_event(action="backups.backup.failed", actor=by, object_ref=backup.name, reason=reason)
            return True
        except DatabaseError as exc:  # the database itself is gone: wait for it, then give up with a log line
            if time.monotonic() > deadline:
                logger.error("backup %s: the failure could not be recorded (%s)", backup.name, type(exc).__name__)
                return False
            connection.close()  # a dropped connection is not reused: the next attempt opens a new one
            time.sleep(RECORD_EVERY)


def fail_stopped_backups() -> list[str]:
    """Beat's sweep: every running backup whose heartbeat stopped is marked failed; returns their ids.

    Its worker is gone (killed, out of memory, restarted), so nothing finishes it: its
    files (``.partial`` or renamed, with no manifest) are removed and an audit event says why.
    """
    failed = []
    for backup in Backup.objects.stopped().select_related("started_by"):
        # The files first: a sweep killed between the two leaves a row that the next sweep
        # fails, never a failed row whose files stay for good.
        remove_files(backup.name)  # named when it started writing: nothing of it is kept
        with transaction.atomic():
            reason = _("the worker stopped during the backup (killed or restarted); nothing was kept; start it again")
            if (
                not Backup.objects.stopped()
                .filter(pk=backup.pk)
                .update(status=Backup.Status.FAILED, finished_at=timezone.now(), error=reason, size=0)
            ):
                continue  # it beat again, or ended, meanwhile
            log_event(action="backups.backup.failed", actor=backup.started_by, object_ref=backup.name or str(backup.pk),
                      reason=reason)  # fmt: skip
        failed.append(str(backup.pk))
    return failed


def verify_backup(*, path: Path, public_key: str = "") -> manifest.Verification:
    """Verify one backup (manifest, file or name) without any private key; records the result.

    ``public_key`` (base64 Ed25519) defaults to this installation's signing key.
    """
    result = manifest.verify(path, public_key or settings.KEYRING.signing_public_key)
    name = result.manifest_path.name.removesuffix(manifest.SUFFIX)
    with transaction.atomic():
        Backup.objects.filter(name=name).update(
            verified_at=timezone.now(), verify_error="; ".join(result.problems)[:300]
        )
        if not result.ok:
            log_event(action="backups.backup.verify_failed", object_ref=name, reason="; ".join(result.problems)[:500])
    return result


def backup_time(name: str) -> datetime | None:
    try:
        return datetime.strptime(name.removeprefix(NAME_PREFIX)[: len("20260101T000000Z")], STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def prune_backups() -> list[str]:
    """Delete the backups that retention does not keep (BACKUP_KEEP_*); returns their names.

    Only verified backups count, and only they are ever pruned: a backup that failed its
    check (or was never checked) neither takes a verified one's place nor is deleted
    here, so the newest verified backup is always kept (retention.to_keep keeps the
    newest it is given). Days, weeks and months are counted in the installation's time
    zone. Each pruned backup is an audit event.
    """
    directory = backup_dir()
    verified = set(Backup.objects.filter(verified_at__isnull=False, verify_error="").values_list("name", flat=True))
    stamps: dict[datetime, str] = {}
    for path in directory.glob(f"{NAME_PREFIX}*{manifest.SUFFIX}"):
        name = path.name.removesuffix(manifest.SUFFIX)
        stamp = backup_time(name)
        if stamp is not None and name in verified:
            stamps[timezone.localtime(stamp)] = name
    keep = to_keep(
        stamps,
        daily=settings.BACKUP_KEEP_DAILY,
        weekly=settings.BACKUP_KEEP_WEEKLY,
        monthly=settings.BACKUP_KEEP_MONTHLY,
    )
    pruned = []
    for stamp, name in sorted(stamps.items()):
        if stamp in keep:
            continue
        with transaction.atomic():
            log_event(action="backups.backup.pruned", object_ref=name)
            Backup.objects.filter(name=name).update(status=Backup.Status.PRUNED)
            # The manifest last: while it exists, the backup still counts as one.
            for path in sorted(directory.glob(f"{name}.*"), key=lambda p: p.name.endswith(manifest.SUFFIX)):
                path.unlink(missing_ok=True)
        pruned.append(name)
    return pruned


def back_up_and_verify(*, backup: Backup | None = None, by: User | None = None, prune: bool = True) -> Backup:
    """What beat runs nightly (and the admin page's button, without pruning): back up, verify, prune."""
    backup = create_backup(backup=backup, by=by)
    if backup.status == Backup.Status.OK:
        verify_backup(path=backup_dir() / f"{backup.name}{manifest.SUFFIX}")
        if prune:
            prune_backups()
        backup.refresh_from_db()
    return backup


# Restoring ------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    name: str
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    checks: dict[str, Any] = field(default_factory=dict)  # what check_restore found
    shred_sources: int = 0  # manifests whose shred lists were merged
    warnings: list[str] = field(default_factory=list)  # e.g. versions an older manifest does not record

    @property
    def ok(self) -> bool:
        return bool(self.checks.get("ok"))


def collect_shred_list(
    *, body: dict[str, Any], directory: Path, extra: Iterable[Path], public_key: str
) -> tuple[set[str], int]:
    """The union of the shred lists of this backup, every signed manifest in ``directory`` and ``extra``.

    Shred lists only grow, so their union is the newest. Manifests whose
    signature does not check are ignored: a forged list must not shred anything.
    Returns (key ids, number of manifests used).
    """
    ids = set(body.get("shred_list", []))
    used = 1
    for path in [*sorted(directory.glob(f"*{manifest.SUFFIX}")), *extra]:
        if path.name == f"{body['name']}{manifest.SUFFIX}":
            continue
        try:
            other = manifest.check_signature(manifest.read_manifest(path), public_key, path.name)
        except BackupError:
            if path in extra:
                raise
            continue
        ids |= set(other.get("shred_list", []))
        used += 1
    return ids, used


def restore_backup(
    *,
    path: Path,
    identity_file: Path,
    database_url: str,
    shred_lists: Iterable[Path] = (),
    public_key: str = "",
    sample: int = 20,
    say: Callable[[str], None] = lambda line: None,
) -> RestoreReport:
    """Verify, decrypt into the (empty) target database, and check what was restored.

    The target is a postgres:// or sqlite:/// URL. The plaintext only flows
    through pipes (PostgreSQL) or memory (SQLite) into the target. The checks
    run in a child process that sees only the restored database and the
    restored keyring (passed through a pipe, never written to disk): pending
    migrations, the audit chain against the manifest's checkpoint, the merged
    shred list re-applied, a sample of records decrypted. Raises BackupError
    when verification, decryption or the restore fails.
    """
    from config.settings import database_from_url

    public_key = public_key or settings.KEYRING.signing_public_key
    report = RestoreReport(name="")
    clock = time.monotonic()
    say("Verifying signature and checksums...")
    verified = manifest.verify(path, public_key)
    if not verified.ok:
        raise BackupError("verification failed: " + "; ".join(verified.problems))
    body = verified.body
    report.name = body["name"]
    directory = verified.manifest_path.parent
    database = database_from_url(database_url)
    if (database["ENGINE"].endswith("sqlite3")) != (body["database"] == "sqlite"):
        raise BackupError(f"this is a {body['database']} backup: restore it into a database of that kind")
    if body["database"] == "sqlite" and Path(database["NAME"]).exists():  # checked before anything is decrypted
        raise BackupError(f"{database['NAME']} exists already: restore into a new file")
    if body["database"] != "sqlite":
        say("Checking versions and the target database...")
        report.warnings = check_postgres_target(body, database)
        for warning in report.warnings:
            say(f"Warning: {warning}.")
    identities = streams.read_identities(identity_file)
    report.timings["verify"] = time.monotonic() - clock

    clock = time.monotonic()
    say("Decrypting the keyring...")
    try:
        keyring = streams.pyrage.decrypt((directory / body["files"]["keyring"]["name"]).read_bytes(), identities)
    except streams.pyrage.DecryptError:
        raise BackupError("the keyring does not decrypt with the identity given") from None
    say("Restoring the database (decrypting in a stream)...")
    db_path = directory / body["files"]["database"]["name"]
    if body["database"] == "sqlite":
        streams.restore_sqlite(database, db_path, identities)
    else:
        streams.restore_postgres(database, db_path, identities)
    report.timings["restore"] = time.monotonic() - clock

    clock = time.monotonic()
    ids, report.shred_sources = collect_shred_list(
        body=body, directory=directory, extra=list(shred_lists), public_key=public_key
    )
    say("Checking the restored database...")
    request = {"name": body["name"], "checkpoint": body["checkpoint"], "shred_list": sorted(ids), "sample": sample}
    report.checks = _run_checks(database_url, keyring, request)
    report.timings["checks"] = time.monotonic() - clock
    return report


def check_postgres_target(body: dict[str, Any], database: dict[str, Any]) -> list[str]:
    """Before anything is decrypted: can this pg_restore restore ``body``'s backup into this empty database?

    Raises BackupError naming both versions (or what is in the way); returns warnings.
    """
    import psycopg

    pg_restore = streams.tool_version("pg_restore")
    try:
        with psycopg.connect(
            host=database.get("HOST") or None, port=database.get("PORT") or None, user=database.get("USER") or None,
            password=database.get("PASSWORD") or None, dbname=database["NAME"], connect_timeout=10,
        ) as target:  # fmt: skip
            server = target.info.server_version
            tables = target.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
            ).fetchone()
    except psycopg.Error as exc:
        detail = streams.error_lines(f"error: {str(exc).strip()}").removeprefix("error: ")
        raise BackupError(f"cannot connect to the target database {database['NAME']}: {detail}") from None
    compatibility = versions.check_postgres(body, pg_restore=pg_restore, target_server=server)
    if compatibility.refusals:
        raise BackupError("; ".join(compatibility.refusals))
    if tables and tables[0]:
        raise BackupError(
            f"the target database {database['NAME']} is not empty ({tables[0]} tables, views or sequences): "
            "restore into a new, empty database (createdb); nothing was changed"
        )
    return compatibility.warnings


def _run_checks(database_url: str, keyring: bytes, request: dict[str, Any]) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    try:
        # The keyring is small: it fits in the pipe's buffer before the child reads it.
        os.write(write_end, keyring)
    finally:
        os.close(write_end)
    env = {**os.environ, "DATABASE_URL": database_url, "HAVEN_KEYRING_FILE": f"/dev/fd/{read_end}"}
    try:
        result = subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check_restore"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            pass_fds=(read_end,),
            check=False,
        )
    finally:
        os.close(read_end)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackupError(f"the checks on the restored database did not run: {last[:300]}")
    return json.loads(lines[-1])


def check_restored_database(
    *, name: str, checkpoint: dict[str, Any], shred_list: list[str], sample: int
) -> dict[str, Any]:
    """Run inside the restored installation (``manage.py check_restore``); returns the findings.

    Re-applies the shred list before anything else reads the data, then
    verifies the audit chain against the manifest's checkpoint and opens a
    sample of data keys and records with the restored keyring.
    """
    from vault import keys
    from vault.fields import SHREDDED, EncryptedField, RecordDamaged
    from vault.models import DataKey
    from vault.services import shred_data_keys

    findings: dict[str, Any] = {}
    reapplied = shred_data_keys(key_ids=shred_list)
    findings["shreds_reapplied"] = len(reapplied)

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    findings["pending_migrations"] = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]

    chain = verify_chain()
    findings["audit_events"], findings["audit_error"] = chain.count, chain.error
    seq, head = checkpoint.get("seq", 0), checkpoint.get("head", "")
    found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first() if seq else head
    findings["checkpoint_ok"] = found == head

    opened = failed = 0
    with keys.key_scope():
        for key in DataKey.objects.filter(shredded_at__isnull=True).order_by("?")[:sample]:
            try:
                keys.open_key(key)
                opened += 1
            except Exception:  # any failure to unwrap means the keyring does not match
                failed += 1
        records = shredded = damaged = 0
        from django.apps import apps

        for model in apps.get_models():
            encrypted = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
            if not encrypted:
                continue
            for row in model._default_manager.order_by("?")[:sample]:
                try:
                    values = [getattr(row, f.attname) for f in encrypted]
                except RecordDamaged:
                    damaged += 1
                    continue
                if any(value is SHREDDED for value in values):
                    shredded += 1
                else:
                    records += 1
    findings.update(keys_opened=opened, keys_failed=failed, records_opened=records, records_shredded=shredded)
    findings["records_damaged"] = damaged
    # Pending migrations are reported, not failed: an older backup is restored, then migrated.
    findings["ok"] = bool(not findings["audit_error"] and findings["checkpoint_ok"] and not failed and not damaged)
    with transaction.atomic():
        if reapplied:
            log_event(action="backups.restore.shreds_reapplied", object_ref=name, reason=f"{len(reapplied)} data keys")
        log_event(action="backups.backup.restored", object_ref=name)
    return findings
