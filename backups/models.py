from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def stale_before() -> datetime:
    """A running row whose last heartbeat is older than this lost its worker (HEARTBEAT_STALE_SECONDS)."""
    return timezone.now() - timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)


class BackupQuerySet(models.QuerySet["Backup"]):
    def last_good(self) -> Backup | None:
        return self.filter(status=Backup.Status.OK).order_by("-started_at").first()

    def in_progress(self) -> BackupQuerySet:
        """Queued (a worker will take it), or running with a recent heartbeat."""
        return self.filter(
            models.Q(status=Backup.Status.QUEUED)
            | models.Q(status=Backup.Status.RUNNING, heartbeat_at__gte=stale_before())
        )

    def stopped(self) -> BackupQuerySet:
        """Running, but its heartbeat stopped: the worker was killed or restarted."""
        return self.filter(status=Backup.Status.RUNNING).exclude(heartbeat_at__gte=stale_before())


class Backup(models.Model):
    """One run of the backup service: its files live in HAVEN_BACKUP_DIR under ``name``.

    The row is the history the admin page shows; the files and their signed
    manifest are the backup itself (a restore needs only them).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        OK = "ok", _("completed")
        FAILED = "failed", _("failed")
        PRUNED = "pruned", _("pruned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)  # bytes of ciphertext written so far
    recipients = models.JSONField(_("recipients"), default=list)  # age public keys: not secret
    error = models.CharField(_("error"), max_length=300, blank=True)  # a kind of failure, never data
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verify_error = models.CharField(max_length=300, blank=True)
    # Set every HEARTBEAT_SECONDS while it runs (health.running), from a thread of its own.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = BackupQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("backup")

    def __str__(self) -> str:
        return self.name or str(self.id)

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None

    @property
    def is_in_progress(self) -> bool:
        """Queued, or running with a recent heartbeat (a row whose worker died stops beating)."""
        if self.status == self.Status.RUNNING:
            return self.heartbeat_at is not None and self.heartbeat_at >= stale_before()
        return self.status == self.Status.QUEUED

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None and not self.verify_error
