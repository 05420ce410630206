from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _

from vault import keys
from vault.crypto import OpenKey


class DataKeyQuerySet(models.QuerySet["DataKey"]):
    def organisation(self) -> DataKey:
        """The organisation's data key (shelters, providers, MFA secrets), created on first use."""
        return keys.organisation_key()


class DataKey(models.Model):
    """A random 256-bit data key, stored only wrapped by a key-encryption key.

    Each case has its own; the organisation has one. Destroying ``wrapped``
    (crypto-shredding) makes every value sealed with it unreadable at once.
    """

    class Purpose(models.TextChoices):
        OWNER = "owner", _("record owner")
        ORGANISATION = "organisation", _("organisation")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.OWNER)
    kek_id = models.CharField(max_length=32)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    objects = DataKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["purpose"], condition=models.Q(purpose="organisation"), name="vault_one_organisation_key"
            ),
            models.CheckConstraint(
                condition=models.Q(shredded_at__isnull=True, wrapped__isnull=False)
                | models.Q(shredded_at__isnull=False, wrapped__isnull=True),
                name="vault_datakey_wrapped_unless_shredded",
            ),
        ]

    def __str__(self) -> str:
        return f"data key {self.id}"

    _open: OpenKey | None = None  # unwrapped, for this instance's lifetime only

    @property
    def is_shredded(self) -> bool:
        return self.shredded_at is not None


class Session(AbstractBaseSession):
    """A signed-in browser's session (SESSION_ENGINE vault.sessions), one row per session.

    ``session_key`` is not the cookie's value but its keyed hash (vault.tokens):
    a dump of this table opens no session. ``session_data`` is sealed. The other
    columns let a person see and end their own sessions and let an administrator
    end someone's: who (from the sealed data, on every save), since when, and
    where from, coarsened (a /24 or /48 network, a browser family), because staff
    are at risk too.
    """

    session_key = models.CharField(_("session key hash"), max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    signed_in_at = models.DateTimeField(null=True, blank=True)
    network = models.CharField(_("network"), max_length=50, blank=True)
    browser = models.CharField(_("browser"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("session")
