"""Transition support: providers, shelters and placements, referrals, training, mental-health
sessions, assistance, case plans (goals and tasks) and in-app notifications.

Referral types, statuses and dates are plaintext (DESIGN.md, Data classification);
every free-text note is encrypted with the case's data key, shelter names and
addresses and provider contacts with the organisation key.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from defectors.models import Case, Consent, Region
from vault.fields import EncryptedLongTextField, EncryptedTextField, VaultManager, VaultModel, VaultQuerySet


class ServiceType(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    FOOD_CASH = "food_cash", _("Food and cash")
    TRAINING = "training", _("Job and skills training")
    MENTAL_HEALTH = "mental_health", _("Mental health and psychosocial support")
    MEDICAL = "medical", _("Medical")
    LEGAL = "legal", _("Legal")
    LIVELIHOOD = "livelihood", _("Livelihood")
    FAMILY_PROTECTION = "family_protection", _("Family protection")


class Language(models.TextChoices):
    BURMESE = "my", _("Burmese")
    ENGLISH = "en", _("English")
    THAI = "th", _("Thai")
    KAREN = "kar", _("Karen")
    KACHIN = "kac", _("Kachin")
    CHIN = "cnh", _("Chin")
    SHAN = "shn", _("Shan")
    MON = "mnw", _("Mon")
    RAKHINE = "rki", _("Rakhine")


# What a partner receives for each service type: Case field names, in the packet's order.
# The rule is data-minimisation: a shelter needs a name to expect and a way to reach the
# person; a training provider the languages, never the unit or the defection story.
PACKET_FIELDS: dict[str, tuple[str, ...]] = {
    ServiceType.SHELTER: ("full_name", "sex", "contact_channel"),
    ServiceType.FOOD_CASH: ("full_name", "contact_channel"),
    ServiceType.TRAINING: ("full_name", "languages", "contact_channel"),
    ServiceType.MENTAL_HEALTH: ("full_name", "languages", "sex", "contact_channel"),
    ServiceType.MEDICAL: ("full_name", "date_of_birth", "sex", "contact_channel"),
    ServiceType.LEGAL: ("full_name", "date_of_birth", "contact_channel"),
    ServiceType.LIVELIHOOD: ("full_name", "languages", "contact_channel"),
    ServiceType.FAMILY_PROTECTION: ("full_name", "contact_channel"),
}


class CodeSetField(models.CharField):
    """A set of choice codes stored as ``",a,b,"``: filterable on any database with
    ``field__contains=",a,"`` (SQLite has no JSON containment), and small."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> list[str]:
        return [code for code in (value or "").split(",") if code]

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list):
            return value
        return [code for code in (value or "").split(",") if code]

    def get_prep_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value  # a lookup value such as ",mon,"
        return "," + ",".join(sorted(value or [])) + "," if value else ""

    def value_to_string(self, obj: models.Model) -> str:
        return self.get_prep_value(self.value_from_object(obj))


class ProviderQuerySet(VaultQuerySet):
    def offering(self, *, service: str = "", region: str = "", language: str = "") -> ProviderQuerySet:
        """Active providers offering ``service`` in ``region`` in ``language`` (each optional)."""
        providers = self.filter(active=True)
        if service:
            providers = providers.filter(services__contains=f",{service},")
        if region:
            providers = providers.filter(regions__contains=f",{region},")
        if language:
            providers = providers.filter(languages__contains=f",{language},")
        return providers


