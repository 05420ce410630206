"""Audit events for what django.contrib.auth and allauth do on their own.

Login, logout and authenticator changes happen inside those libraries, which
announce them only by signal, so the receivers here are the interface layer
that turns each announcement into one audit event. They hold no other logic.
"""

from __future__ import annotations

import time
from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.account.signals import password_changed
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.clients import session_row
from audit.services import log_event
from vault.sessions import LOGIN_AT_SESSION_KEY, ROW_KEY


@receiver(user_logged_in)
def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_SESSION_KEY] = time.time()
        request.session[ROW_KEY] = session_row(request)
    log_event(action="accounts.login", actor=user, object_ref=user.get_username())


@receiver(user_logged_out)
def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    log_event(action="accounts.logout", actor=user, object_ref=user.get_username())


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Name the account only when it exists: what someone typed into the username
    # field may be a password or a defector's name, and must not be kept.
    typed = str(credentials.get("username") or "")
    account = get_user_model().objects.filter(username__iexact=typed).first() if typed else None
    log_event(
        action="accounts.login.failed",
        object_ref=account.get_username() if account else "",
        reason="password",
    )


@receiver(authenticator_added)
def on_authenticator_added(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    # Enrolling proves possession of the new factor (a valid code or a signed
    # challenge), so this session counts as having passed MFA.
    record_authentication(request, user, method="mfa", type=authenticator.type, enrolled=True)
    log_event(
        action="accounts.mfa.added",
        actor=user,
        object_ref=user.get_username(),
        reason=str(authenticator.type),
    )


@receiver(authenticator_removed)
def on_authenticator_removed(sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any) -> None:
    log_event(
        action="accounts.mfa.removed",
        actor=user,
        object_ref=user.get_username(),
        reason=str(authenticator.type),
    )


@receiver(authentication_failed)
def on_second_factor_failed(
    sender: Any, request: HttpRequest, user: Any, reauthentication: bool = False, **kwargs: Any
) -> None:
    log_event(
        action="accounts.login.failed",
        object_ref=user.get_username(),
        reason="second factor (reauthentication)" if reauthentication else "second factor",
    )


@receiver(password_changed)
def on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # A changed password is how a phished account is taken over: the auditor must see it.
    log_event(action="accounts.password.changed", actor=user, object_ref=user.get_username())
