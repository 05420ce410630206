"""Django's Redis cache as Haven uses it: keys that name no one, values that cannot run code.

Django's default RedisSerializer pickles, and unpickling runs whatever the bytes
ask for: anyone able to write one key into Redis would run code in the web
process, which holds the keyring. JSON cannot do that.

Cache keys are stored as a keyed hash (``make_key``): allauth's rate limits put
the client's address in the key (``allauth:rl:login:...:ip:203.0.113.7``), and a
staff member's address is personal data about someone who is at risk too. A copy
of Redis then shows which limits are counting, never for whom.
"""

from __future__ import annotations

import json
from typing import Any

from vault.tokens import CACHE_KEY, keyed_hash


def make_key(key: str, key_prefix: str, version: int) -> str:
    """CACHES' KEY_FUNCTION: ``"<prefix>:<version>:<64 hex>"``, the last part HMAC-SHA256 of ``key``.

    The same key always maps to the same stored key in every process (the
    keyring's blind-index key is shared), so counters still count across web
    replicas; nothing can be listed back to an address or a username.
    """
    return f"{key_prefix}:{version}:{keyed_hash(CACHE_KEY, key)}"


class JSONSerializer:
    """Values as compact UTF-8 JSON; plain ints stay raw so ``incr`` stays atomic in Redis.

    Tuples come back as lists (allauth's rate limits and Haven's code store only
    lists, numbers, strings and booleans). ``loads`` raises ValueError on bytes that
    are not JSON, a planted pickle included, instead of guessing.
    """

    def __init__(self, protocol: object = None) -> None:
        pass  # Django passes the pickle protocol; JSON has none

    def dumps(self, obj: Any) -> bytes | int:
        if type(obj) is int:  # not bool: True must come back as True
            return obj
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()

    def loads(self, data: bytes) -> Any:
        try:
            return int(data)
        except ValueError:
            return json.loads(data.decode())
