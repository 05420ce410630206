"""Seal the TOTP secrets and recovery-code seeds that allauth stored in the clear.

From here on the MFA adapter seals them as they are written (accounts.adapters).
Uses the vault's pure functions, not its models, so it stays valid as they change.
"""

import secrets

from django.db import migrations

from vault import crypto, keys

CONTEXT = b"allauth.mfa.authenticator"
FIELDS = ("secret", "seed")


def _organisation_key(DataKey):
    key = DataKey.objects.filter(purpose="organisation").first()
    if key is None:
        key = DataKey(purpose="organisation")
        plain = secrets.token_bytes(32)
        key.kek_id, key.wrapped = keys.wrap(key.id, plain)
        key.save(force_insert=True)
        return crypto.OpenKey.from_bytes(key.id, plain)
    return crypto.OpenKey.from_bytes(key.id, keys.unwrap_bytes(key.id, key.kek_id, bytes(key.wrapped)))


def seal(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    rows = [row for row in Authenticator.objects.all() if any(isinstance(row.data.get(f), str) for f in FIELDS)]
    pending = [row for row in rows if any(not str(row.data.get(f, "hv1:")).startswith("hv1:") for f in FIELDS)]
    if not pending:
        return
    key = _organisation_key(apps.get_model("vault", "DataKey"))
    for row in pending:
        for field in FIELDS:
            value = row.data.get(field)
            if isinstance(value, str) and not value.startswith("hv1:"):
                row.data[field] = crypto.seal_text(key, value, CONTEXT)
        row.save(update_fields=["data"])


def unseal(apps, schema_editor):
    Authenticator = apps.get_model("mfa", "Authenticator")
    DataKey = apps.get_model("vault", "DataKey")
    key = DataKey.objects.filter(purpose="organisation").first()
    if key is None:
        return
    open_key = crypto.OpenKey.from_bytes(key.id, keys.unwrap_bytes(key.id, key.kek_id, bytes(key.wrapped)))
    for row in Authenticator.objects.all():
        changed = False
        for field in FIELDS:
            value = row.data.get(field)
            if isinstance(value, str) and value.startswith("hv1:"):
                row.data[field] = crypto.open_text(open_key, value, CONTEXT)
                changed = True
        if changed:
            row.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_invitation_from_server"),
        ("mfa", "0003_authenticator_type_uniq"),
        ("vault", "0001_initial"),
    ]
    operations = [migrations.RunPython(seal, unseal)]
