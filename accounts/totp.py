"""Accepting a TOTP code: the one step every path (enrolment, login, re-authentication) takes.

allauth checks the enrolment code without marking it used, and marks login
codes used for one period (30 s) although, with one period of tolerance, a code
is valid for three. Here a code is accepted at most once, for as long as it is
valid, whichever path it arrives by.
"""

from __future__ import annotations

from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from allauth.mfa.utils import decrypt
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache


def accept_totp_code(*, user_id: object, secret: str, code: str) -> bool:
    """True when ``code`` is valid for ``secret`` now and was not accepted before.

    ``user_id`` is the account's primary key; ``secret`` the base32 TOTP secret.
    The time step that matched is marked used in the shared cache (Redis) until
    it can no longer be valid, atomically (``cache.add``), so two concurrent
    requests with one code cannot both succeed. Raises nothing; a code that is
    malformed is simply not accepted.
    """
    for counter in yield_hotp_counters_from_time():
        if compare_user_code(actual=code, expected=format_hotp_value(hotp_value(secret, counter))):
            return cache.add(f"haven.totp.used:{user_id}:{counter}", "1", timeout=_window_seconds())
    return False


def _window_seconds() -> int:
    # A step is valid from TOLERANCE periods before it to TOLERANCE periods after
    # it: keep it used for the whole span, plus a period for clock edges.
    return (2 * app_settings.TOTP_TOLERANCE + 2) * app_settings.TOTP_PERIOD


def accept_second_factor_code(*, user: AbstractBaseUser, code: str) -> Authenticator | None:
    """The user's authenticator that accepts ``code`` (and spends it), or None.

    The app (TOTP) is tried first, then recovery codes, which allauth marks used
    in the database. Security keys take no typed code.
    """
    authenticators = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    )
    for authenticator in sorted(authenticators, key=lambda a: a.type != Authenticator.Type.TOTP):
        if authenticator.type == Authenticator.Type.TOTP:
            accepted = accept_totp_code(user_id=user.pk, secret=decrypt(authenticator.data["secret"]), code=code)
        else:
            accepted = authenticator.wrap().validate_code(code)
        if accepted:
            return authenticator
    return None
