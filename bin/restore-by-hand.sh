#!/usr/bin/env bash
# Restore a Haven PostgreSQL backup with the standard tools only (age, zstd, pg_restore, psql,
# createdb, dropdb, openssl, sha256sum, python3's standard library): no Haven code. README,
# "Backups", "By hand".
#
#   bin/restore-by-hand.sh [--replace] --public-key BASE64 IDENTITY_FILE NAME.dump.zst.age DATABASE
#
# BASE64 is the installation's manifest signing key (public, Ed25519) that the trustees keep
# (`manage.py keyring_status` prints it); HAVEN_SIGNING_PUBLIC_KEY may hold it instead.
# The server, port and role come from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD).
# Run it as a role with CREATEDB that is not a superuser (and owns DATABASE, for --replace)
# where you can: a restore runs the dump's SQL with that role's rights.
#
# It restores only a backup that the installation signed, and never a half-restored database:
#   0. before anything is decrypted or created, the manifest beside the file
#      (NAME.manifest.json) must carry a valid Ed25519 signature by BASE64, and the file's
#      SHA-256 must be the one it names. Anyone can encrypt a file to the trustees' public
#      age key; only the installation can sign a manifest, and a forged dump would run its
#      SQL (functions, constraints) in pg_restore with this role's rights;
#   1. the backup is decrypted and decompressed in a stream into a new scratch database
#      (DATABASE_restoring), by pg_restore in ONE transaction that stops at the first error:
#      a damaged or truncated file restores nothing;
#   2. the scratch database is checked (tables, indexes, the audit trail's append-only
#      triggers, every case's data key, some rows);
#   3. only then is it renamed to DATABASE. If DATABASE exists, nothing happens without
#      --replace; with it, the old one is kept, renamed DATABASE_replaced_<UTC time>.
# On any failure or interrupt it puts things back and says where each database is: the scratch
# database is dropped and DATABASE is left as it was (renamed back if it had been moved).
# Shreds made after the backup are not re-applied: run `manage.py restore` for that.
set -euo pipefail

usage="usage: $0 [--replace] --public-key BASE64 IDENTITY_FILE NAME.dump.zst.age DATABASE"
replace=no public_key=${HAVEN_SIGNING_PUBLIC_KEY:-}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --replace) replace=yes; shift ;;
        --public-key) [ "$#" -ge 2 ] || { echo "$usage" >&2; exit 2; }; public_key=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "$usage" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ "$#" -ne 3 ]; then
    echo "$usage" >&2
    exit 2
fi
if [ -z "$public_key" ]; then
    echo "restore: give the installation's signing public key (--public-key BASE64, or" \
        "HAVEN_SIGNING_PUBLIC_KEY): the trustees keep it; without it a forged backup cannot be told apart" >&2
    exit 2
fi
identity=$1 dump=$2 target=$3
scratch="${target}_restoring"
for tool in age zstd pg_restore psql createdb dropdb openssl sha256sum python3; do
    command -v "$tool" >/dev/null || { echo "restore: $tool is not installed" >&2; exit 2; }
done
[ -r "$identity" ] || { echo "restore: cannot read the identity file $identity" >&2; exit 2; }
[ -r "$dump" ] || { echo "restore: cannot read the backup file $dump" >&2; exit 2; }
case "$dump" in
    *.dump.zst.age) manifest="${dump%.dump.zst.age}.manifest.json" ;;
    *) echo "restore: the backup file's name must end in .dump.zst.age (its manifest is NAME.manifest.json)" >&2; exit 2 ;;
esac
[ -r "$manifest" ] || { echo "restore: cannot read the backup's manifest $manifest" >&2; exit 2; }

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

# PostgreSQL cuts names to 63 bytes: every name made from DATABASE must fit whole, or
# DATABASE_restoring could be DATABASE itself. 37 = 63 - length("_replaced_20250101T000000Z").
case "$target" in
    *[!A-Za-z0-9_]* | "") fail "use a database name of letters, digits and _ only" ;;
esac
[ "${#target}" -le 37 ] || fail "use a database name of at most 37 characters (PostgreSQL cuts longer names)"
if exists "$target" && [ "$replace" = no ]; then
    fail "database $target exists: restore under a new name, or add --replace (the old one is kept, renamed)"
fi
exists "$scratch" && fail "database $scratch exists (an earlier restore?): drop it first (dropdb $scratch)"

