from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User

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
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Choose a role")), *User.Role.choices])

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
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)


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


def _code_just_used(user: User, code: str) -> bool:
    """True when ``code`` is this user's right TOTP code but was already spent in its period (replay protection)."""
    code = code.strip().replace(" ", "")
    for authenticator in Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP):
        totp = authenticator.wrap()
        secret = decrypt(authenticator.data["secret"])
        if validate_totp_code(secret, code) and cache.get(totp._get_used_cache_key(code)) is not None:
            return True
    return False


class CodeReuseAware:
    """A code used a moment ago is named as such, and is not a failed login (no failure event, no rate-limit hit)."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    user: User

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.fields["code"].widget.attrs.update(CODE_ATTRS)
        self.fields["code"].widget.attrs.pop("placeholder", None)

    def clean_code(self) -> str:
        if _code_just_used(self.user, self.cleaned_data.get("code", "")):
            raise forms.ValidationError(
                _("This code was just used. Wait for the next code in your app (a new one comes every 30 seconds)."),
                code="code_reused",
            )
        return super().clean_code()  # type: ignore[misc, no-any-return]


class MFAAuthenticateForm(CodeReuseAware, AuthenticateForm):
    pass


class MFAReauthenticateForm(CodeReuseAware, ReauthenticateForm):
    pass


class MFAActivateTOTPForm(ActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(CODE_ATTRS)
