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
