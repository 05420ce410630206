"""Cases: a defector's intake, identity, service, defection, family, needs, risk and consents.

Identifying data is encrypted with the case's data key (vault fields); the
coarse reporting dimensions (intake month, branch, rank band, region of
origin, sex) and workflow state are plaintext, as DESIGN.md classifies them.
"""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from vault.crypto import Damaged
from vault.fields import (
    BlindIndexField,
    EncryptedBooleanField,
    EncryptedDateField,
    EncryptedIntegerField,
    EncryptedJSONField,
    EncryptedLongTextField,
    EncryptedTextField,
    OwnerKeyField,
    VaultManager,
    VaultModel,
    VaultQuerySet,
    blind_tag,
    canonical,
)
from vault.sealing import open_string

# No 0/O, 1/I/L, 5/S or 2/Z: a code read out over a bad phone line survives.
CODE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXY346789"


def new_case_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"HV-{chars[:4]}-{chars[4:]}"


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Region(models.TextChoices):
    AYEYARWADY = "ayeyarwady", _("Ayeyarwady Region")
    BAGO = "bago", _("Bago Region")
    CHIN = "chin", _("Chin State")
    KACHIN = "kachin", _("Kachin State")
    KAYAH = "kayah", _("Kayah (Karenni) State")
    KAYIN = "kayin", _("Kayin (Karen) State")
    MAGWAY = "magway", _("Magway Region")
    MANDALAY = "mandalay", _("Mandalay Region")
    MON = "mon", _("Mon State")
    NAYPYITAW = "naypyitaw", _("Naypyitaw Union Territory")
    RAKHINE = "rakhine", _("Rakhine State")
    SAGAING = "sagaing", _("Sagaing Region")
    SHAN = "shan", _("Shan State")
    TANINTHARYI = "tanintharyi", _("Tanintharyi Region")
    YANGON = "yangon", _("Yangon Region")
    OUTSIDE = "outside", _("Outside Myanmar")


# The intake's steps in order (the review comes after them); defectors/views/intake.py labels them.
INTAKE_STEPS = ("identity", "service", "defection", "family", "needs", "risk", "consents", "contact")


class CaseQuerySet(VaultQuerySet):
    def named(self, *names: str, born: datetime.date) -> list[Case]:
        """Cases with one of ``names`` as their full name or an alias, born on ``born``: one query.

        Compared in canonical form (vault/normalise.py) through ``CaseNameIndex``'s
        tags, then confirmed by decrypting each candidate: never a false match.
        """
        tags = {blind_tag(Case, "name_dob_index", [name, born]) for name in names} - {None}
        if not tags:
            return []
        wanted = {canonical("name", name) for name in names}
        tagged = CaseNameIndex.objects.filter(tag__in=tags).values("case_id")
        return [
            case
            for case in self.defer(None).filter(pk__in=tagged)
            if case.date_of_birth == born and any(canonical("name", form) in wanted for form in case.name_forms)
        ]

    def visible_to(self, user) -> CaseQuerySet:  # type: ignore[no-untyped-def]
        """The cases ``user`` may see: need-to-know (DESIGN.md, Access control)."""
        role = getattr(user, "role", None)
        if role == Role.SUPERVISOR:
            return self
        if role == Role.CASEWORKER:
            return self.filter(assigned_to=user)
        return self.none()  # debriefers see cases through their debriefs (a later app)

    def follow_up_overdue(self, *, today: datetime.date) -> CaseQuerySet:
        """Open cases whose next follow-up is before ``today`` (the support app reads this too)."""
        return self.filter(follow_up_overdue_q(today))

    def follow_up_due_within(self, *, start: datetime.date, end: datetime.date) -> CaseQuerySet:
        """Open cases with a follow-up from ``start`` to ``end``, both included."""
        return self.filter(follow_up_within_q(start, end))

    def with_follow_up_state(self, *, today: datetime.date) -> CaseQuerySet:
        """Each case annotated ``follow_up_is_overdue`` (bool), for the list's marker, in the same query."""
        overdue = models.ExpressionWrapper(follow_up_overdue_q(today), output_field=models.BooleanField())
        return self.annotate(follow_up_is_overdue=overdue)