class Provider(VaultModel):
    """A partner organisation. It never gets an account or a link into Haven: it gets packets."""

    VAULT_KEY = "organisation"

    class Availability(models.TextChoices):
        OPEN = "open", _("Open")
        FULL = "full", _("Full")
        PAUSED = "paused", _("Paused")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    services = CodeSetField(_("services"), max_length=200)
    regions = CodeSetField(_("regions served"), max_length=300, blank=True)
    languages = CodeSetField(_("languages"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people at a time)"), null=True, blank=True)
    availability = models.CharField(
        _("availability"), max_length=10, choices=Availability.choices, default=Availability.OPEN
    )
    contact = EncryptedTextField(_("contact"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = VaultManager.from_queryset(ProviderQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def service_labels(self) -> list[str]:
        return [str(ServiceType(code).label) for code in self.services if code in ServiceType.values]

    def region_labels(self) -> list[str]:
        return [str(Region(code).label) for code in self.regions if code in Region.values]

    def language_labels(self) -> list[str]:
        return [str(Language(code).label) for code in self.languages if code in Language.values]


class ShelterQuerySet(VaultQuerySet):
    def with_occupancy(self) -> ShelterQuerySet:
        """Annotate ``occupied`` (open placements) and ``free`` (beds - occupied): one query for any number."""
        # A subquery per shelter over its open placements (index support_placement_shelter),
        # not a join of every placement ever made grouped by shelter.
        open_here = (
            Placement.objects.filter(shelter=OuterRef("pk"), checked_out_on__isnull=True)
            .order_by()
            .values("shelter")
            .annotate(n=models.Count("*"))  # rows, not ids: answered from the index alone
            .values("n")
        )
        occupied = Coalesce(Subquery(open_here, output_field=models.IntegerField()), 0)
        return self.annotate(occupied=occupied).annotate(free=models.F("beds") - models.F("occupied"))


class Shelter(VaultModel):
    VAULT_KEY = "organisation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = EncryptedTextField(_("name"), max_length=200)
    address = EncryptedLongTextField(_("address"), max_length=1000, blank=True)
    beds = models.PositiveSmallIntegerField(_("beds"), validators=[MaxValueValidator(1000)])
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = VaultManager.from_queryset(ShelterQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"shelter {self.pk}"


class Placement(models.Model):
    """A case in a shelter from check-in to check-out. Capacity and one-shelter-at-a-time
    are kept by support.services.place_in_shelter under row locks, and by the constraint below."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="placements")
    shelter = models.ForeignKey(Shelter, on_delete=models.PROTECT, related_name="placements")
    checked_in_on = models.DateField(_("check-in date"))
    expected_end = models.DateField(_("expected end"), null=True, blank=True)
    checked_out_on = models.DateField(_("check-out date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-checked_in_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(checked_out_on__isnull=True), name="support_one_open_placement_per_case"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_on__isnull=True) | Q(checked_out_on__gte=models.F("checked_in_on")),
                name="support_placement_out_after_in",
            ),
        ]
        indexes = [
            models.Index(fields=["shelter", "checked_out_on"], name="support_placement_shelter"),
            # "Ending this week" reads open placements only.
            models.Index(
                fields=["expected_end"], condition=Q(checked_out_on__isnull=True), name="support_placement_open_end"
            ),
        ]

    def __str__(self) -> str:
        return f"placement {self.pk}"


class ReferralQuerySet(VaultQuerySet):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """The referrals of the cases ``user`` may see (Case.objects.visible_to: the one rule)."""
        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))

    def open(self) -> ReferralQuerySet:
        return self.filter(status__in=Referral.OPEN_STATUSES)

    def with_consent_flag(self) -> ReferralQuerySet:
        """Annotate the case's consent to sharing: ``sharing_not_given`` (never given) and
        ``sharing_withdrawn`` (given once, none in force now). Both False: it is in force."""
        sharing = Consent.objects.filter(case=OuterRef("case"), kind=Consent.Kind.REFERRAL_SHARING)
        ever = Exists(sharing)
        return self.annotate(
            sharing_not_given=~ever, sharing_withdrawn=ever & ~Exists(sharing.filter(withdrawn_on__isnull=True))
        )


class Referral(VaultModel):
    VAULT_KEY = "case__data_key"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = (Status.DRAFT, Status.SENT, Status.ACCEPTED, Status.IN_PROGRESS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="referrals")
    service_type = models.CharField(_("service"), max_length=20, choices=ServiceType.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    # Optimistic concurrency: a transition names the version it was shown; a stale one is refused.
    version = models.PositiveIntegerField(default=1)
    status_changed_at = models.DateTimeField(_("status since"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The person's own, explicit consent to this referral (required for mental health).
    explicit_consent_on = models.DateField(_("explicit consent given on"), null=True, blank=True)
    # Which case fields went to the partner: names only, never values.
    shared_fields = models.JSONField(default=list, blank=True)
    note = EncryptedLongTextField(_("note"), max_length=5_000, blank=True)
    reason = EncryptedLongTextField(_("reason"), max_length=2_000, blank=True)
    outcome = EncryptedLongTextField(_("outcome"), max_length=5_000, blank=True)

    objects = VaultManager.from_queryset(ReferralQuerySet)()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="support_referral_case"),
            models.Index(fields=["status", "status_changed_at"], name="support_referral_waiting"),
            # The list, newest first, paged by (created_at, id) from a cursor (views/referrals.Page),
            # and the same filtered by status: each page is a range of one index, never a sort.
            models.Index(fields=["-created_at", "-id"], name="support_referral_recent"),
            models.Index(fields=["status", "-created_at", "-id"], name="support_referral_status_recent"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def needs_explicit_consent(self) -> bool:
        """A mental-health referral without the person's explicit consent: it cannot be sent."""
        return self.service_type == ServiceType.MENTAL_HEALTH and self.explicit_consent_on is None

    @property
    def can_record_explicit_consent(self) -> bool:
        """A draft drafted without the consent it needs (before the form required it) takes it later."""
        return self.status == self.Status.DRAFT and self.needs_explicit_consent

    def shared_field_labels(self) -> list[str]:
        """The shared fields' names as the person reads them (the record keeps the field names)."""
        return [str(Case._meta.get_field(name).verbose_name) for name in self.shared_fields]  # type: ignore[union-attr]

    def packet_field_labels(self) -> list[str]:
        """What sending will share, by name, before it is sent: the packet's fields for its service."""
        return [str(Case._meta.get_field(name).verbose_name) for name in PACKET_FIELDS[self.service_type]]  # type: ignore[union-attr]

    def next_statuses(self) -> list[str]:
        allowed = REFERRAL_TRANSITIONS.get(self.status, frozenset())
        return [status for status in self.Status.values if status in allowed]


# The one table of referral transitions: the service enforces it, the page offers exactly these.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    Referral.Status.DRAFT: frozenset({Referral.Status.SENT, Referral.Status.CANCELLED}),
    Referral.Status.SENT: frozenset({Referral.Status.ACCEPTED, Referral.Status.DECLINED, Referral.Status.CANCELLED}),
    Referral.Status.ACCEPTED: frozenset({Referral.Status.IN_PROGRESS, Referral.Status.CANCELLED}),
    Referral.Status.IN_PROGRESS: frozenset({Referral.Status.COMPLETED, Referral.Status.CANCELLED}),
}


class ReferralEvent(models.Model):
    """Who moved a referral to which status, and when."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=12, choices=Referral.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.status}"


class TrainingEnrolment(VaultModel):
    # The programme is free text a caseworker types, and a course and its place can say where a
    # person is: sealed with the case's key like every other free text (DESIGN.md).
    VAULT_KEY = "case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="trainings")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    programme = EncryptedTextField(_("programme"), max_length=200)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    attendance = models.PositiveSmallIntegerField(
        _("attendance (%)"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    completed = models.BooleanField(_("completed"), default=False)
    certificate_received = models.BooleanField(_("certificate received"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="support_training_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"training {self.pk}"


class SupportSession(VaultModel):
    """A mental-health or psychosocial session: dates and attendance; never clinical notes."""

    VAULT_KEY = "case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="support_sessions")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    planned_on = models.DateField(_("date"))
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    note = EncryptedLongTextField(_("short note (no clinical details)"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-planned_on"]

    def __str__(self) -> str:
        return f"session {self.pk}"


class Assistance(VaultModel):
    VAULT_KEY = "case__data_key"

    class Kind(models.TextChoices):
        CASH = "cash", _("Emergency cash")
        FOOD = "food", _("Food")
        TRANSPORT = "transport", _("Transport")

    class Currency(models.TextChoices):
        MMK = "MMK", "MMK"
        THB = "THB", "THB"
        USD = "USD", "USD"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assistance")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    given_on = models.DateField(_("date"))
    purpose = EncryptedLongTextField(_("purpose"), max_length=1_000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    needs_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    # Why a supervisor declined: free text about the person's circumstances, sealed as the purpose is.
    decline_reason = EncryptedLongTextField(_("reason"), max_length=1_000, blank=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-given_on"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="support_assistance_not_negative")]
        indexes = [
            # The supervisors' dashboard: the few entries still waiting, newest first, and their
            # count, read from this index alone however much assistance was ever recorded.
            models.Index(
                fields=["-given_on", "-id"],
                condition=Q(needs_approval=True, approved_at__isnull=True, declined_at__isnull=True),
                name="support_assistance_awaiting",
            ),
        ]

    def __str__(self) -> str:
        return f"assistance {self.pk}"

    @property
    def awaiting_approval(self) -> bool:
        return self.needs_approval and self.approved_at is None and self.declined_at is None


# An entry above its currency's limit that no supervisor has approved or declined yet (index
# support_assistance_awaiting, whose condition is this one).
AWAITING_APPROVAL = Q(needs_approval=True, approved_at__isnull=True, declined_at__isnull=True)


class Goal(VaultModel):
    VAULT_KEY = "case__data_key"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="goals")
    title = EncryptedTextField(_("goal"), max_length=300)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"goal {self.pk}"


class Task(VaultModel):
    VAULT_KEY = "case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    title = EncryptedTextField(_("task"), max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_tasks")
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who added it (none for tasks added before this was kept): a resent token is theirs alone.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The form's one-time token: a double click on "Save" writes one row, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["due_on", "created_at"]
        indexes = [
            models.Index(fields=["owner", "done_at", "due_on"], name="support_task_owner_due"),
            # Overdue tasks on the dashboard: open tasks only, by due date; with the owner, so
            # the workload's count per owner reads this index alone.
            models.Index(
                fields=["due_on"], include=["owner"], condition=Q(done_at__isnull=True), name="support_task_open_due"
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.pk}"


class Notification(models.Model):
    """An in-app reminder or decision. It names a kind and a case code, never a person's data; it is never
    sent anywhere (no email, no push). One per (person, kind, object, day due): reruns add none."""

    class Kind(models.TextChoices):
        FOLLOW_UP_OVERDUE = "follow_up", _("Follow-up overdue")
        TASK_OVERDUE = "task", _("Task overdue")
        REFERRAL_WAITING = "referral", _("Referral waiting too long")
        # A supervisor's decision on assistance the person recorded (due_on: the day decided).
        ASSISTANCE_APPROVED = "assistance_approved", _("Assistance approved")
        ASSISTANCE_DECLINED = "assistance_declined", _("Assistance declined")

    # Kinds that tell of a decision, not of a deadline: the page says "on", not "due".
    DECISIONS = (Kind.ASSISTANCE_APPROVED, Kind.ASSISTANCE_DECLINED)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    object_id = models.UUIDField()  # the case, task, referral or assistance the notification is about
    due_on = models.DateField()  # which deadline (a new follow-up date is a new reminder), or the day decided
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "object_id", "due_on"], name="support_one_reminder")
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="support_notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"

    @property
    def is_decision(self) -> bool:
        return self.kind in self.DECISIONS