# What happened so far, for cleanup: nothing / the scratch database exists / done.
stage=nothing old=""
had_target=no
exists "$target" && had_target=yes
work=$(mktemp -d)  # mode 0700: the checked manifest's parts
cleanup() {
    rm -rf -- "$work"
    case "$stage" in
        done) return ;;
        nothing) echo "restore: FAILED; nothing was created or changed; $target is as it was" >&2; return ;;
    esac
    if ! sql postgres <<<"SELECT 1" >/dev/null 2>&1; then
        echo "restore: FAILED, and the server cannot be reached to clean up: look for $scratch${old:+ and $old}" \
            "and check $target yourself" >&2
        return
    fi
    # Look at the server rather than trust this script's variables: an interrupt can come
    # between a rename and the line after it.
    if ! exists "$scratch" && exists "$target" && { [ -n "$old" ] && exists "$old" || [ "$had_target" = no ]; }; then
        echo "restore: interrupted after the last step: $target holds the restored, checked backup" \
            "${old:+(the old database is kept as $old)}" >&2
    elif [ -n "$old" ] && exists "$old"; then  # the existing database was moved aside: put it back
        if ! exists "$target" && sql postgres <<<"ALTER DATABASE \"$old\" RENAME TO \"$target\"" 2>/dev/null; then
            dropdb --if-exists --force "$scratch" 2>/dev/null || true
            echo "restore: FAILED; $old is renamed back to $target, which is as it was;" \
                "the scratch database $scratch is dropped" >&2
        else
            echo "restore: FAILED midway, and nothing was dropped: the old $target is now $old, the checked" \
                "restore is $scratch; rename them by hand (psql: ALTER DATABASE ... RENAME TO ...)" >&2
        fi
    else
        dropdb --if-exists --force "$scratch" 2>/dev/null || true
        echo "restore: FAILED; the scratch database $scratch is dropped; $target is as it was" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP  # so that an interrupt runs cleanup too

echo "Verifying $(basename "$manifest")..."
# The exact bytes that were signed: the body as canonical JSON (sorted keys, no spaces, ASCII).
# The manifest is read once, here; the parts checked below are those bytes.
python3 -I - "$manifest" "$public_key" "$work" <<'PY' || fail "the manifest is refused; nothing was decrypted or created"
import base64, binascii, json, sys
path, given, work = sys.argv[1:]
def refuse(why):
    sys.exit(f"restore: {why}")
try:
    key = base64.b64decode(given, validate=True)
except binascii.Error:
    key = b""
if len(key) != 32:
    refuse("the public key given is not a base64 Ed25519 key (32 bytes)")
try:
    with open(path, "rb") as file:
        manifest = json.loads(file.read())
    body = manifest["body"]
    signature = base64.b64decode(manifest["signature"], validate=True)
    named = base64.b64decode(manifest["signing_public_key"], validate=True)
    sha256 = body["files"]["database"]["sha256"]
except (OSError, ValueError, KeyError, TypeError):
    refuse(f"{path} is not a signed Haven backup manifest")
if manifest.get("format") != "haven-backup-1" or not isinstance(sha256, str) or len(sha256) != 64:
    refuse(f"{path} is not a signed Haven backup manifest")
if named != key:
    refuse(f"{path} names another signing key than the one given: it was not signed by this installation")
canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
der = bytes.fromhex("302a300506032b6570032100") + key  # SubjectPublicKeyInfo, Ed25519
with open(f"{work}/body", "wb") as file:
    file.write(canonical)
with open(f"{work}/signature", "wb") as file:
    file.write(signature)
with open(f"{work}/key.pem", "w") as file:
    file.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der).decode() + "\n-----END PUBLIC KEY-----\n")
with open(f"{work}/sha256", "w") as file:
    file.write(sha256.lower() + "\n")
PY
openssl pkeyutl -verify -pubin -inkey "$work/key.pem" -rawin -in "$work/body" -sigfile "$work/signature" \
    >/dev/null 2>&1 \
    || fail "the manifest's signature does not match the key given (changed, forged, or signed by another key); nothing was decrypted or created"

echo "Checking the SHA-256 of $(basename "$dump")..."
# Open the file once and keep it open: the check and the decryption below read the same file
# even if someone swaps the name in between (on Linux, /dev/fd/3 reopens that file from its
# start, not the name).
# Writing into that very file in between is not caught: keep the backup directory writable by
# you only while you restore.
exec 3<"$dump"
[ "$(sha256sum <&3 | cut -d' ' -f1)" = "$(cat "$work/sha256")" ] \
    || fail "$(basename "$dump") is not the file the manifest signed (its SHA-256 differs: changed, truncated or substituted); nothing was decrypted or created"

echo "Restoring $(basename "$dump") into the scratch database $scratch..."
stage=scratch
createdb -T template0 "$scratch"
age -d -i "$identity" /dev/fd/3 | zstd -d -q | pg_restore --no-owner --no-privileges \
    --single-transaction --exit-on-error -d "$scratch" \
    || fail "the restore stopped (see the lines above: age, zstd or pg_restore); nothing was restored"
exec 3<&-

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
    exists "$old" && fail "database $old exists: try again in a second"
    echo "Renaming the existing $target to $old (kept)..."
    sql postgres <<<"ALTER DATABASE \"$target\" RENAME TO \"$old\"" \
        || fail "cannot rename $target (is something connected to it? stop Haven first)"
fi
sql postgres <<<"ALTER DATABASE \"$scratch\" RENAME TO \"$target\"" \
    || fail "cannot rename $scratch to $target (is something connected to it?)"
stage=done
keyring="${dump%.dump.zst.age}.keyring.json.age"
echo "Restored into $target. Decrypt the keyring next, readable by you only:"
echo "  (umask 077; age -d -i $(printf %q "$identity") -o keyring.json $(printf %q "$keyring"))"
