#!/usr/bin/env bash
# Restore a Haven PostgreSQL backup with the standard tools only (age, zstd, pg_restore, psql,
# createdb, dropdb): no Haven code. README, "Backups", "By hand".
#
#   bin/restore-by-hand.sh [--replace] IDENTITY_FILE BACKUP.dump.zst.age DATABASE
#
# The server, port and role come from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD).
# It cannot leave a half-restored database under DATABASE:
#   1. the backup is decrypted and decompressed in a stream into a new scratch database
#      (DATABASE_restoring), by pg_restore in ONE transaction that stops at the first error:
#      a damaged or truncated file restores nothing;
#   2. the scratch database is checked (tables, indexes, the audit trail's append-only
#      triggers, every case's data key, some rows);
#   3. only then is it renamed to DATABASE. If DATABASE exists, nothing happens without
#      --replace; with it, the old one is kept, renamed DATABASE_replaced_<UTC time>.
# On any failure the scratch database is dropped and DATABASE is left as it was.
# Shreds made after the backup are not re-applied: run `manage.py restore` for that.
set -euo pipefail

replace=no
if [ "${1:-}" = "--replace" ]; then
    replace=yes
    shift
fi
if [ "$#" -ne 3 ]; then
    echo "usage: $0 [--replace] IDENTITY_FILE BACKUP.dump.zst.age DATABASE" >&2
    exit 2
fi
identity=$1 dump=$2 target=$3
scratch="${target}_restoring"
for tool in age zstd pg_restore psql createdb dropdb; do
    command -v "$tool" >/dev/null || { echo "restore: $tool is not installed" >&2; exit 2; }
done
[ -r "$identity" ] || { echo "restore: cannot read the identity file $identity" >&2; exit 2; }
[ -r "$dump" ] || { echo "restore: cannot read the backup file $dump" >&2; exit 2; }

sql() {  # sql DATABASE: run stdin in psql, stop at the first error, print unaligned rows
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1"
}
exists() {
    [ "$(sql postgres <<<"SELECT count(*) FROM pg_database WHERE datname = '$1'")" = 1 ]
}
fail() {
    echo "restore: $*" >&2
    exit 1
}

case "$target" in
    *[!A-Za-z0-9_]* | "") fail "use a database name of letters, digits and _ only" ;;
esac
if exists "$target" && [ "$replace" = no ]; then
    fail "database $target exists: restore under a new name, or add --replace (the old one is kept, renamed)"
fi
exists "$scratch" && fail "database $scratch exists (an earlier restore?): drop it first (dropdb $scratch)"

done_ok=no
cleanup() {
    if [ "$done_ok" = no ]; then
        dropdb --if-exists --force "$scratch" 2>/dev/null || true
        echo "restore: FAILED; the scratch database $scratch is dropped; $target is as it was" >&2
    fi
}
trap cleanup EXIT

echo "Restoring $(basename "$dump") into the scratch database $scratch..."
createdb -T template0 "$scratch"
age -d -i "$identity" "$dump" | zstd -d -q | pg_restore --no-owner --no-privileges \
    --single-transaction --exit-on-error -d "$scratch" \
    || fail "the restore stopped (see the lines above: age, zstd or pg_restore); nothing was restored"

echo "Checking $scratch..."
checks=$(sql "$scratch" <<'SQL'
SELECT 'tables ' || count(*) FROM pg_tables WHERE schemaname = 'public';
SELECT 'indexes ' || count(*) FROM pg_indexes WHERE schemaname = 'public';
SELECT 'audit_triggers ' || count(*) FROM pg_trigger
    WHERE tgrelid = 'public.audit_auditevent'::regclass
    AND tgname IN ('audit_event_append_only', 'audit_event_no_truncate');
SELECT 'migrations ' || count(*) FROM django_migrations;
SELECT 'audit_events ' || count(*) FROM audit_auditevent;
SELECT 'cases ' || count(*) FROM defectors_case;
SELECT 'data_keys ' || count(*) FROM vault_datakey;
SELECT 'cases_without_key ' || count(*) FROM defectors_case c
    LEFT JOIN vault_datakey k ON k.id = c.data_key_id WHERE k.id IS NULL;
SQL
) || fail "the checks could not run on $scratch: it is not a whole Haven database"
echo "$checks" | sed 's/^/  /'
value() { echo "$checks" | awk -v k="$1" '$1 == k { print $2 }'; }
[ "$(value tables)" -gt 0 ] || fail "no tables were restored"
[ "$(value indexes)" -gt 0 ] || fail "no indexes were restored"
[ "$(value audit_triggers)" = 2 ] || fail "the audit trail's append-only triggers are missing"
[ "$(value migrations)" -gt 0 ] || fail "no migrations are recorded"
[ "$(value cases_without_key)" = 0 ] || fail "some cases have no data key"
if [ "$(value cases)" -gt 0 ] && [ "$(value data_keys)" = 0 ]; then
    fail "there are cases but no data keys"
fi

if exists "$target"; then
    old="${target}_replaced_$(date -u +%Y%m%dT%H%M%SZ)"
    echo "Renaming the existing $target to $old (kept)..."
    sql postgres <<<"ALTER DATABASE \"$target\" RENAME TO \"$old\"" \
        || fail "cannot rename $target (is something connected to it? stop Haven first)"
fi
if ! sql postgres <<<"ALTER DATABASE \"$scratch\" RENAME TO \"$target\""; then
    [ -n "${old:-}" ] && sql postgres <<<"ALTER DATABASE \"$old\" RENAME TO \"$target\""
    fail "cannot rename $scratch to $target"
fi
done_ok=yes
echo "Restored into $target. Decrypt the keyring next: age -d -i IDENTITY ….keyring.json.age > keyring.json"
