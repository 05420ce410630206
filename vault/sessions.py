"""Database sessions sealed with the organisation key.

Django signs session data but does not encrypt it, and sessions briefly hold
things a seized database must not show: allauth's pending TOTP secret during
enrolment, a freshly issued invitation link. Each row is sealed with AES-GCM,
bound to its session key; a row that does not open is an empty session (the
person logs in again), never an error.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from vault.crypto import Damaged
from vault.keys import ShreddedKey
from vault.sealing import open_string, seal_string


class SessionStore(DatabaseSessionStore):
    def _context(self) -> str:
        return f"django.session|{self._session_key}"

    def encode(self, session_dict: dict[str, Any]) -> str:
        return seal_string(json.dumps(session_dict, separators=(",", ":")), self._context())

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode()
        try:
            return json.loads(open_string(session_data, self._context()))
        except (Damaged, ShreddedKey, ValueError):
            return {}
