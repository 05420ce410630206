"""System checks: a model with encrypted fields that could lose or misplace data fails at start-up."""

from __future__ import annotations

import uuid

from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

from tests.vaultapp.models import Person
from vault.checks import check_model, check_vault_models
from vault.fields import EncryptedTextField, OwnerKeyField, VaultModel
from vault.models import DataKey


class Throwaway(VaultModel):
    """A base for the models defined inside each test, in an isolated app registry."""

    class Meta:
        abstract = True
        app_label = "vaultapp"


def ids(model: type[models.Model]) -> list[str]:
    return [message.id for message in check_model(model)]


def test_the_check_is_registered_and_the_project_passes_it():
    assert check_vault_models in checks.registry.registry.get_checks()
    assert [message for message in checks.run_checks() if message.id.startswith("vault.")] == []


@isolate_apps("tests.vaultapp")
def test_a_model_with_a_well_formed_owner_passes():
    class Owner(Throwaway):
        VAULT_KEY = "data_key"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        data_key = OwnerKeyField(to=DataKey)
        name = EncryptedTextField(max_length=20)

    class Child(Throwaway):
        VAULT_KEY = "owner__data_key"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        owner = models.ForeignKey(Owner, on_delete=models.CASCADE)
        note = EncryptedTextField(max_length=20)

    class OnPerson(Throwaway):
        VAULT_KEY = "person__data_key"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
        note = EncryptedTextField(max_length=20)

    class Organisational(Throwaway):
        VAULT_KEY = "organisation"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        name = EncryptedTextField(max_length=20)

    for model in (Owner, Child, OnPerson, Organisational):
        assert ids(model) == [], model


@isolate_apps("tests.vaultapp")
def test_an_integer_primary_key_is_an_error_with_a_hint():
    class Counted(Throwaway):
        VAULT_KEY = "organisation"
        name = EncryptedTextField(max_length=20)

    (message,) = check_model(Counted)
    assert message.id == "vault.E001" and message.level == checks.ERROR
    assert "uuid.uuid4" in (message.hint or "")


@isolate_apps("tests.vaultapp")
def test_a_uuid_primary_key_without_a_python_default_is_an_error():
    class DatabaseMade(Throwaway):
        VAULT_KEY = "organisation"
        id = models.UUIDField(primary_key=True)
        name = EncryptedTextField(max_length=20)

    class ConstantDefault(Throwaway):
        VAULT_KEY = "organisation"
        id = models.UUIDField(primary_key=True, default=uuid.UUID(int=1))
        name = EncryptedTextField(max_length=20)

    assert ids(DatabaseMade) == ["vault.E001"]
    assert ids(ConstantDefault) == ["vault.E001"]


@isolate_apps("tests.vaultapp")
def test_an_owner_key_left_to_the_base_class_default_is_an_error():
    class Forgetful(Throwaway):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        data_key = OwnerKeyField(to=DataKey)
        name = EncryptedTextField(max_length=20)

    (message,) = check_model(Forgetful)
    assert message.id == "vault.E002" and "VAULT_KEY" in (message.hint or "")


@isolate_apps("tests.vaultapp")
def test_an_owner_key_path_that_does_not_lead_to_a_data_key_is_an_error():
    class Missing(Throwaway):
        VAULT_KEY = "data_key"  # no such field
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        name = EncryptedTextField(max_length=20)

    class Misspelt(Throwaway):
        VAULT_KEY = "person__datakey"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
        name = EncryptedTextField(max_length=20)

    class NotAKey(Throwaway):
        VAULT_KEY = "person__code"  # a plain column, not a data key
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
        name = EncryptedTextField(max_length=20)

    class ThroughPlain(Throwaway):
        VAULT_KEY = "code__data_key"  # hops through a column that is not a relation
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        code = models.CharField(max_length=10)
        name = EncryptedTextField(max_length=20)

    for model in (Missing, Misspelt, NotAKey, ThroughPlain):
        assert ids(model) == ["vault.E003"], model


@isolate_apps("tests.vaultapp")
def test_models_without_encrypted_fields_are_left_alone():
    class Plain(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)

        class Meta:
            app_label = "vaultapp"

    assert ids(Plain) == []
