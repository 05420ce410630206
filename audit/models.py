from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    ``seq`` is assigned under a table lock so the chain has no gaps; ``hash`` is
    HMAC-SHA256 with the audit key over the previous hash and this event's
    canonical content. Events name who, what, which object and why: never the
    contents of a field. The why is sealed; the hash covers the sealed form, so
    verifying the chain needs only the audit key.
    """

    seq = models.PositiveBigIntegerField(primary_key=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Kept beside the foreign key so that the hashed content never depends on a join.
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_ref = models.CharField(_("object"), max_length=150, blank=True, db_index=True)
    # Sealed with the organisation key, bound to ``seq``: a reason is free text a
    # person typed and may name people. Read it through ``reason``.
    sealed_reason = models.TextField(_("reason (sealed)"), blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_ref}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")

    @property
    def reason(self) -> str:
        """The reason in the clear ("" for none), or a plain marker when it cannot be opened
        (ciphertext changed or moved from another event: verify_audit names the event)."""
        if not self.sealed_reason:
            return ""
        from vault.crypto import Damaged
        from vault.services import open_string

        try:
            return open_string(self.sealed_reason, reason_context(self.seq))
        except Damaged:
            return str(_("[damaged: this reason cannot be read]"))

    def canonical_content(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "actor": self.actor_username,
            "action": self.action,
            "object": self.object_ref,
            "reason": self.sealed_reason,
            "request_id": self.request_id,
        }


def reason_context(seq: int) -> str:
    """The associated data a reason is sealed with: it opens only on its own event."""
    return f"audit.reason.{seq}"


class IdentityRead(models.Model):
    """The exfiltration brake's ledger (audit/brake.py): one row per person and case, with the
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
    trail (``audit.brake.lifted``, the reason sealed); the brake row keeps who and when.
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
    # Out-of-band alerts (audit/tasks.py), each sent once: a retried task skips what went out.
    emailed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-tripped_at"]
        verbose_name = _("brake")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(lifted_at__isnull=True), name="one_open_brake_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"brake {self.pk} on {self.person_id}"

    @property
    def is_open(self) -> bool:
        return self.lifted_at is None
