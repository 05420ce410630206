"""allauth's TOTP secrets and recovery-code seeds are sealed with the organisation key."""

from __future__ import annotations

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import decrypt
from django.apps import apps

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
migration = importlib.import_module("accounts.migrations.0003_seal_mfa_secrets")


def test_new_secrets_are_stored_sealed():
    user = UserFactory()
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert totp.data["secret"].startswith("hv1:")
    assert len(decrypt(totp.data["secret"])) == 32
    codes = RecoveryCodes.activate(user)
    assert codes.instance.data["seed"].startswith("hv1:")


def test_secrets_written_before_encryption_are_sealed_by_the_migration():
    user = UserFactory(totp=False)
    legacy = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    migration.seal(apps, None)
    legacy.refresh_from_db()
    assert legacy.data["secret"].startswith("hv1:")
    assert decrypt(legacy.data["secret"]) == "JBSWY3DPEHPK3PXP"
    migration.seal(apps, None)  # running again changes nothing
    legacy.refresh_from_db()
    assert decrypt(legacy.data["secret"]) == "JBSWY3DPEHPK3PXP"


def test_the_migration_can_be_reversed():
    user = UserFactory(totp=False)
    row = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    migration.seal(apps, None)
    migration.unseal(apps, None)
    row.refresh_from_db()
    assert row.data["secret"] == "JBSWY3DPEHPK3PXP"


def test_a_tampered_secret_does_not_open():
    user = UserFactory()
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    sealed = totp.data["secret"]
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    from vault.crypto import Damaged

    with pytest.raises(Damaged):
        decrypt(tampered)
