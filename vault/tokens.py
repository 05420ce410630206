"""Keyed hashes of bearer secrets (session keys, invitation codes) and of cache keys.

A bearer secret (whoever holds it is let in) is kept raw only in the person's
browser or link; the database holds HMAC-SHA256 of it under a key that is not in
the database, so a dump cannot be used as a cookie or a link, nor can a guessed
value be tested against it offline.

The keys are derived (HKDF, one per purpose) from the keyring's blind-index key,
not from a key-encryption key: adding a KEK (``rotate_keys``) leaves every hash
as it is, so a rotation does not sign anyone out or void an open invitation.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Purposes in use; each has its own key, so a hash of one kind never matches another.
SESSION = "session"
INVITATION = "invitation"
# Cache keys (config.cache.make_key): rate limits name the client's address.
CACHE_KEY = "cache-key"


@functools.lru_cache(maxsize=8)
def _derive(root: bytes, purpose: str) -> bytes:
    info = f"haven.bearer-secret|{purpose}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root)


def keyed_hash(purpose: str, secret: str) -> str:
    """HMAC-SHA256 of ``secret`` under ``purpose``'s key: 64 lowercase hex characters.

    ValueError when the keyring has no blind-index key (only before one is loaded).
    """
    root = settings.KEYRING.blind_index_key
    if not root:
        raise ValueError("no keyring is loaded")
    return hmac.new(_derive(root, purpose), secret.encode(), hashlib.sha256).hexdigest()
