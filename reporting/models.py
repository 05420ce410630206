"""Report snapshots and the periods they have made public.

A snapshot holds what donors would see (``publication``: rounded counts and
suppression marks, never a true count below the threshold) and, for the
periods it covers, the aggregate counts it was computed from (``counts``), so
that a period once published is never republished with different numbers
(reporting.compute). Nothing here is personal: counts over coarse plaintext
columns (DESIGN.md, data classification).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def stale_before() -> datetime.datetime:
    """A computing row whose last heartbeat is older than this lost its worker (HEARTBEAT_STALE_SECONDS)."""
    return timezone.now() - datetime.timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def in_progress(self) -> SnapshotQuerySet:
        """Queued (a worker will take it), or computing with a recent heartbeat."""
        return self.filter(
            models.Q(status=Snapshot.Status.QUEUED)
            | models.Q(status=Snapshot.Status.COMPUTING, heartbeat_at__gte=stale_before())
        )

    def stopped(self) -> SnapshotQuerySet:
        """Computing, but its heartbeat stopped: the worker was killed or restarted."""
        return self.filter(status=Snapshot.Status.COMPUTING).exclude(heartbeat_at__gte=stale_before())

    def published(self) -> SnapshotQuerySet:
        """What donors may open: approved snapshots, and withdrawn ones (as a notice only)."""
        return self.filter(status__in=[Snapshot.Status.PUBLISHED, Snapshot.Status.WITHDRAWN])

    def ever_public(self) -> SnapshotQuerySet:
        """Every snapshot donors have seen, withdrawn ones included: what an attacker may hold."""
        return self.filter(approved_at__isnull=False)

    def with_another_rule(self, threshold: int, rounding_base: int) -> Snapshot | None:
        """One of these snapshots (``ever_public()``) whose threshold or rounding differ, or None.

        The solver reads every earlier release with the current rule: one published with another
        rule would be misread, and a new release could then narrow a hidden count.
        """
        return self.exclude(threshold=threshold, rounding_base=rounding_base).first()


class Snapshot(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be computed")
        COMPUTING = "computing", _("Computing")
        FAILED = "failed", _("Failed")
        DRAFT = "draft", _("Draft")
        PROPOSED = "proposed", _("Proposed for publication")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Not approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # The last day of the last quarter covered; a quarter is covered once it closed plus the lag.
    period_end = models.DateField(_("covers quarters up to"))
    threshold = models.PositiveSmallIntegerField()
    rounding_base = models.PositiveSmallIntegerField()
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while computing
    # Set every HEARTBEAT_SECONDS while it computes (health.running), from a thread of its own.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # computations started (one more after a lost worker)
    error = models.CharField(max_length=300, blank=True)  # why computing failed: never a count or a name
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # None: started by the schedule
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    # How many snapshots had ever been published when this one was computed: approving it
    # after another was published would skip that one's cells in the attacker's sums.
    public_before = models.PositiveIntegerField(default=0)
    publication = models.JSONField(default=list, blank=True)
    # [[key, atoms, state, rounded value]] of every cell: what the attacker's linear programs read.
    cells = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)  # {quarter: {atom: n}} of the quarters it covers
    charts = models.JSONField(default=dict, blank=True)  # {language: {table: svg}}, rendered once
    revised_periods = models.JSONField(default=list, blank=True)  # late records exist for these
    solver_seconds = models.FloatField(null=True, blank=True)
    compute_seconds = models.FloatField(null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-period_end", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True) | ~models.Q(approved_by=models.F("proposed_by")),
                name="snapshot_approver_is_not_proposer",
            ),
        ]

    def __str__(self) -> str:
        return f"report {self.period_end:%Y-%m-%d}"

    @property
    def awaits_publication(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.PROPOSED)

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.COMPUTING)

    @property
    def waits_for_the_queue(self) -> bool:
        """Queued for over a minute: no worker has taken it (the task queue is down, or every worker busy)."""
        return self.status == self.Status.QUEUED and timezone.now() - self.created_at > datetime.timedelta(minutes=1)


class PublishedPeriod(models.Model):
    """A period made public: its counts are frozen, whatever arrives later (late data is a footnote)."""

    period = models.CharField(max_length=7, unique=True)  # "2025-Q1"
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField()  # {atom: n}, as published

    def __str__(self) -> str:
        return self.period
