from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from accounts.adapters import PRIMARY_FACTORS
from accounts.brake import IdentityRefused
from vault.sessions import LOGIN_AT_SESSION_KEY

# What a signed-in person without a second factor may reach: enrolment and leaving.
ENROLMENT_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_logout",
        "account_reauthenticate",
        "accounts:quick_exit",
        "accounts:stay_signed_in",  # the idle warning shows during enrolment too
    }
)


class SessionPolicyMiddleware:
    """Absolute session lifetime, and no page of Haven kept in any cache.

    The idle timeout is the session's own expiry (SESSION_COOKIE_AGE), renewed by a request
    once it is SESSION_RENEW_SECONDS old (vault.sessions); this adds the hard limit after login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        renew = getattr(request.session, "renew_if_due", None)
        if renew is not None:
            renew()
        if request.user.is_authenticated:
            login_at = request.session.setdefault(LOGIN_AT_SESSION_KEY, time.time())
            if time.time() - login_at > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                messages.info(request, _("Your session reached its time limit. Please log in again."))
                response: HttpResponse = redirect(settings.LOGIN_URL)
                add_never_cache_headers(response)
                return response
        response = self.get_response(request)
        add_never_cache_headers(response)
        # The page's countdown (haven.js) resets from any response, an autosave's included.
        idle_left = getattr(request.session, "idle_seconds_left", None)
        if idle_left is not None and request.user.is_authenticated:
            response["X-Haven-Idle-Seconds"] = str(idle_left())
        return response


class MFARequiredMiddleware:
    """Make the second factor mandatory.

    A signed-in user with no authenticator reaches only MFA enrolment and
    logout. A user who has one must have used it in this session; a session
    that got past the password alone (or was opened any other way) is ended.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, args: Any, kwargs: Any) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        has_factor = Authenticator.objects.filter(user_id=user.pk, type__in=PRIMARY_FACTORS).exists()
        if has_factor:
            records = get_authentication_records(request, user)
            if any(record.get("method") == "mfa" for record in records):
                return None
            logout(request)
            messages.error(request, _("Please log in again with your second factor."))
            return redirect(settings.LOGIN_URL)
        match = request.resolver_match
        if match is not None and match.view_name in ENROLMENT_URL_NAMES:
            return None
        messages.info(request, _("Set up two-factor authentication to continue. Haven requires it for every account."))
        return redirect("mfa_index")


class BrakeMiddleware:
    """Answer an identity read the exfiltration brake refused (accounts.brake.IdentityRefused) with a plain page.

    One place for every view that reads identities: the view only calls ``brake.admit``.
    403, with what happened and whom to ask; the person's other pages keep working.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IdentityRefused):
            return None
        return render(request, "accounts/brake_refused.html", {"message": exception.args[0]}, status=403)
