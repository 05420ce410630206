from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import roles
from vault import tokens


class User(AbstractUser):
    Role = roles.Role
    CASE_ROLES = roles.CASE_ROLES

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # A suspended account is also inactive; one administrator suspends, two lift it (RoleRequest).
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("user")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=roles.Role.values),
                name="accounts_user_role_valid",
            )
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def works_on_cases(self) -> bool:
        """Takes intakes and works on cases (a supervisor or a caseworker)."""
        return self.role in self.CASE_ROLES

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def deactivation_takes_two(self) -> bool:
        """An administrator is deactivated only with a second administrator's approval."""
        return self.role == self.Role.ADMIN


def hash_token(token: str) -> str:
    """Invitation tokens are stored as keyed hashes (vault.tokens): a dump holds no usable link,
    and without the keyring a guessed token cannot be tested against it."""
    return tokens.keyed_hash(tokens.INVITATION, token)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use link that lets one person set a password and enrol MFA.

    Used both for a new account and to reset an existing one (which also
    removes that person's authenticators so they enrol again).
    """

    token_hash = models.CharField(max_length=64, unique=True)
    username = models.CharField(_("username"), max_length=150)
    email = models.EmailField(_("email"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=User.Role.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    # Empty when an operator issued it on the server (the first administrator).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["username"])]

    def __str__(self) -> str:
        return f"invitation for {self.username}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class RoleRequestQuerySet(models.QuerySet["RoleRequest"]):
    def open(self) -> RoleRequestQuerySet:
        return self.filter(decided_at__isnull=True)

    def visible_to(self, user) -> RoleRequestQuerySet:  # type: ignore[no-untyped-def]
        """Administrators see every request; everyone else none."""
        return self if getattr(user, "role", None) == roles.Role.ADMIN else self.none()


class RoleRequest(models.Model):
    """Two administrators change what an account reaches: one asks, another approves.

    Asked for by raising a role to supervisor or administrator (a role change, or
    the enrolment of an invitation that carries such a role: the request is then
    bound to the account that actually enrolled), by demoting or deactivating an
    administrator, and by lifting a suspension. It records the account's role
    when asked; approval checks it is still that role.
    """

    class Action(models.TextChoices):
        CHANGE_ROLE = "change_role", _("Change role")
        DEACTIVATE = "deactivate", _("Deactivate")
        LIFT_SUSPENSION = "lift_suspension", _("Lift suspension")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_requests")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_role = models.CharField(_("role when asked"), max_length=20, choices=User.Role.choices)
    to_role = models.CharField(_("new role"), max_length=20, choices=User.Role.choices, blank=True)
    # The invitation whose enrolment made this request (the account enrolled when it was used).
    invitation = models.ForeignKey(Invitation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # Empty on a decided request: withdrawn because the account enrolled again.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved = models.BooleanField(null=True)

    objects = RoleRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # Two people, even if a service is bypassed; the account never asks or decides for itself.
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by"))
                & ~models.Q(decided_by=models.F("user"))
                & ~models.Q(requested_by=models.F("user")),
                name="accounts_rolerequest_two_people",
            ),
            models.CheckConstraint(
                condition=~models.Q(action="change_role") | models.Q(to_role__in=roles.GRANTABLE_ROLES),
                name="accounts_rolerequest_change_names_role",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(decided_at__isnull=True), name="accounts_one_open_role_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} request for user {self.user_id}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    def may_be_decided_by(self, user: User) -> bool:
        """Any administrator but the one who asked and the account itself; only while open."""
        return self.is_open and user.role == User.Role.ADMIN and user.pk not in (self.requested_by_id, self.user_id)


class IdentityRead(models.Model):
    """The exfiltration brake's ledger (accounts/brake.py): one row per person and case, with the
    time of that person's latest identity read of that case.

    Holds the case's id and nothing else about it (no code, no name): the audit trail is
    the record of what happened; this is only a counter, cleared when a brake is lifted.
    ``assigned`` says whether the case was assigned to the person at that read.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case_id = models.UUIDField()
    assigned = models.BooleanField()
    last_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "case_id"], name="identity_read_once_per_case")]
        # A reveal reads one person's rows of the last day: an index range, never a scan of AuditEvent.
        indexes = [models.Index(fields=["person", "last_at"], name="identity_read_person_time")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.case_id} {self.last_at:%Y-%m-%d %H:%M}"


class Brake(models.Model):
    """A tripped exfiltration brake: ``person``'s identity reads are refused until it is lifted.

    At most one open (unlifted) brake per person. Who lifts it and why is in the audit
    trail (``accounts.brake.lifted``, the reason sealed); the brake row keeps who and when.
    """

    class Window(models.TextChoices):
        HOUR = "hour", _("an hour")
        DAY = "day", _("a day")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    tripped_at = models.DateTimeField(_("tripped at"), db_index=True)
    window = models.CharField(_("window"), max_length=4, choices=Window.choices)
    assigned = models.BooleanField(_("assigned cases"))  # which limit: assigned cases, or others'
    limit = models.PositiveIntegerField(_("limit"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Out-of-band alerts (accounts/tasks.py), each sent once: a retried task skips what went out.
    emailed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-tripped_at"]
        verbose_name = _("brake")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(lifted_at__isnull=True), name="one_open_brake_per_person"
            ),
            # Someone else lifts it, even if a service is bypassed.
            models.CheckConstraint(condition=~models.Q(lifted_by=models.F("person")), name="brake_lifted_by_another"),
        ]

    def __str__(self) -> str:
        return f"brake {self.pk} on {self.person_id}"

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None
