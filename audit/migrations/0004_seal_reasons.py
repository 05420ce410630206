"""Reasons are sealed with the organisation key; existing ones are sealed and the chain re-chained.

A reason is free text a person typed and may name people, so it must not be
readable in a database dump. The hash chain covers the sealed form (verifying
needs only the audit key), which means every existing event's hash changes:

1. the chain as it stands is verified first, and the migration stops if it is
   broken: sealing must never launder a trail that was changed;
2. each reason is sealed (bound to its event's seq) and the chain recomputed,
   with the append-only trigger off for this one transaction (migrations run as
   the table's owner);
3. one new event, ``audit.chain.resealed``, records the old head
   (``object_ref`` = "SEQ:HASH"), so a head written down or checkpointed before
   can still be matched to the new chain.

Reversing leaves the sealed text in place (the chain still verifies); it does
not bring plaintext back.
"""

from django.db import migrations, models

TRIGGER = "audit_event_append_only"


def _event(row: dict, reason: str, prev_hash: str):  # type: ignore[no-untyped-def]
    # The real model: the hash must be computed exactly as the running code does.
    from audit.models import AuditEvent

    fields = {k: row[k] for k in ("seq", "at", "actor_id", "actor_username", "action", "object_ref", "request_id")}
    return AuditEvent(**fields, sealed_reason=reason, prev_hash=prev_hash)


def seal_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from audit.services import GENESIS_HASH, compute_hash, log_event, seal_reason

    historical = apps.get_model("audit", "AuditEvent")
    events = historical.objects.order_by("seq")
    if not events.exists():
        return
    prev_hash, expected = GENESIS_HASH, 1
    for row in events.values().iterator(chunk_size=2000):
        if row["seq"] != expected or row["prev_hash"] != prev_hash:
            raise RuntimeError(f"audit chain broken at event {expected}: run verify_audit; nothing was sealed")
        if compute_hash(prev_hash, _event(row, row["sealed_reason"], prev_hash)) != row["hash"]:
            raise RuntimeError(f"audit event {row['seq']} was changed: run verify_audit; nothing was sealed")
        prev_hash, expected = row["hash"], expected + 1
    old_head = f"{expected - 1}:{prev_hash}"

    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # Deferred foreign-key checks still pending would make PostgreSQL refuse the ALTER.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {TRIGGER}")
    prev_hash = GENESIS_HASH
    for row in events.values().iterator(chunk_size=2000):
        sealed = seal_reason(row["sealed_reason"], seq=row["seq"])
        new_hash = compute_hash(prev_hash, _event(row, sealed, prev_hash))
        historical.objects.filter(seq=row["seq"]).update(sealed_reason=sealed, prev_hash=prev_hash, hash=new_hash)
        prev_hash = new_hash
    if postgres:
        schema_editor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {TRIGGER}")
    log_event(action="audit.chain.resealed", object_ref=old_head)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_refuse_truncate"), ("vault", "0001_initial")]
    operations = [
        migrations.RenameField("auditevent", "reason", "sealed_reason"),
        migrations.AlterField(
            model_name="auditevent",
            name="sealed_reason",
            field=models.TextField(blank=True, verbose_name="reason (sealed)"),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
