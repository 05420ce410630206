"""Key rotation, crypto-shredding and blind-index rebuilding.

Imports nothing of ``audit``: callers that shred write the audit event, in the
same transaction (tests/test_dependencies.py holds the direction).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from vault import keys
from vault.fields import BlindIndexField, RecordDamaged
from vault.models import DataKey


def rotate_keys(
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] | None = None,
    after_batch: Callable[[], None] | None = None,
) -> int:
    """Rewrap every data key that is not under the active KEK; returns how many.

    Each batch is one transaction that rewraps and records the new KEK id
    together, so an interrupted run leaves every key readable, either under
    the old KEK or the new one, and running again finishes the rest.
    """
    active = settings.KEYRING.active_id
    pending = DataKey.objects.filter(shredded_at__isnull=True).exclude(kek_id=active)
    total, done = pending.count(), 0
    while True:
        with transaction.atomic():
            batch = list(pending.select_for_update(skip_locked=True).order_by("id")[:batch_size])
            if not batch:
                break
            now = timezone.now()
            for key in batch:
                plain = keys.unwrap_bytes(key.id, key.kek_id, bytes(key.wrapped or b""))
                key.kek_id, key.wrapped = keys.wrap(key.id, plain)
                key.rotated_at = now
            DataKey.objects.bulk_update(batch, ["kek_id", "wrapped", "rotated_at"])
        done += len(batch)
        if progress:
            progress(done, max(total, done))
        if after_batch:
            after_batch()
    return done


@dataclass(frozen=True)
class KeyringStatus:
    active_id: str
    wrapped_by: dict[str, int]  # KEK id -> live data keys it wraps
    missing: list[str]  # KEK ids that wrap data keys but are not in the keyring
    shredded: int


def keyring_status() -> KeyringStatus:
    counts = Counter(
        dict(
            DataKey.objects.filter(shredded_at__isnull=True)
            .values_list("kek_id")
            .annotate(n=models.Count("id"))
            .values_list("kek_id", "n")
        )
    )
    keyring = settings.KEYRING
    wrapped_by = {kek_id: counts.get(kek_id, 0) for kek_id in keyring.keks}
    missing = sorted(kek_id for kek_id in counts if kek_id not in keyring.keks)
    return KeyringStatus(
        keyring.active_id, wrapped_by, missing, DataKey.objects.filter(shredded_at__isnull=False).count()
    )


def _owned_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if getattr(model, "VAULT_KEY", "organisation") != "organisation"]


@transaction.atomic
def shred(*, owner: models.Model) -> bool:
    """Destroy an owner's data key: every value sealed with it is unreadable from now on.

    Returns False when it was already shredded. Writes no audit event: call it
    inside the caller's transaction after the caller's event, so a shred that
    cannot be recorded does not happen. Blind-index tags of the owner's rows go
    too, so they cannot link the shredded person to anything. Raises ValueError
    for a record that does not own its data key.
    """
    path: str = owner.VAULT_KEY  # type: ignore[attr-defined]
    if path == "organisation" or "__" in path:
        raise ValueError("only a record that owns its data key can be shredded")
    key = DataKey.objects.select_for_update().get(pk=getattr(owner, f"{path}_id"))
    if key.is_shredded:
        return False
    shred_data_keys(key_ids=[key.pk])
    return True


@transaction.atomic
def shred_data_keys(*, key_ids: Iterable[uuid.UUID | str], batch_size: int = 500) -> list[uuid.UUID]:
    """Destroy the live owner data keys among ``key_ids`` and clear their rows' blind-index tags.

    Returns the ids destroyed now (already shredded or unknown ids are
    skipped). Writes no audit event: ``shred`` and a restore that re-applies
    a backup's shred list each record their own. The organisation key is
    never destroyed here.
    """
    wanted = [uuid.UUID(str(key_id)) for key_id in key_ids]
    destroyed: list[uuid.UUID] = []
    now = timezone.now()
    for start in range(0, len(wanted), batch_size):
        live = list(
            DataKey.objects.select_for_update()
            .filter(pk__in=wanted[start : start + batch_size], shredded_at__isnull=True, purpose=DataKey.Purpose.OWNER)
            .values_list("pk", flat=True)
        )
        if not live:
            continue
        DataKey.objects.filter(pk__in=live).update(wrapped=None, shredded_at=now)
        for model in _owned_models():
            indexes: dict[str, Any] = {
                field.attname: None for field in model._meta.concrete_fields if isinstance(field, BlindIndexField)
            }
            if indexes:
                lookup = f"{model.VAULT_KEY}__in"  # type: ignore[attr-defined]
                model._base_manager.filter(**{lookup: live}).update(**indexes)
            forget = getattr(model, "forget_index_rows", None)
            if forget is not None:
                forget(live)  # tags kept in other tables (a case's aliases) go too
            mark = getattr(model, "mark_shredded", None)
            if mark is not None and model.VAULT_KEY == "data_key":  # type: ignore[attr-defined]
                mark(live, now)  # the owner says so itself (a case: closed, shredded_at)
        destroyed += live
    return destroyed


def _write_tags(model: type[models.Model], indexes: list[BlindIndexField], rows: list[Any]) -> None:
    # One UPDATE per row, pipelined by executemany: several times faster than
    # bulk_update's CASE expressions, which Django builds in Python row by row.
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    assignments = ", ".join(f"{quote(index.column)} = %s" for index in indexes)
    # Names from the model's metadata, quoted; every value is a parameter.
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    params = [
        [*(getattr(row, index.attname) for index in indexes), pk.get_db_prep_value(row.pk, connection)] for row in rows
    ]
    if not params:
        return
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def rebuild_blind_indexes(
    *,
    batch_size: int = 1000,
    progress: Callable[[str, int, str], None] | None = None,
    resume_after: tuple[str, str] | None = None,
) -> int:
    """Recompute every blind-index tag, a batch per transaction; returns the number of rows done.

    Run after a change to the canonical forms (vault/normalise.py), to
    HAVEN_BLIND_INDEX_BITS, or to Python's or ICU's Unicode data. Models go in
    label order and rows in primary-key order; ``progress(label, rows done,
    last primary key)`` follows each batch, and ``resume_after=(label, primary
    key)`` starts after that row, so an interrupted run continues where it
    stopped. Tags kept in other tables are refreshed through the model's
    ``refresh_index_rows``.
    """
    from vault.fields import blind_tag

    total = 0
    indexed = [
        (model, [field for field in model._meta.concrete_fields if isinstance(field, BlindIndexField)])
        for model in sorted(apps.get_models(), key=lambda model: model._meta.label)
    ]
    labels = [model._meta.label for model, indexes in indexed if indexes]
    if resume_after is not None and resume_after[0] not in labels:
        raise ValueError(f"no blind indexes on {resume_after[0]}")
    for model, indexes in indexed:
        if not indexes:
            continue
        label, done, last = model._meta.label, 0, None
        if resume_after is not None:
            if label != resume_after[0]:
                continue  # finished in the interrupted run
            last, resume_after = model._meta.pk.to_python(resume_after[1]), None  # type: ignore[union-attr]
        manager = model.objects  # type: ignore[attr-defined]
        while True:
            with transaction.atomic(), keys.key_scope():
                rows = manager.order_by("pk")
                if last is not None:
                    rows = rows.filter(pk__gt=last)
                batch = list(rows[:batch_size])
                if not batch:
                    break
                changed = []
                for row in batch:
                    old = [getattr(row, index.attname) for index in indexes]
                    for index in indexes:
                        try:
                            values = [getattr(row, source) for source in index.sources]
                        except RecordDamaged:
                            continue  # keeps its old tag; the damage shows wherever the row is opened
                        setattr(row, index.attname, blind_tag(model, index.name, values))
                    if [getattr(row, index.attname) for index in indexes] != old:
                        changed.append(row)
                _write_tags(model, indexes, changed)  # only rows whose tags changed: most, or few
                refresh = getattr(model, "refresh_index_rows", None)
                if refresh is not None:
                    refresh(batch)
            last = batch[-1].pk
            done += len(batch)
            if progress:
                progress(label, done, str(last))
        total += done
    return total
