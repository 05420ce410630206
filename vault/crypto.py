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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
HEADER = 1 + 16
NONCE = 12
PAD_TO = 16


class Damaged(Exception):
    """A ciphertext that does not open: changed, moved, truncated or under another key."""


def _pad(data: bytes) -> bytes:
    # ISO/IEC 7816-4: a 0x80 marker, then zeros up to the block size.
    padding = PAD_TO - (len(data) + 1) % PAD_TO
    return data + b"\x80" + b"\x00" * (padding % PAD_TO)


def _unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise Damaged("bad padding")
    return stripped[:-1]


def seal(key: bytes, key_id: uuid.UUID, plaintext: bytes, context: bytes) -> bytes:
    header = bytes([VERSION]) + key_id.bytes
    nonce = os.urandom(NONCE)
    return header + nonce + AESGCM(key).encrypt(nonce, _pad(plaintext), header + context)


def key_id_of(sealed: bytes) -> uuid.UUID:
    if len(sealed) < HEADER + NONCE + 16 or sealed[0] != VERSION:
        raise Damaged("unknown format or too short")
    return uuid.UUID(bytes=sealed[1:HEADER])


def open_sealed(key: bytes, key_id: uuid.UUID, sealed: bytes, context: bytes) -> bytes:
    if key_id_of(sealed) != key_id:
        raise Damaged("sealed under another data key")
    header, nonce, body = sealed[:HEADER], sealed[HEADER : HEADER + NONCE], sealed[HEADER + NONCE :]
    try:
        return _unpad(AESGCM(key).decrypt(nonce, body, header + context))
    except InvalidTag:
        raise Damaged("authentication failed")


TEXT_PREFIX = "hv1:"


def seal_text(key: bytes, key_id: uuid.UUID, text: str, context: bytes) -> str:
    """A sealed string as text (for JSON columns): ``hv1:`` and base64."""
    return TEXT_PREFIX + base64.b64encode(seal(key, key_id, text.encode(), context)).decode()


def open_text(key: bytes, key_id: uuid.UUID, value: str, context: bytes) -> str:
    if not value.startswith(TEXT_PREFIX):
        raise Damaged("not a sealed string")
    try:
        sealed = base64.b64decode(value[len(TEXT_PREFIX) :], validate=True)
    except ValueError:
        raise Damaged("not base64") from None
    return open_sealed(key, key_id, sealed, context).decode()
