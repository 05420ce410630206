from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vault.crypto import Damaged
from vault.sealing import open_string


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
