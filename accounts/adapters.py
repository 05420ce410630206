from __future__ import annotations

import unicodedata
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from vault.sealing import open_string, seal_string

MFA_CONTEXT = "allauth.mfa.authenticator"


class AccountAdapter(DefaultAccountAdapter):
    """No one signs themselves up: accounts come only from an administrator's invitation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        """The per-account login lock's key: the account, never a request header.

        allauth prefixes the typed login with the request's site, which without
        django.contrib.sites is the Host header: every host name that passes
        ALLOWED_HOSTS (other case, other port) got a fresh budget. allauth also
        uses this key to lift the lock, so overriding it covers both.
        """
        return f"account:{canonical_login(credentials.get('username', ''))}"


def canonical_login(typed: str) -> str:
    """The account a typed username names: an existing user's id, else the normalised text.

    NFKC and case folding, so that "ALICE", " alice " and full-width letters
    count against one budget; resolved to the user so that any spelling that
    reaches the same account shares it. Returns e.g. "user:42" or "login:alice".
    """
    login = unicodedata.normalize("NFKC", typed).casefold().strip()
    user_id = User.objects.filter(username__iexact=login).values_list("pk", flat=True).first()
    return f"user:{user_id}" if user_id is not None else f"login:{login}"


# Types that can stand alone as a second factor; recovery codes only back them up.
PRIMARY_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "This is your last authenticator. Add another one (an app or a security key) before removing it."
        ),
    }

    # TOTP secrets and recovery-code seeds are sealed with the organisation's data
    # key: a database dump shows no second factor.
    def encrypt(self, text: str) -> str:
        return seal_string(text, MFA_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        return open_string(encrypted_text, MFA_CONTEXT)

    def get_totp_label(self, user) -> str:  # type: ignore[no-untyped-def]
        # The label is shown in the person's authenticator app: the username, never an email.
        return user.get_username()

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in PRIMARY_FACTORS:
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=PRIMARY_FACTORS).exclude(
            pk=authenticator.pk
        )
        return others.exists()
