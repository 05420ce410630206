from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.internal.flows.add import validate_can_add_authenticator
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as totp_forms
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import GRANTABLE_ROLES
from accounts.totp import accept_second_factor_code, accept_totp_code, second_factor_code_spent

username_validator = RegexValidator(
    r"^[a-zA-Z0-9][a-zA-Z0-9._-]{2,39}$",
    _("Use 3 to 40 lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit."),
)


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"}),
        validators=[username_validator],
        help_text=_("What the person types to log in. Not their real name: use a work alias."),
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        max_length=254,
        help_text=_("For your records only. Haven sends no email: give the link to the person over a safe channel."),
    )
    # No default: the most powerful role must never be one careless click away.
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[("", _("Choose a role")), *((role.value, role.label) for role in GRANTABLE_ROLES)],
        help_text=_(
            "A supervisor or an administrator enrols with no role: a second administrator approves it on the "
            "account that enrolled."
        ),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()


class AcceptInvitationForm(forms.Form):
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=100,
        help_text=_("The part of your link after the # sign. Opening the link fills it in."),
        widget=forms.TextInput(
            attrs={"data-invitation-code": "", "autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User | None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ. Type the same password twice."))
        elif first and self.user is not None:
            try:
                validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[(role.value, role.label) for role in GRANTABLE_ROLES])


class LoginForm(allauth_forms.LoginForm):
    """allauth's login form, with a visible label on each field and phone-friendly input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Username")
        self.fields["login"].widget.attrs.update(
            {"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false", "autocomplete": "username"}
        )
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)


# A code field a phone fills well: the digit keyboard, and the code the OS offers from an SMS or app.
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}


def _suit_a_phone(field: forms.Field) -> None:
    field.widget.attrs.update(CODE_ATTRS)
    field.widget.attrs.pop("placeholder", None)


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    """Enrolment spends its code like a login does, so it cannot be replayed at login."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _suit_a_phone(self.fields["code"])

    def clean_code(self) -> str:
        validate_can_add_authenticator(self.user)
        clear_rate_limit = check_rate_limit(self.user, error_key="rate_limited")
        code = self.cleaned_data["code"]
        if not accept_totp_code(user_id=self.user.pk, secret=self.secret, code=code):
            raise get_mfa_adapter().validation_error("incorrect_code")
        clear_rate_limit()
        return code


class _SpendsCode:
    """allauth's code check for login and re-authentication, through accept_second_factor_code.

    A right code already spent (a double submit, or a second device a moment
    later) is named as such and is not a failed login: no failure event, no
    step towards the rate limit. It is refused all the same.
    """

    fields: dict[str, forms.Field]
    user: Any
    authenticator: Any
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        _suit_a_phone(self.fields["code"])

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if second_factor_code_spent(user=self.user, code=code):
            raise forms.ValidationError(
                _("This code was just used. Wait for the next code in your app (a new one comes every 30 seconds)."),
                code="code_reused",
            )
        clear_rate_limit = check_rate_limit(self.user)
        authenticator = accept_second_factor_code(user=self.user, code=code)
        if authenticator is None:
            typed = Authenticator.objects.filter(user=self.user).exclude(type=Authenticator.Type.WEBAUTHN)
            # Failure is announced to the main factor only, as allauth does.
            main = min(typed, key=lambda a: a.type != Authenticator.Type.TOTP, default=None)
            if main is not None:
                self._emit_authentication_failed(main)  # type: ignore[attr-defined]
            raise get_mfa_adapter().validation_error("incorrect_code")
        authenticator.user = self.user
        self.authenticator = authenticator
        clear_rate_limit()
        return code


class AuthenticateForm(_SpendsCode, mfa_forms.AuthenticateForm):
    pass


class ReauthenticateForm(_SpendsCode, mfa_forms.ReauthenticateForm):
    pass


class LiftBrakeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why may this person read identities again?"),
        min_length=3,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Sealed in the audit trail. Check with the person, and with an auditor who has read their events, first."
        ),
    )
