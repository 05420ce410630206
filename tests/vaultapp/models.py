"""Models for the vault's tests and benchmarks, shaped like the case data to come."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import models

from defectors.models import Case, Level, Region
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
    VAULT_KEY = "data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = OwnerKeyField()
    code = models.CharField(max_length=20, blank=True)
    full_name = EncryptedTextField(max_length=200)
    service_number = EncryptedTextField(max_length=40, blank=True, blind_index="identifier")
    date_of_birth = EncryptedDateField(blank=True)
    narrative = EncryptedLongTextField(blank=True)
    years_of_service = EncryptedIntegerField(blank=True)
    aliases = EncryptedJSONField(blank=True)
    was_armed = EncryptedBooleanField(blank=True)
    name_dob_index = BlindIndexField(sources=("full_name", "date_of_birth"), canonical=("name", "date"))


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

    VAULT_KEY = "data_key"

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


class PlainCaseQuerySet(models.QuerySet["PlainCase"]):
    def matching(self, **values: Any) -> list[PlainCase]:
        """VaultQuerySet.matching's twin: plain equality on ordinary indexed columns."""
        return list(self.filter(**values))

    def named(self, *names: str, born: datetime.date) -> list[PlainCase]:
        """CaseQuerySet.named's twin: plain equality on the full name (the twin indexes no aliases)."""
        return list(self.filter(full_name__in=names, date_of_birth=born))


class PlainCase(models.Model):
    """defectors.Case's plaintext twin, for bench/cases.py: the same columns, nothing encrypted.

    The identifying fields are ordinary columns; service number, and name with
    date of birth, get ordinary indexes where Case has its blind indexes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=12, unique=True)
    status = models.CharField(max_length=10, choices=Case.Status.choices, default=Case.Status.INTAKE)
    urgency = models.CharField(max_length=10, choices=Case.Urgency.choices, default=Case.Urgency.NORMAL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    intake_submitted_at = models.DateTimeField(null=True, blank=True)
    intake_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    next_follow_up = models.DateField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)
    intake_month = models.DateField(db_index=True)
    branch = models.CharField(max_length=10, choices=Case.Branch.choices, blank=True)
    rank_band = models.CharField(max_length=10, choices=Case.RankBand.choices, blank=True)
    region_of_origin = models.CharField(max_length=15, choices=Region.choices, blank=True)
    sex = models.CharField(max_length=12, choices=Case.Sex.choices, blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    other_names = models.TextField(blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    age_estimate = models.IntegerField(null=True, blank=True)
    ethnicity = models.CharField(max_length=100, blank=True)
    religion = models.CharField(max_length=100, blank=True)
    languages = models.CharField(max_length=200, blank=True)
    rank = models.CharField(max_length=100, blank=True)
    unit = models.CharField(max_length=200, blank=True)
    service_number = models.CharField(max_length=40, blank=True, db_index=True)
    years_of_service = models.IntegerField(null=True, blank=True)
    last_posting = models.CharField(max_length=200, blank=True)
    defection_date = models.DateField(null=True, blank=True)
    defection_place = models.CharField(max_length=200, blank=True)
    circumstances = models.TextField(blank=True)
    was_armed = models.BooleanField(null=True, blank=True)
    brought_weapons = models.BooleanField(null=True, blank=True)
    brought_documents = models.BooleanField(null=True, blank=True)
    threat_to_defector = models.CharField(max_length=10, choices=Level.choices, blank=True)
    threat_to_family = models.CharField(max_length=10, choices=Level.choices, blank=True)
    risk_reasons = models.TextField(blank=True)
    safety_plan = models.TextField(blank=True)
    contact_channel = models.CharField(max_length=200, blank=True)
    current_location = models.CharField(max_length=200, blank=True)
    closing_reason = models.TextField(blank=True)

    objects = PlainCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Case's own indexes, so the comparison is of encryption, not of indexing.
        indexes = [
            models.Index(fields=["-urgency", "-created_at"], name="vaultapp_plaincase_list"),
            models.Index(fields=["assigned_to", "-urgency", "-created_at"], name="vaultapp_plaincase_assigned"),
            models.Index(fields=["status", "branch", "intake_month"], name="vaultapp_plaincase_filters"),
            models.Index(fields=["full_name", "date_of_birth"], name="vaultapp_plaincase_name_dob"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("defectors:case", args=[self.code])
