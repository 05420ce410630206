from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from defectors.forms import DateInput
from defectors.models import Region
from defectors.once import OneTimeTokenMixin
from support import services
from support.models import (
    Assistance,
    Goal,
    Language,
    Provider,
    Referral,
    ServiceType,
    Shelter,
    SupportSession,
    Task,
    TrainingEnrolment,
)

# Dates a caseworker types are near today: a year 20026 is a typing slip, not a plan.
HORIZON = datetime.timedelta(days=3 * 366)


def _near_today(value: datetime.date | None) -> datetime.date | None:
    if value is not None and abs(value - timezone.localdate()) > HORIZON:
        raise forms.ValidationError(_("Give a date within three years of today."))
    return value


def _not_after_today(value: datetime.date | None, message: Any) -> datetime.date | None:
    """A date of something that has happened: ``message`` (the service's wording) if after today."""
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(message)
    return _near_today(value)


class ProviderForm(OneTimeTokenMixin, forms.ModelForm):
    services = forms.MultipleChoiceField(
        label=_("Services"), choices=ServiceType.choices, widget=forms.CheckboxSelectMultiple
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions served"), choices=Region.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"), choices=Language.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Provider
        fields = ["name", "services", "regions", "languages", "capacity", "availability", "contact", "active"]
        help_texts = {"contact": _("Encrypted. How caseworkers reach the provider; never a link into Haven.")}


