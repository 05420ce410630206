"""Models for the vault's tests and benchmarks, shaped like the case data to come."""

import uuid

from django.db import models

from vault.fields import (
    BlindIndexField,
    EncryptedBooleanField,
    EncryptedDateField,
    EncryptedIntegerField,
    EncryptedJSONField,
    EncryptedLongTextField,
    EncryptedTextField,
    OwnerKeyField,
    VaultModel,
)


class Person(VaultModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = OwnerKeyField()
    code = models.CharField(max_length=20, blank=True)
    full_name = EncryptedTextField(max_length=200)
    service_number = EncryptedTextField(max_length=40, blank=True, blind_index=True)
    date_of_birth = EncryptedDateField(blank=True)
    narrative = EncryptedLongTextField(blank=True)
    years_of_service = EncryptedIntegerField(blank=True)
    aliases = EncryptedJSONField(blank=True)
    was_armed = EncryptedBooleanField(blank=True)
    name_dob_index = BlindIndexField(sources=("full_name", "date_of_birth"))


class Relative(VaultModel):
    VAULT_KEY = "person__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relatives")
    name = EncryptedTextField(max_length=200)


class Shelter(VaultModel):
    VAULT_KEY = "organisation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = EncryptedTextField(max_length=200)
    address = EncryptedLongTextField(blank=True)


class SealedRecord(VaultModel):
    """Ten encrypted fields: the benchmark's subject."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = OwnerKeyField()
    f1 = EncryptedTextField(max_length=200)
    f2 = EncryptedTextField(max_length=200)
    f3 = EncryptedTextField(max_length=200)
    f4 = EncryptedTextField(max_length=200)
    f5 = EncryptedTextField(max_length=200)
    f6 = EncryptedTextField(max_length=200)
    f7 = EncryptedTextField(max_length=200)
    f8 = EncryptedTextField(max_length=200)
    f9 = EncryptedTextField(max_length=200)
    f10 = EncryptedTextField(max_length=200)


class PlainRecord(models.Model):
    """SealedRecord's plaintext twin: the benchmark's baseline."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    f1 = models.CharField(max_length=200)
    f2 = models.CharField(max_length=200)
    f3 = models.CharField(max_length=200)
    f4 = models.CharField(max_length=200)
    f5 = models.CharField(max_length=200)
    f6 = models.CharField(max_length=200)
    f7 = models.CharField(max_length=200)
    f8 = models.CharField(max_length=200)
    f9 = models.CharField(max_length=200)
    f10 = models.CharField(max_length=200)

    def __str__(self) -> str:
        return str(self.id)
