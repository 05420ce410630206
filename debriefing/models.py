"""Debriefing: versioned interview templates, sessions, encrypted answers, review, items, incidents.

Template structure is plaintext (DESIGN.md, Data classification); everything a
defector said (answers, review comments, addenda, item and incident text) is
encrypted with the case's data key.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from defectors.models import Case
from vault.fields import (
    EncryptedDateField,
    EncryptedIntegerField,
    EncryptedJSONField,
    EncryptedLongTextField,
    EncryptedTextField,
    VaultManager,
    VaultModel,
    VaultQuerySet,
)


class DebriefTemplate(models.Model):
    """One version of an interview template. ``structure`` is debriefing.structure's document.

    draft (editable) -> published (immutable) -> retired; services enforce it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    structure = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="debriefing_one_template_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def sections(self) -> list[dict[str, Any]]:
        return list(self.structure.get("sections", []))


class SessionQuerySet(VaultQuerySet):
    def visible_to(self, user) -> SessionQuerySet:  # type: ignore[no-untyped-def]
        """Supervisors review every session; a debriefer sees the sessions assigned to them; nobody else any."""
        role = getattr(user, "role", None)
        if role == Role.SUPERVISOR:
            return self
        if role == Role.DEBRIEFER:
            return self.filter(debriefer=user)
        return self.none()


SessionManager = VaultManager.from_queryset(SessionQuerySet)


class DebriefSession(VaultModel):
    VAULT_KEY = "case__data_key"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned with comments")
        APPROVED = "approved", _("Approved")

    EDITABLE = frozenset({Status.SCHEDULED, Status.IN_PROGRESS, Status.RETURNED})

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    # Pinned: a newer version of the template never changes this session or how it displays.
    template = models.ForeignKey(DebriefTemplate, on_delete=models.PROTECT, related_name="sessions")
    debriefer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debriefs")
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Progress, plaintext counts only (the overview needs no decryption): answers to, and number
    # of, the questions that apply (structure.progress), kept by save_section and submit_session.
    answered = models.PositiveIntegerField(default=0)
    questions = models.PositiveIntegerField(default=0)

    objects = SessionManager()  # type: ignore[misc]

    class Meta:
        ordering = ["-scheduled_for", "-created_at"]

    def __str__(self) -> str:
        return f"debrief {self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("debriefing:session", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def progress_percent(self) -> int:
        return round(100 * self.answered / self.questions) if self.questions else 0


class SectionAnswers(VaultModel):
    """One section's answers ({question key: value}; a repeat group is a list of such dicts).

    ``version`` rises with each save: a save based on an older version (a stale
    tab) is refused. ``save_token`` is the last save applied, so a retried
    request whose answer was lost is recognised instead of refused.
    """

    VAULT_KEY = "session__case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(DebriefSession, on_delete=models.CASCADE, related_name="sections")
    section = models.CharField(max_length=64)
    answers = EncryptedJSONField(blank=True)
    version = models.PositiveIntegerField(default=0)
    save_token = models.UUIDField(null=True, blank=True)
    answered = models.PositiveIntegerField(default=0)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "section"], name="debriefing_one_row_per_section")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.section}"


class Review(VaultModel):
    """A supervisor's decision on a submitted session, with an encrypted comment."""

    VAULT_KEY = "session__case__data_key"

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approved")
        RETURN = "return", _("Returned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(DebriefSession, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = EncryptedLongTextField(_("comments"), max_length=10_000, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.decision}"


class Addendum(VaultModel):
    """A correction to an approved session's answer: shown beside the original, never replacing it."""

    VAULT_KEY = "session__case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(DebriefSession, on_delete=models.CASCADE, related_name="addenda")
    question = models.CharField(max_length=64)
    text = EncryptedLongTextField(_("correction"), max_length=10_000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.session_id} addendum {self.question}"


class Reliability(models.TextChoices):
    """Admiralty (NATO) source reliability, with the standard meanings."""

    A = "A", _("A: completely reliable")
    B = "B", _("B: usually reliable")
    C = "C", _("C: fairly reliable")
    D = "D", _("D: not usually reliable")
    E = "E", _("E: unreliable")
    F = "F", _("F: reliability cannot be judged")


class Credibility(models.TextChoices):
    """Admiralty (NATO) information credibility, with the standard meanings."""

    CONFIRMED = "1", _("1: confirmed by other sources")
    PROBABLE = "2", _("2: probably true")
    POSSIBLE = "3", _("3: possibly true")
    DOUBTFUL = "4", _("4: doubtful")
    IMPROBABLE = "5", _("5: improbable")
    UNKNOWN = "6", _("6: truth cannot be judged")


class IntelligenceItem(VaultModel):
    VAULT_KEY = "session__case__data_key"

    class Category(models.TextChoices):
        UNIT = "unit", _("Unit")
        LOCATION = "location", _("Location")
        OPERATION = "operation", _("Operation")
        AIRSTRIKE = "airstrike", _("Airstrike")
        WEAPONS = "weapons", _("Weapons")
        CHAIN_OF_COMMAND = "chain_of_command", _("Chain of command")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(DebriefSession, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    summary = EncryptedLongTextField(_("summary"), max_length=5_000)
    urgent = models.BooleanField(_("time-sensitive"), default=False, help_text=_("Notifies the supervisors at once."))
    reliability = models.CharField(_("source reliability"), max_length=1, choices=Reliability.choices)
    credibility = models.CharField(_("information credibility"), max_length=1, choices=Credibility.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: the same form sent twice records one item.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The in-app notification of an urgent item: open until a supervisor marks it seen.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.session_id} item {self.category}"


class Violation(models.TextChoices):
    KILLING = "killing", _("Killing")
    TORTURE = "torture", _("Torture")
    ARBITRARY_DETENTION = "arbitrary_detention", _("Arbitrary detention")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence")
    FORCED_DISPLACEMENT = "forced_displacement", _("Forced displacement")
    PROPERTY_DESTRUCTION = "property_destruction", _("Destruction of property")
    CHILD_SOLDIERS = "child_soldiers", _("Use of child soldiers")
    ATTACK_ON_CIVILIANS = "attack_on_civilians", _("Attack on civilians")
    OTHER = "other", _("Other")


class Incident(VaultModel):
    """A human-rights incident witnessed.

    Whether it may be used as testimony is the case's consent (``Consent.Kind.TESTIMONY``
    in force when it is exported or counted), never a field of the incident.
    """

    VAULT_KEY = "session__case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(DebriefSession, on_delete=models.CASCADE, related_name="incidents")
    violation = models.CharField(_("violation"), max_length=24, choices=Violation.choices)
    date_from = EncryptedDateField(_("date (or first day)"))
    date_to = EncryptedDateField(_("last day"), blank=True)
    region = EncryptedTextField(_("state or region"), max_length=20)
    township = EncryptedTextField(_("township"), max_length=100, blank=True)
    perpetrator_unit = EncryptedTextField(_("perpetrator unit"), max_length=200, blank=True)
    victims = EncryptedIntegerField(_("number of victims"), blank=True)
    summary = EncryptedLongTextField(_("what happened"), max_length=10_000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)  # as IntelligenceItem's

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.session_id} incident {self.violation}"
