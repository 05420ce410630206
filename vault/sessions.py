"""Database sessions: the key stored only as a keyed hash, the data sealed with the organisation key.

The cookie holds the session key; the row (vault.models.Session) is stored under
its keyed hash (vault.tokens), so a dump of the table, or SQL injection that
reads it, yields no value that works as a cookie.

Django signs session data but does not encrypt it, and sessions briefly hold
things a seized database must not show: allauth's pending TOTP secret during
enrolment, a freshly issued invitation link. Each row is sealed with AES-GCM,
bound to the raw session key, which the database never holds; a row that does
not open is an empty session (the person logs in again), never an error.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY as USER_ID_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone

from vault import tokens
from vault.crypto import Damaged
from vault.keys import ShreddedKey
from vault.models import Session
from vault.sealing import open_string, seal_string

# What the row keeps in plain columns besides the user, set in the session by whoever
# signs the person in (accounts.receivers): {"network": str, "browser": str, "signed_in_at": float},
# already coarsened.
ROW_KEY = "haven_session_row"
# When the person signed in (time.time()), set by accounts.receivers: the absolute limit
# (SESSION_MAX_HOURS) counts from it (accounts.middleware.SessionPolicyMiddleware).
LOGIN_AT_SESSION_KEY = "haven_login_at"


def stored_key(session_key: str) -> str:
    """The row's primary key for a cookie's session key: its keyed hash (64 hex characters)."""
    return tokens.keyed_hash(tokens.SESSION, session_key)


class SessionStore(DatabaseSessionStore):
    # The loaded row's expiry (None before loading, or when no live row was found).
    stored_expiry: datetime | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def _validate_session_key(self, key: str | None) -> bool:
        # Django makes 32 characters; a longer value (a stored hash sent as a cookie) is no key.
        return bool(key) and 8 <= len(key or "") <= 40

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

    def load(self) -> dict[str, Any]:
        row = self._get_session_from_db()
        self.stored_expiry = row.expire_date if row else None
        return self.decode(row.session_data) if row else {}

    def renew_if_due(self) -> None:
        """Have this request save the session (renewing the idle timeout) if its stored expiry is
        more than SESSION_RENEW_SECONDS old, or if it has none yet.

        Loads the session. A request that finds no live session (no cookie, expired, unknown
        key) renews nothing. Django saves a session whose ``modified`` is set at the end of the
        request (SessionMiddleware), as it does for any change.
        """
        if not self.session_key or not self._session:  # type: ignore[attr-defined]  # Django's, not in django-stubs
            return
        if self.stored_expiry is None:
            self.modified = True
            return
        left = (self.stored_expiry - timezone.now()).total_seconds()
        if left < self.get_session_cookie_age() - settings.SESSION_RENEW_SECONDS:
            self.modified = True

    def idle_seconds_left(self) -> int:
        """Seconds until this session ends if nothing else is sent: the full SESSION_COOKIE_AGE
        when this request saves it, else what its stored expiry leaves; never more than the
        absolute limit (SESSION_MAX_HOURS after signing in) leaves."""
        age = self.get_session_cookie_age()
        idle = age
        if not self.modified and self.stored_expiry is not None:
            idle = math.ceil((self.stored_expiry - timezone.now()).total_seconds())
        login_at = self.get(LOGIN_AT_SESSION_KEY)
        if isinstance(login_at, int | float):
            idle = min(idle, math.floor(login_at + settings.SESSION_MAX_HOURS * 3600 - time.time()))
        return max(0, min(age, idle))

    # Every lookup goes through the keyed hash; the raw key never reaches a query.

    def _get_session_from_db(self) -> Session | None:
        row = Session.objects.filter(
            session_key=stored_key(self._session_key or ""), expire_date__gt=timezone.now()
        ).first()
        if row is None:
            self._session_key = None
        return row

    async def _aget_session_from_db(self) -> Session | None:
        return await sync_to_async(self._get_session_from_db)()

    def exists(self, session_key: str) -> bool:
        return Session.objects.filter(session_key=stored_key(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await sync_to_async(self.exists)(session_key)

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        key = self._get_or_create_session_key()  # type: ignore[attr-defined]  # Django's, not in django-stubs
        return Session(
            session_key=stored_key(key),
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=_user_id(data),
            **_row_columns(data),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        return await sync_to_async(self.create_model_instance)(data)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key:
            Session.objects.filter(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        await sync_to_async(self.delete)(session_key)


def _user_id(data: dict[str, Any]) -> int | None:
    try:
        return int(data[USER_ID_KEY])
    except (KeyError, TypeError, ValueError):
        return None


def _row_columns(data: dict[str, Any]) -> dict[str, Any]:
    row = data.get(ROW_KEY)
    if not isinstance(row, dict):
        return {}
    since = row.get("signed_in_at")
    return {
        "network": str(row.get("network", ""))[:50],
        "browser": str(row.get("browser", ""))[:50],
        "signed_in_at": datetime.fromtimestamp(since, UTC) if isinstance(since, int | float) else None,
    }
