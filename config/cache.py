"""A serializer for Django's Redis cache that can only ever build data, never run code.

Django's default RedisSerializer pickles, and unpickling runs whatever the bytes
ask for: anyone able to write one key into Redis would run code in the web
process, which holds the keyring. JSON cannot do that.
"""

from __future__ import annotations

import json
from typing import Any


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
