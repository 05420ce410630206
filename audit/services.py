"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit.checkpoints import Checkpoint, record_checkpoint
from audit.context import current_request_id
from audit.models import AuditEvent, reason_context
from vault.sealing import seal_string

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
AUDIT_CHAIN_LOCK = 0x4A75_D17  # any fixed number: every append takes this one lock


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    content = json.dumps(event.canonical_content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = f"{prev_hash}\n{content}".encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def log_event(
    *,
    action: str,
    actor: AbstractBaseUser | None = None,
    object_ref: str = "",
    reason: str = "",
) -> AuditEvent:
    """Append one event to the chain, stamped with the current request's id (audit.context).

    Runs inside the caller's transaction when there is one, so an action that
    rolls back leaves no event, and an event that cannot be written stops the
    action. Appends are serialised by a lock: two writers must not both chain
    onto the same previous event.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # An advisory lock, not LOCK TABLE: it needs no privilege on the table, so the
            # application's database role can be one that may only INSERT and SELECT here.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        seq = (last.seq + 1) if last else 1
        known = actor is not None and actor.is_authenticated
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            # By id: audit names no user model of its own (accounts imports audit, not the reverse).
            actor_id=actor.pk if actor is not None and known else None,
            actor_username=actor.get_username() if actor is not None and known else "",
            action=action,
            object_ref=object_ref[:150],
            sealed_reason=seal_reason(reason, seq=seq),
            request_id=current_request_id(),
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        event.hash = compute_hash(event.prev_hash, event)
        event.save(force_insert=True)
        transaction.on_commit(lambda: _checkpoint_after_commit(event.seq, event.hash))
    return event


def seal_reason(reason: str, *, seq: int) -> str:
    """``reason`` sealed with the organisation key for event ``seq``; "" stays "" (nothing typed)."""
    if not reason:
        return ""
    return seal_string(reason, reason_context(seq))


def _checkpoint_after_commit(seq: int, head: str) -> None:
    # The event is committed whatever happens here: a checkpoint that cannot be
    # written is reported, and the next one (or verify_audit) anchors the chain.
    try:
        record_checkpoint(seq=seq, head=head)
    except Exception:
        logger.exception("audit checkpoint for seq=%s could not be written", seq)


@dataclass(frozen=True)
class ChainReport:
    count: int
    head: str
    error: str = ""
    bad_seq: int | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def verify_chain(batch_size: int = 2000, checkpoint: Checkpoint | None = None) -> ChainReport:
    """Walk the whole chain in order and report the first event that breaks it.

    With a ``checkpoint`` (see audit.checkpoints), the chain must also reach its
    ``seq`` and hold its ``head`` there: this finds a table emptied or cut short
    behind the triggers' back, which the chain alone cannot show.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    count = 0
    events: Iterator[AuditEvent] = AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size)
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(
                count, prev_hash, f"event {expected_seq} is missing (next found is {event.seq})", expected_seq
            )
        if event.prev_hash != prev_hash:
            return ChainReport(count, prev_hash, f"event {event.seq} does not follow event {event.seq - 1}", event.seq)
        if not hmac.compare_digest(event.hash, compute_hash(prev_hash, event)):
            return ChainReport(count, prev_hash, f"event {event.seq} was changed after it was written", event.seq)
        if checkpoint is not None and event.seq == checkpoint.seq and event.hash != checkpoint.head:
            error = f"event {event.seq} is not the one the checkpoint at event {event.seq} names"
            return ChainReport(count, prev_hash, error, event.seq)
        prev_hash = event.hash
        expected_seq += 1
        count += 1
    if checkpoint is not None and count < checkpoint.seq:
        return ChainReport(
            count,
            prev_hash,
            f"the chain ends at event {count}, before the checkpoint at event {checkpoint.seq} "
            f"(written {checkpoint.at}): events were removed",
            count + 1,
        )
    return ChainReport(count, prev_hash)
