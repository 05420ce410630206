"""The password check, answering a deactivated account exactly as a wrong password."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.base_user import AbstractBaseUser


class HavenAuthenticationBackend(AuthenticationBackend):
    """allauth's backend, without its "account inactive" page.

    allauth remembers a deactivated user whose password was right and sends
    the browser to /accounts/inactive/: that tells whoever holds a stolen
    password that it is correct, before any second factor. Here that user is
    never remembered, so the login form says only that the credentials are not
    correct, as it does for a wrong password.
    """

    @classmethod
    def _stash_user(cls, user: AbstractBaseUser | None) -> AbstractBaseUser | None:
        return None
