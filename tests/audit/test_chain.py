"""The audit trail is append-only and hash-chained; verify_audit finds any change."""

from __future__ import annotations

import importlib
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import GENESIS_HASH, compute_hash, log_event, verify_chain


def write_events(n: int, actor=None) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return [
        log_event(action="tests.thing.done", actor=actor, object_ref=f"HV-{i:04d}", reason="because") for i in range(n)
    ]


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(*statements: str) -> None:
    """Change rows the way someone with the table owner's rights could."""
    raw("SET CONSTRAINTS ALL IMMEDIATE")  # flush Django's deferred FK checks first
    raw("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    for sql in statements:
        raw(sql)
    raw("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestChain:
    def test_a_whole_chain_verifies_and_the_command_prints_the_count(self, admin):
        write_events(5, actor=admin)
        assert verify_chain().ok
        assert "Audit chain intact: 5 events." in verify_output()

    def test_each_event_links_to_the_one_before(self):
        first, second = write_events(2)
        assert first.seq == 1 and second.seq == 2
        assert second.prev_hash == first.hash
        assert first.prev_hash == "0" * 64

    def test_the_model_refuses_updates_and_deletes(self):
        (event,) = write_events(1)
        event.action = "changed"
        with pytest.raises(TypeError):
            event.save()
        with pytest.raises(TypeError):
            event.delete()
        with pytest.raises(TypeError):
            AuditEvent.objects.filter(seq=event.seq).update(sealed_reason="changed")
        with pytest.raises(TypeError):
            AuditEvent.objects.all().delete()

    def test_the_database_refuses_update(self):
        write_events(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("UPDATE audit_auditevent SET sealed_reason = 'changed'")

    def test_the_database_refuses_delete(self):
        write_events(1)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("DELETE FROM audit_auditevent")

    def test_the_database_refuses_truncate(self):
        write_events(1)
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # else PostgreSQL refuses for pending foreign-key checks first
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("TRUNCATE audit_auditevent")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw("TRUNCATE accounts_user CASCADE")  # reaches the audit table through its foreign key
        assert AuditEvent.objects.count() == 1

    def test_a_row_changed_behind_the_triggers_back_is_found(self):
        write_events(4)
        tamper("UPDATE audit_auditevent SET sealed_reason = 'nothing to see' WHERE seq = 3")
        with pytest.raises(CommandError, match="event 3 was changed"):
            verify_output()

    def test_a_removed_row_is_found(self):
        write_events(4)
        tamper("DELETE FROM audit_auditevent WHERE seq = 2")
        with pytest.raises(CommandError, match="event 2 is missing"):
            verify_output()

    def test_a_row_inserted_with_a_recomputed_chain_but_without_the_key_is_found(self, settings):
        write_events(2)
        real_key = settings.AUDIT_KEY
        settings.AUDIT_KEY = "an attacker's guess"
        log_event(action="accounts.user.role_changed", object_ref="mallory", reason="caseworker -> admin")
        settings.AUDIT_KEY = real_key
        report = verify_chain()
        assert not report.ok
        assert report.bad_seq == 3
        assert report.count == 2

    def test_events_reordered_are_found(self):
        write_events(3)
        tamper(
            "UPDATE audit_auditevent SET seq = 99 WHERE seq = 2",
            "UPDATE audit_auditevent SET seq = 2 WHERE seq = 3",
            "UPDATE audit_auditevent SET seq = 3 WHERE seq = 99",
        )
        assert verify_chain().bad_seq == 2

    def test_an_event_rolled_back_with_its_action_leaves_no_trace(self):
        with pytest.raises(RuntimeError), transaction.atomic():
            log_event(action="tests.thing.done")
            raise RuntimeError("the action failed")
        assert not AuditEvent.objects.exists()
        assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    errors: list[Exception] = []

    def writer() -> None:
        try:
            for _n in range(15):
                log_event(action="tests.thing.done")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = verify_chain()
    assert report.ok and report.count == 60


@pytest.mark.django_db
def test_a_least_privilege_role_can_append_but_never_change_or_unhook_the_trail():
    """The deployment README recommends: the application's role may INSERT and SELECT audit events, no more."""
    table = AuditEvent._meta.db_table
    raw("DROP ROLE IF EXISTS haven_app_check")
    raw("CREATE ROLE haven_app_check")
    raw(f"GRANT SELECT, INSERT ON {table} TO haven_app_check")
    raw("GRANT SELECT ON accounts_user TO haven_app_check")
    with transaction.atomic():
        raw("SET LOCAL ROLE haven_app_check")
        event = log_event(action="tests.thing.done", object_ref="HV-ROLE-0001")
        for statement in (
            f"UPDATE {table} SET sealed_reason = 'x'",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
            f"ALTER TABLE {table} DISABLE TRIGGER audit_event_append_only",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                raw(statement)
        raw("RESET ROLE")
    assert AuditEvent.objects.get(seq=event.seq).object_ref == "HV-ROLE-0001"
    raw(f"REVOKE ALL ON {table} FROM haven_app_check")
    raw("REVOKE ALL ON accounts_user FROM haven_app_check")
    raw("DROP ROLE haven_app_check")


def historical_apps():  # type: ignore[no-untyped-def]
    """The models as the sealing migration sees them (plain managers, no append-only guards)."""
    return MigrationLoader(connection).project_state(("audit", "0004_seal_reasons")).apps


@pytest.mark.django_db
class TestSealedReasons:
    def test_a_reason_is_stored_sealed_and_read_in_the_clear(self):
        event = log_event(action="tests.thing.done", reason="Daw Sentinel Reason")
        stored = AuditEvent.objects.get(seq=event.seq)
        assert "Sentinel" not in stored.sealed_reason and stored.sealed_reason.startswith("hv1:")
        assert stored.reason == "Daw Sentinel Reason"
        assert log_event(action="tests.thing.done").sealed_reason == ""  # nothing typed, nothing sealed

    def test_a_reason_moved_to_another_event_does_not_open_and_breaks_the_chain(self):
        first, _second = write_events(2)
        tamper(f"UPDATE audit_auditevent SET sealed_reason = '{first.sealed_reason}' WHERE seq = 2")
        assert "damaged" in AuditEvent.objects.get(seq=2).reason
        assert verify_chain().bad_seq == 2

    def test_the_migration_seals_old_plaintext_reasons_and_records_the_old_head(self):
        """Events written before reasons were sealed (hash over the plaintext) are sealed and re-chained."""
        migration = importlib.import_module("audit.migrations.0004_seal_reasons")
        prev = GENESIS_HASH
        for seq, reason in enumerate(["old plaintext reason", ""], start=1):
            old = AuditEvent(seq=seq, at=timezone.now(), action="tests.old", sealed_reason=reason, prev_hash=prev)
            old.hash = compute_hash(prev, old)
            old.save(force_insert=True)
            prev = old.hash
        migration.seal_existing(historical_apps(), connection.schema_editor())
        assert "old plaintext" not in AuditEvent.objects.get(seq=1).sealed_reason
        assert AuditEvent.objects.get(seq=1).reason == "old plaintext reason"
        resealed = AuditEvent.objects.get(seq=3)
        assert (resealed.action, resealed.object_ref) == ("audit.chain.resealed", f"2:{prev}")
        assert verify_chain().ok

    def test_the_migration_refuses_to_launder_a_changed_trail(self):
        migration = importlib.import_module("audit.migrations.0004_seal_reasons")
        old = AuditEvent(seq=1, at=timezone.now(), action="tests.old", sealed_reason="x", prev_hash=GENESIS_HASH)
        old.hash = compute_hash(GENESIS_HASH, old)
        old.save(force_insert=True)
        tamper("UPDATE audit_auditevent SET sealed_reason = 'changed' WHERE seq = 1")
        with pytest.raises(RuntimeError, match="event 1 was changed"):
            migration.seal_existing(historical_apps(), connection.schema_editor())
        assert AuditEvent.objects.get(seq=1).sealed_reason == "changed"
