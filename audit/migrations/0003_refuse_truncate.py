"""Refuse TRUNCATE on audit events inside PostgreSQL.

Row triggers (0002) do not fire for TRUNCATE, which emptied the table in one
statement and left ``verify_audit`` reporting an intact chain of 0 events. A
statement trigger also fires when the table is reached through
``TRUNCATE ... CASCADE``. There is no switch to allow it: the test suite's
flush (which truncates every table) runs with ``session_replication_role =
replica``, which only a superuser may set and which silences every trigger,
exactly as ``ALTER TABLE ... DISABLE TRIGGER`` would for the table's owner.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(create, drop)]