class ProviderSearchForm(forms.Form):
    service = forms.ChoiceField(label=_("Service"), choices=[("", _("Any")), *ServiceType.choices], required=False)
    region = forms.ChoiceField(label=_("Region"), choices=[("", _("Any")), *Region.choices], required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Any")), *Language.choices], required=False)


class ShelterForm(OneTimeTokenMixin, forms.ModelForm):
    class Meta:
        model = Shelter
        fields = ["name", "address", "beds", "active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class ShelterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.free})"


class PlacementForm(OneTimeTokenMixin, forms.Form):
    shelter = ShelterChoiceField(
        label=_("Shelter (free beds)"), queryset=Shelter.objects.with_occupancy().filter(active=True)
    )
    checked_in_on = forms.DateField(label=_("Check-in date"), widget=DateInput)
    expected_end = forms.DateField(label=_("Expected end"), widget=DateInput, required=False)

    def clean_checked_in_on(self) -> datetime.date | None:
        return _not_after_today(self.cleaned_data.get("checked_in_on"), services.CHECK_IN_IN_FUTURE)

    def clean_expected_end(self) -> datetime.date | None:
        return _near_today(self.cleaned_data.get("expected_end"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("checked_in_on") and data.get("expected_end") and data["expected_end"] < data["checked_in_on"]:
            self.add_error("expected_end", services.END_BEFORE_CHECK_IN)
        return data


class CheckOutForm(forms.Form):
    checked_out_on = forms.DateField(label=_("Check-out date"), widget=DateInput)

    def __init__(self, *args: Any, checked_in_on: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checked_in_on = checked_in_on  # the placement's, when the form checks one out

    def clean_checked_out_on(self) -> datetime.date | None:
        day = _not_after_today(self.cleaned_data.get("checked_out_on"), services.CHECK_OUT_IN_FUTURE)
        if day is not None and self.checked_in_on is not None and day < self.checked_in_on:
            raise forms.ValidationError(services.CHECK_OUT_BEFORE_CHECK_IN)
        return day


class ReferralForm(OneTimeTokenMixin, forms.ModelForm):
    provider: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.filter(active=True)
    )

    class Meta:
        model = Referral
        fields = ["service_type", "provider", "explicit_consent_on", "note"]
        widgets = {"explicit_consent_on": DateInput, "note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "explicit_consent_on": _("Required for mental health: the day the person agreed to this referral."),
            "note": _("Encrypted, for the case team. It is not sent to the provider."),
        }

    def clean_explicit_consent_on(self) -> datetime.date | None:
        return _not_after_today(self.cleaned_data.get("explicit_consent_on"), services.CONSENT_IN_FUTURE)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        # Only when the date was left empty: a date refused above already says why on the field.
        if (
            data.get("service_type") == ServiceType.MENTAL_HEALTH
            and data.get("explicit_consent_on") is None
            and "explicit_consent_on" not in self.errors
        ):
            self.add_error("explicit_consent_on", services.EXPLICIT_CONSENT_NEEDED)
        return data


class ExplicitConsentForm(forms.Form):
    """The explicit-consent date for a mental-health draft drafted without it."""

    explicit_consent_on = forms.DateField(
        label=_("Explicit consent given on"),
        widget=DateInput,
        help_text=_("The day the person agreed to this referral."),
    )

    def clean_explicit_consent_on(self) -> datetime.date | None:
        return _not_after_today(self.cleaned_data.get("explicit_consent_on"), services.CONSENT_IN_FUTURE)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Referral.Status.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"), max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(
        label=_("Outcome"), max_length=5_000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class TrainingForm(OneTimeTokenMixin, forms.ModelForm):
    provider: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.filter(active=True, services__contains=f",{ServiceType.TRAINING},"),
    )

    class Meta:
        model = TrainingEnrolment
        fields = ["programme", "provider", "starts_on", "ends_on", "attendance", "completed", "certificate_received"]
        widgets = {"starts_on": DateInput, "ends_on": DateInput}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("starts_on", "ends_on"):
            if data.get(name) is not None and abs(data[name] - timezone.localdate()) > HORIZON:
                self.add_error(name, _("Give a date within three years of today."))
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end is before the start."))
        if data.get("starts_on") and data["starts_on"] > timezone.localdate():
            for name in ("completed", "certificate_received"):
                if data.get(name):
                    self.add_error(name, services.NOT_STARTED)
        return data


class SessionForm(OneTimeTokenMixin, forms.ModelForm):
    provider: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.filter(active=True, services__contains=f",{ServiceType.MENTAL_HEALTH},"),
    )

    class Meta:
        model = SupportSession
        fields = ["provider", "planned_on", "attended", "note"]
        widgets = {"planned_on": DateInput, "note": forms.Textarea(attrs={"rows": 2})}

    def clean_planned_on(self) -> datetime.date | None:
        return _near_today(self.cleaned_data.get("planned_on"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("attended") is not None and data.get("planned_on") and data["planned_on"] > timezone.localdate():
            self.add_error("attended", services.NOT_HELD)
        return data


class AssistanceForm(OneTimeTokenMixin, forms.ModelForm):
    class Meta:
        model = Assistance
        fields = ["kind", "amount", "currency", "given_on", "purpose"]
        widgets = {"given_on": DateInput, "purpose": forms.Textarea(attrs={"rows": 2})}
        # The model's own check (not below 0) in the same words, should it ever speak first.
        error_messages = {"amount": {"min_value": services.AMOUNT_NOT_POSITIVE}}

    def clean_amount(self) -> Any:
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(services.AMOUNT_NOT_POSITIVE)
        return amount

    def clean_given_on(self) -> datetime.date | None:
        return _not_after_today(self.cleaned_data.get("given_on"), services.ASSISTANCE_IN_FUTURE)


class DeclineForm(forms.Form):
    """Why a supervisor declines assistance: required, and sealed with the case's key."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason.")},
    )


class GoalForm(OneTimeTokenMixin, forms.ModelForm):
    class Meta:
        model = Goal
        fields = ["title", "target_date"]
        widgets = {"target_date": DateInput}

    def clean_target_date(self) -> datetime.date | None:
        return _near_today(self.cleaned_data.get("target_date"))


class TaskForm(OneTimeTokenMixin, forms.ModelForm):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(
            Q(role=User.Role.CASEWORKER) | Q(role=User.Role.SUPERVISOR), is_active=True
        ).order_by("username"),
        to_field_name="username",
    )

    class Meta:
        model = Task
        fields = ["title", "owner", "due_on"]
        widgets = {"due_on": DateInput}

    def __init__(self, *args: Any, case: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only people who see the case: its caseworker and the supervisors.
        owners = self.fields["owner"].queryset.filter(Q(pk=case.assigned_to_id) | Q(role=User.Role.SUPERVISOR))  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owners  # type: ignore[attr-defined]

    def clean_due_on(self) -> datetime.date | None:
        return _near_today(self.cleaned_data.get("due_on"))