# The follow-up rules, once: the QuerySet methods above and defectors.search.filter_cases use them.
# Shredded and discarded cases are closed, so "open" covers them.
def follow_up_overdue_q(today: datetime.date) -> models.Q:
    return models.Q(next_follow_up__lt=today, status__in=OPEN_STATUSES)


def follow_up_within_q(start: datetime.date, end: datetime.date) -> models.Q:
    return models.Q(next_follow_up__range=(start, end), status__in=OPEN_STATUSES)


CaseManager = VaultManager.from_queryset(CaseQuerySet)
OPEN_STATUSES = ("active", "reopened")  # Case.Status.ACTIVE, REOPENED (Case is defined below)


class Case(VaultModel):
    VAULT_KEY = "data_key"

    class Status(models.TextChoices):
        INTAKE = "intake", _("Intake in progress")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    class Branch(models.TextChoices):
        ARMY = "army", _("Army")
        POLICE = "police", _("Police")
        AIR_FORCE = "air_force", _("Air force")
        NAVY = "navy", _("Navy")
        OTHER = "other", _("Other")

    class RankBand(models.TextChoices):
        ENLISTED = "enlisted", _("Enlisted")
        NCO = "nco", _("Non-commissioned officer")
        OFFICER = "officer", _("Officer")

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other")
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = OwnerKeyField()
    code = models.CharField(_("case code"), max_length=12, unique=True, default=new_case_code, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INTAKE)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    intake_submitted_at = models.DateTimeField(null=True, blank=True)
    # The start form's one-time token: sending it twice opens one draft, not two.
    intake_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Names of the intake steps saved so far (not their contents): resuming opens the first one missing.
    intake_steps_saved = models.JSONField(default=list, blank=True, editable=False)
    # The next follow-up: when (plaintext, for lists and reminders) and what it is for (it may name people).
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_purpose = EncryptedTextField(_("what the follow-up is for"), max_length=300, blank=True)
    # Set when consent to data processing is withdrawn: the case should be closed and a shred decided.
    processing_withdrawn_on = models.DateField(_("consent to data processing withdrawn on"), null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    # Coarse reporting dimensions: plaintext, never shown to donors below the suppression threshold.
    intake_month = models.DateField(_("intake month"), db_index=True)
    branch = models.CharField(_("branch"), max_length=10, choices=Branch.choices, blank=True)
    rank_band = models.CharField(_("rank band"), max_length=10, choices=RankBand.choices, blank=True)
    region_of_origin = models.CharField(
        _("state or region of origin"), max_length=15, choices=Region.choices, blank=True
    )
    sex = models.CharField(_("sex"), max_length=12, choices=Sex.choices, blank=True)

    # Identity
    full_name = EncryptedTextField(_("full name"), max_length=200, blank=True)
    other_names = EncryptedLongTextField(_("other names and aliases"), max_length=1000, blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), blank=True)
    age_estimate = EncryptedIntegerField(_("age (estimate)"), blank=True)
    ethnicity = EncryptedTextField(_("ethnicity"), max_length=100, blank=True)
    religion = EncryptedTextField(_("religion"), max_length=100, blank=True)
    languages = EncryptedTextField(_("languages"), max_length=200, blank=True)
    name_dob_index = BlindIndexField(sources=("full_name", "date_of_birth"), canonical=("name", "date"))

    # Service
    rank = EncryptedTextField(_("rank"), max_length=100, blank=True)
    unit = EncryptedTextField(_("unit"), max_length=200, blank=True)
    service_number = EncryptedTextField(_("service number"), max_length=40, blank=True, blind_index="identifier")
    years_of_service = EncryptedIntegerField(_("years of service"), blank=True)
    last_posting = EncryptedTextField(_("last posting"), max_length=200, blank=True)

    # Defection
    defection_date = EncryptedDateField(_("date of defection"), blank=True)
    defection_place = EncryptedTextField(_("place of defection"), max_length=200, blank=True)
    circumstances = EncryptedLongTextField(_("circumstances"), blank=True)
    was_armed = EncryptedBooleanField(_("armed when defecting"), blank=True)
    brought_weapons = EncryptedBooleanField(_("brought weapons"), blank=True)
    brought_documents = EncryptedBooleanField(_("brought documents"), blank=True)

    # Risk
    threat_to_defector = models.CharField(_("threat to the defector"), max_length=10, choices=Level.choices, blank=True)
    threat_to_family = models.CharField(_("threat to the family"), max_length=10, choices=Level.choices, blank=True)
    risk_reasons = EncryptedLongTextField(_("reasons"), max_length=10_000, blank=True)
    safety_plan = EncryptedLongTextField(_("safety plan"), max_length=10_000, blank=True)

    # Contact
    contact_channel = EncryptedTextField(_("contact channel"), max_length=200, blank=True)
    current_location = EncryptedTextField(_("current location"), max_length=200, blank=True)

    closing_reason = EncryptedLongTextField(_("closing reason"), max_length=5_000, blank=True)

    objects = CaseManager()  # type: ignore[misc]

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The list's order, for supervisors (all cases) and caseworkers (their own).
            models.Index(fields=["-urgency", "-created_at"], name="defectors_case_list"),
            models.Index(fields=["assigned_to", "-urgency", "-created_at"], name="defectors_case_list_assigned"),
            models.Index(fields=["status", "branch", "intake_month"], name="defectors_case_filters"),
            # The support dashboard's lists and counts touch only open cases that need
            # attention: partial indexes keep them from reading every case.
            models.Index(
                fields=["assigned_to", "next_follow_up"],
                condition=models.Q(status__in=OPEN_STATUSES, shredded_at__isnull=True),
                name="defectors_case_open_follow_up",
            ),
            # Supervisors see every caseworker's overdue follow-ups, earliest first.
            models.Index(
                fields=["next_follow_up"],
                condition=models.Q(status__in=OPEN_STATUSES, shredded_at__isnull=True),
                name="defectors_case_open_due",
            ),
            models.Index(
                fields=["assigned_to", "-created_at"],
                condition=models.Q(urgency="urgent", status__in=("intake", *OPEN_STATUSES), shredded_at__isnull=True),
                name="defectors_case_urgent",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("defectors:case", args=[self.code])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_discarded(self) -> bool:
        """A draft thrown away before it was opened (services.discard_intake): never an ordinary closed case."""
        return self.shredded_at is not None and self.intake_submitted_at is None

    @property
    def status_label(self) -> str:
        if self.is_discarded:
            return str(_("Discarded draft"))
        if self.shredded_at is not None:
            return str(_("Shredded"))
        return str(self.get_status_display())

    def opening_problems(self) -> list[str]:
        """What keeps this intake from being opened as a case: [] when it may be opened.

        The review page lists these and services.submit_intake refuses with them (one query).
        """
        problems = []
        if not self.full_name and not self.other_names:
            problems.append(str(_("Give a name or an alias (Identity).")))
        if not self.consents.filter(kind=Consent.Kind.DATA_PROCESSING, withdrawn_on__isnull=True).exists():
            problems.append(str(_("Consent to data processing is needed to open a case (Consents).")))
        return problems

    def resume_step(self) -> str:
        """The first intake step not saved yet, or "review" when every one has been."""
        return next((step for step in INTAKE_STEPS if step not in self.intake_steps_saved), "review")

    def next_statuses(self) -> list[str]:
        """The statuses this case may be changed to (services.change_status), in Status order.

        An intake leaves its status only by being submitted; a shredded case never changes.
        """
        if self.shredded_at:
            return []
        allowed = CASE_TRANSITIONS.get(self.status, frozenset())
        return [status for status in self.Status.values if status in allowed]

    @property
    def name_forms(self) -> list[str]:
        """The full name and each alias (one a line of other names), as typed; [] when shredded."""
        names = [self.full_name, *(self.other_names or "").splitlines()]
        return [name.strip() for name in names if name and name.strip()]

    @classmethod
    def refresh_index_rows(cls, rows: list[Case]) -> None:
        CaseNameIndex.objects.refresh(rows)

    @classmethod
    def forget_index_rows(cls, key_ids: list[uuid.UUID]) -> None:
        CaseNameIndex.objects.filter(case__data_key__in=key_ids).delete()

    @classmethod
    def mark_shredded(cls, key_ids: list[uuid.UUID], when: datetime.datetime) -> None:
        """A case whose key is destroyed is closed and shredded, whoever destroyed it.

        The one place that says what a shredded case looks like: called by
        vault.services.shred_data_keys for a live shred (services.decide_shred,
        discard_intake, ``manage.py shred``) and for a restore's shred list alike.
        """
        cls._base_manager.filter(data_key__in=key_ids, shredded_at__isnull=True).update(
            status=cls.Status.CLOSED, shredded_at=when, updated_at=when
        )


# The one table of status changes: the service enforces it, the case page offers exactly these.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    Case.Status.ACTIVE: frozenset({Case.Status.CLOSED}),
    Case.Status.REOPENED: frozenset({Case.Status.CLOSED}),
    Case.Status.CLOSED: frozenset({Case.Status.REOPENED}),
}


