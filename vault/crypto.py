"""AES-256-GCM sealing, the one primitive under every encrypted value in Haven.

A sealed value is ``version (1) | key id (16) | nonce (12) | ciphertext + tag``.
The header and the caller's context (table, row, field) are the associated
data, so a ciphertext moved to another row, field or key fails to open.
Plaintexts are padded to a multiple of 16 bytes so that lengths say little.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
HEADER = 1 + 16
NONCE = 12
PAD_TO = 16


class Damaged(Exception):
    """A ciphertext that does not open: changed, moved, truncated or under another key."""


@dataclass(frozen=True, slots=True)
class OpenKey:
    """An unwrapped data key, ready to use: its id and its AES-GCM cipher (key schedule done once)."""

    id: bytes  # the data key's UUID, 16 bytes
    cipher: AESGCM

    @classmethod
    def from_bytes(cls, key_id: uuid.UUID, key: bytes) -> OpenKey:
        return cls(key_id.bytes, AESGCM(key))


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4: a 0x80 marker, then zeros up to the block size.
    padding = PAD_TO - (len(data) + 1) % PAD_TO
    return data + b"\x80" + b"\x00" * (padding % PAD_TO)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise Damaged("bad padding")
    return stripped[:-1]


def seal(key: OpenKey, plaintext: bytes, context: bytes) -> bytes:
    header = bytes([VERSION]) + key.id
    nonce = os.urandom(NONCE)
    return header + nonce + key.cipher.encrypt(nonce, _pad(plaintext), header + context)


def key_id_of(sealed: bytes) -> uuid.UUID:
    if len(sealed) < HEADER + NONCE + 16 or sealed[0] != VERSION:
        raise Damaged("unknown format or too short")
    return uuid.UUID(bytes=sealed[1:HEADER])


def open_sealed(key: OpenKey, sealed: bytes, context: bytes) -> bytes:
    if len(sealed) < HEADER + NONCE + 16 or sealed[0] != VERSION:
        raise Damaged("unknown format or too short")
    if sealed[1:HEADER] != key.id:
        raise Damaged("sealed under another data key")
    try:
        plain = key.cipher.decrypt(sealed[HEADER : HEADER + NONCE], sealed[HEADER + NONCE :], sealed[:HEADER] + context)
    except InvalidTag:
        raise Damaged("authentication failed") from None
    return _unpad(plain)


TEXT_PREFIX = "hv1:"


def seal_text(key: OpenKey, text: str, context: bytes) -> str:
    """A sealed string as text (for JSON columns): ``hv1:`` and base64."""
    return TEXT_PREFIX + base64.b64encode(seal(key, text.encode(), context)).decode()


def open_text(key: OpenKey, value: str, context: bytes) -> str:
    if not value.startswith(TEXT_PREFIX):
        raise Damaged("not a sealed string")
    try:
        sealed = base64.b64decode(value[len(TEXT_PREFIX) :], validate=True)
    except ValueError:
        raise Damaged("not base64") from None
    return open_sealed(key, sealed, context).decode()
