"""Data keys: making, wrapping, unwrapping, and the per-request memory of unwrapped keys.

Unwrapped keys live in process memory only: on the DataKey instance that a
query loaded, and in a per-request map that the middleware empties when the
request ends. They never reach the cache, Redis, logs or Celery.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, transaction

from vault.crypto import NONCE, Damaged, OpenKey

if TYPE_CHECKING:
    from vault.models import DataKey

# Open keys by data key id, and the organisation's DataKey under "organisation".
_scope: ContextVar[dict[object, object] | None] = ContextVar("haven_vault_keys", default=None)


class ShreddedKey(Exception):
    """The data key was destroyed on purpose: what it sealed can never be read again."""


def _context(key_id: uuid.UUID, kek_id: str) -> bytes:
    # Binds a wrapped key to its row and KEK: swapping wrapped keys between rows fails.
    return b"haven.datakey|" + key_id.bytes + b"|" + kek_id.encode()


def wrap(key_id: uuid.UUID, plain: bytes) -> tuple[str, bytes]:
    keyring = settings.KEYRING
    nonce = secrets.token_bytes(NONCE)
    kek_id = keyring.active_id
    return kek_id, nonce + AESGCM(keyring.active_key).encrypt(nonce, plain, _context(key_id, kek_id))


def unwrap_bytes(key_id: uuid.UUID, kek_id: str, wrapped: bytes) -> bytes:
    kek = settings.KEYRING.kek(kek_id)
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE], wrapped[NONCE:], _context(key_id, kek_id))
    except InvalidTag:
        raise Damaged(f"data key {key_id} does not unwrap") from None


def _fresh_key(purpose: str) -> DataKey:
    from vault.models import DataKey

    key = DataKey(purpose=purpose)
    plain = secrets.token_bytes(32)
    key.kek_id, key.wrapped = wrap(key.id, plain)
    key._open = OpenKey.from_bytes(key.id, plain)
    return key


def new_data_key(purpose: str = "owner") -> DataKey:
    """A fresh data key, saved wrapped under the active KEK; usable at once."""
    key = _fresh_key(purpose)
    key.save(force_insert=True)
    return key


def new_data_keys(count: int, *, batch_size: int = 1000) -> list[DataKey]:
    """``count`` fresh owner keys, saved in one INSERT per ``batch_size``; each usable at once.

    For bulk writes (demo data, imports): give one to each new owner before its
    ``bulk_create``. Call inside the caller's transaction, so that keys and owners
    are written, or not, together.
    """
    from vault.models import DataKey

    made = [_fresh_key(DataKey.Purpose.OWNER) for _ in range(count)]
    return DataKey.objects.bulk_create(made, batch_size=batch_size)


def open_key_parts(key_id: uuid.UUID, kek_id: str, wrapped: bytes | None) -> OpenKey:
    """The open key for these stored columns: from the request's memory, or by unwrapping."""
    if wrapped is None:
        raise ShreddedKey(str(key_id))
    scope = _scope.get()
    if scope is not None and key_id in scope:
        return scope[key_id]  # type: ignore[return-value]
    key = OpenKey.from_bytes(key_id, unwrap_bytes(key_id, kek_id, bytes(wrapped)))
    if scope is not None:
        scope[key_id] = key
    return key


def open_key(key: DataKey) -> OpenKey:
    if key.is_shredded:
        raise ShreddedKey(str(key.id))
    if key._open is None:
        key._open = open_key_parts(key.id, key.kek_id, key.wrapped)
    return key._open


def organisation_key() -> DataKey:
    from vault.models import DataKey

    scope = _scope.get()
    if scope is not None and "organisation" in scope:
        return scope["organisation"]  # type: ignore[return-value]
    key = DataKey.objects.filter(purpose=DataKey.Purpose.ORGANISATION).first()
    if key is None:
        try:
            with transaction.atomic():
                key = new_data_key(DataKey.Purpose.ORGANISATION)
        except IntegrityError:  # another process made it first
            key = DataKey.objects.get(purpose=DataKey.Purpose.ORGANISATION)
    if scope is not None:
        scope["organisation"] = key
    return key


@contextmanager
def key_scope() -> Iterator[None]:
    """Remember unwrapped keys until the block ends (a request, a command, a task)."""
    token = _scope.set({})
    try:
        yield
    finally:
        _scope.reset(token)