class FamilyMember(VaultModel):
    VAULT_KEY = "case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family")
    position = models.PositiveSmallIntegerField(default=0)
    relationship = EncryptedTextField(_("relationship"), max_length=100)
    name = EncryptedTextField(_("name"), max_length=200, blank=True)
    location = EncryptedTextField(_("where they are"), max_length=200, blank=True)
    at_risk = EncryptedBooleanField(_("at risk"), blank=True)
    protection_needed = EncryptedBooleanField(_("protection needed"), blank=True)
    # Who added the member after intake, and the form's one-time token (defectors.once): a resent
    # form adds one. Empty for members entered at intake, which replaces the list as a whole.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.case_id} family {self.position}"


class Need(VaultModel):
    VAULT_KEY = "case__data_key"

    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Shelter")
        FOOD = "food", _("Food")
        MEDICAL = "medical", _("Medical care")
        MENTAL_HEALTH = "mental_health", _("Mental health")
        LIVELIHOOD = "livelihood", _("Livelihood")
        LEGAL = "legal", _("Legal help")
        FAMILY_PROTECTION = "family_protection", _("Family protection")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="needs")
    kind = models.CharField(_("need"), max_length=20, choices=Kind.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Level.choices)
    note = EncryptedLongTextField(_("note"), max_length=2_000, blank=True)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    # As for FamilyMember: who added it after intake, and the add form's one-time token.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="defectors_one_need_per_kind")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force(self, kind: str) -> ConsentQuerySet:
        """Consents of ``kind`` given and not withdrawn: what the person consents to today.

        What leaves a case (the partners' export, donor counts) asks this at that
        moment, never a copy kept elsewhere: a consent withdrawn later excludes the
        case from then on.
        """
        return self.filter(kind=kind, withdrawn_on__isnull=True)

    def standing(self, kind: str) -> Consent | None:
        """The record that says where ``kind`` stands today: the one in force, else the latest
        withdrawn; None when it was never given."""
        return self.filter(kind=kind).order_by(F("withdrawn_on").desc(nulls_first=True), "-given_on", "-pk").first()


