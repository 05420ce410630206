from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BackupQuerySet(models.QuerySet["Backup"]):
    def last_good(self) -> Backup | None:
        return self.filter(status=Backup.Status.OK).order_by("-started_at").first()


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
        """Queued or running, and not older than a task may live (a worker that died leaves a stale row)."""
        recent = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and self.started_at >= recent

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None and not self.verify_error