class Consent(models.Model):
    class Kind(models.TextChoices):
        DATA_PROCESSING = "data_processing", _("Data processing")
        DEBRIEFING = "debriefing", _("Debriefing")
        REFERRAL_SHARING = "referral_sharing", _("Sharing with referral partners")
        TESTIMONY = "testimony", _("Use of testimony for transitional justice")

    class Method(models.TextChoices):
        VERBAL = "verbal", _("Verbal")
        WRITTEN = "written", _("Written")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(_("consent"), max_length=20, choices=Kind.choices)
    given_on = models.DateField(_("date given"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_on = models.DateField(_("date withdrawn"), null=True, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The give form's one-time token (defectors.once): a resent form records the consent once.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        # A consent can be given, withdrawn and given again: one row each time, at most one in force.
        ordering = ["kind", "-given_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="defectors_one_active_consent_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None


class RiskAssessment(models.Model):
    """One assessment of the threat levels: the case keeps the latest, this keeps them all (plaintext levels)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="risk_assessments")
    threat_to_defector = models.CharField(_("threat to the defector"), max_length=10, choices=Level.choices, blank=True)
    threat_to_family = models.CharField(_("threat to the family"), max_length=10, choices=Level.choices, blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id} risk {self.assessed_at:%Y-%m-%d}"


class CaseNote(VaultModel):
    """A dated note or contact: the text is encrypted with the case's key, author and times are plaintext.

    Its author may change it for EDIT_WINDOW after writing it; after that it is
    append-only (a correction is a new note).
    """

    VAULT_KEY = "case__data_key"
    EDIT_WINDOW = datetime.timedelta(minutes=30)

    class Kind(models.TextChoices):
        VISIT = "visit", _("Visit")
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        MEETING = "meeting", _("Meeting")
        OTHER = "other", _("Other note")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    happened_on = models.DateField(_("date"))
    text = EncryptedLongTextField(_("note"), max_length=10_000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # The form's one-time token: a double tap on "Save" writes one note, not two.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-happened_on", "-created_at"]
        indexes = [models.Index(fields=["case", "-happened_on", "-created_at"], name="defectors_note_case_order")]

    def __str__(self) -> str:
        return f"{self.case_id} note {self.happened_on}"

    def editable_by(self, user_id: int, now: datetime.datetime) -> bool:
        """Whether ``user_id`` may still change this note at ``now`` (aware datetime)."""
        return self.author_id == user_id and now - self.created_at <= self.EDIT_WINDOW


class WithdrawalTaskQuerySet(models.QuerySet["WithdrawalTask"]):
    def visible_to(self, user) -> WithdrawalTaskQuerySet:  # type: ignore[no-untyped-def]
        return self if getattr(user, "role", None) == Role.SUPERVISOR else self.none()


class WithdrawalTask(models.Model):
    """Consent to data processing was withdrawn: a supervisor decides whether to request shredding."""

    class Outcome(models.TextChoices):
        SHRED_REQUESTED = "shred_requested", _("Shredding requested")
        KEPT = "kept", _("Kept (closed, not shredded)")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="withdrawal_tasks")
    withdrawn_on = models.DateField(_("withdrawn on"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    objects = WithdrawalTaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decided_at__isnull=True), name="defectors_one_open_withdrawal_task"
            )
        ]

    def __str__(self) -> str:
        return f"withdrawal task {self.case_id}"


class DuplicateAlertQuerySet(models.QuerySet["DuplicateAlert"]):
    def visible_to(self, user) -> DuplicateAlertQuerySet:  # type: ignore[no-untyped-def]
        """Supervisors only: an alert names a matched case its caseworker may not see."""
        return self if getattr(user, "role", None) == Role.SUPERVISOR else self.none()


class DuplicateAlert(models.Model):
    """A possible duplicate the caseworker may not see: a task for a supervisor."""

    class MatchedOn(models.TextChoices):
        SERVICE_NUMBER = "service_number", _("service number")
        NAME_AND_BIRTH = "name_and_birth", _("name and date of birth")

    class Outcome(models.TextChoices):
        SAME_PERSON = "same_person", _("Same person: the cases are linked")
        DIFFERENT_PERSON = "different_person", _("Different people")
        NEEDS_FOLLOW_UP = "needs_follow_up", _("Needs follow-up")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    matched_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    matched_on = models.CharField(_("matched on"), max_length=20, choices=MatchedOn.choices)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The latest outcome; every one recorded is in DuplicateOutcome. Open until it is not "needs follow-up".
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    objects = DuplicateAlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["case", "matched_case"], name="defectors_one_alert_per_pair")]

    def __str__(self) -> str:
        return f"possible duplicate {self.case_id} ~ {self.matched_case_id}"


class DuplicateOutcome(models.Model):
    """One outcome a supervisor recorded for a possible duplicate: the history of the decision."""

    alert = models.ForeignKey(DuplicateAlert, on_delete=models.PROTECT, related_name="outcomes")
    outcome = models.CharField(_("outcome"), max_length=20, choices=DuplicateAlert.Outcome.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.outcome} for alert {self.alert_id}"


class ShredRequestQuerySet(models.QuerySet["ShredRequest"]):
    def visible_to(self, user) -> ShredRequestQuerySet:  # type: ignore[no-untyped-def]
        """Administrators decide every request; a supervisor sees those on cases visible to them."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self
        if role == Role.SUPERVISOR:
            return self.filter(case__in=Case.objects.visible_to(user))
        return self.none()


class ShredRequest(models.Model):
    """Two people shred a case: a supervisor asks, an administrator approves."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="shred_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)
    # The supervisor's reason, sealed with the organisation key (as audit reasons are) and bound to
    # this row: the approver reads it; a dump does not. "" for requests made before it was kept.
    sealed_reason = models.TextField(blank=True, editable=False)

    objects = ShredRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(decided_at__isnull=True), name="defectors_one_open_shred_request"
            )
        ]

    def __str__(self) -> str:
        return f"shred request {self.case_id}"

    @property
    def reason_context(self) -> str:
        """The associated data the reason is sealed with: it opens only on this request."""
        return f"defectors.shredrequest.reason.{self.pk}"

    @property
    def reason(self) -> str:
        """The reason in the clear ("" when none was kept), or a plain marker when it does not open."""
        if not self.sealed_reason:
            return ""
        try:
            return open_string(self.sealed_reason, self.reason_context)
        except Damaged:
            return str(_("[damaged: this reason cannot be read]"))


class KeptStep(VaultModel):
    """An intake step posted after its author's session expired, kept to be put back after they sign in.

    The posted fields are sealed with the case's key (a shredded or discarded
    case takes them along). Only the same user, signed in again, on a case
    they may still see, gets them back (defectors.services.kept_step_for);
    they are deleted once the step is saved and ignored after ``expires_at``.
    """

    VAULT_KEY = "case__data_key"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    step = models.CharField(max_length=20)
    data = EncryptedJSONField()  # {field name: [values]}, as posted
    kept_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user", "step"], name="defectors_one_kept_step")]

    def __str__(self) -> str:
        return f"kept {self.step} of {self.case_id}"


class CaseNameIndexQuerySet(models.QuerySet):
    def refresh(self, cases: list[Case]) -> None:
        """Make the rows of ``cases`` one tag per name form (full name, each alias): two to four queries.

        A case without a date of birth, or shredded, gets none. Cases whose
        tags are already right are left alone (a rebuild rewrites only what changed).
        """
        wanted: dict[uuid.UUID, set[int]] = {}
        for case in cases:
            tags = {blind_tag(Case, "name_dob_index", [name, case.date_of_birth]) for name in case.name_forms}
            wanted[case.pk] = {tag for tag in tags if tag is not None}
        stored: dict[uuid.UUID, set[int]] = {pk: set() for pk in wanted}
        for case_id, tag in self.filter(case__in=cases).values_list("case_id", "tag"):
            stored[case_id].add(tag)
        stale = [pk for pk in wanted if wanted[pk] != stored[pk]]
        if stale:
            self.filter(case__in=stale).delete()
            self.bulk_create([CaseNameIndex(case_id=pk, tag=tag) for pk in stale for tag in wanted[pk]])


class CaseNameIndex(models.Model):
    """A blind-index tag of one of a case's names with its date of birth: no plaintext, no name.

    Tags are the case's ``name_dob_index`` (same key, same truncation) for the
    full name and for each alias, so search and the duplicate check find a
    person by any name they gave. Written by the services that change a
    case's names (``CaseNameIndex.objects.refresh``), deleted when the case's
    key is destroyed (``Case.forget_index_rows``, called by vault.services.shred_data_keys),
    recomputed by ``rebuild_blind_indexes``.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="name_tags")
    tag = models.IntegerField(db_index=True)

    objects = CaseNameIndexQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.case_id} name tag"
