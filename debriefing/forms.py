from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from debriefing.models import DebriefTemplate, Incident, IntelligenceItem, Review
from debriefing.structure import DateInput, TextField
from defectors.models import CODE_ALPHABET, Region
from vault.normalise import canonical_identifier

MAX_XLSFORM_BYTES = 5 * 1024 * 1024
NOT_CHOSEN = ("", "—")  # the first option of a choice with no default: unanswered until someone chooses


class ScheduleForm(forms.Form):
    case_code = forms.CharField(
        label=_("Case code"),
        max_length=40,
        help_text=_("As on the case, e.g. HV-7K3Q-M9ZD: small letters, spaces and Burmese digits are fine."),
    )
    debriefer = forms.ModelChoiceField(
        label=_("Debriefer"),
        queryset=User.objects.filter(role=User.Role.DEBRIEFER, is_active=True).order_by("username"),
        to_field_name="username",
    )
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=DebriefTemplate.objects.filter(status=DebriefTemplate.Status.PUBLISHED)
    )
    scheduled_for = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_code"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean_case_code(self) -> str:
        """``HV-XXXX-XXXX`` however it was typed: small letters, spaces, any dash, Myanmar or
        full-width digits (vault.normalise.canonical_identifier), or no dashes at all."""
        typed = canonical_identifier(self.cleaned_data["case_code"])
        if len(typed) != 10 or not typed.startswith("HV") or any(c not in CODE_ALPHABET for c in typed[2:]):
            raise forms.ValidationError(
                _("A case code is HV and two groups of four letters or digits, e.g. HV-7K3Q-M9ZD.")
            )
        return f"HV-{typed[2:6]}-{typed[6:]}"


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve or return.")},
    )
    comment = TextField(
        label=_("Comments for the debriefer"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == Review.Decision.RETURN and not data.get("comment", "").strip():
            self.add_error("comment", _("Say what needs changing when you return a debrief."))
        return data


class AddendumForm(forms.Form):
    question = forms.ChoiceField(
        label=_("Question"), error_messages={"required": _("Choose the question this corrects.")}
    )
    text = TextField(label=_("Correction"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, questions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["question"].choices = [NOT_CHOSEN, *questions]  # type: ignore[attr-defined]


class SubmitForm(forms.Form):
    """The confirmation of submit: the answers it said would be left out (question refs, no answers)."""

    dropping = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20_000, strip=True)

    def clean_dropping(self) -> list[str]:
        return str(self.cleaned_data["dropping"]).split()


class OneTimeTokenMixin(forms.Form):
    """A hidden token made when the form is shown: sending the same form twice records one row."""

    form_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)


class ItemForm(OneTimeTokenMixin, forms.ModelForm):
    # Each choice starts empty (the model fields have no default): nothing is chosen for the debriefer.
    class Meta:
        model = IntelligenceItem
        fields = ["category", "summary", "urgent", "reliability", "credibility"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"summary": TextField}  # line breaks counted as the browser counts them
        error_messages = {
            "category": {"required": _("Choose the category.")},
            "reliability": {"required": _("Choose how reliable the source is.")},
            "credibility": {"required": _("Choose how credible the information is.")},
        }


class IncidentForm(OneTimeTokenMixin, forms.ModelForm):
    # An empty first option: a region nobody chose is refused, never saved as the first in the list.
    region = forms.ChoiceField(
        label=_("State or region"),
        choices=[NOT_CHOSEN, *Region.choices],
        error_messages={"required": _("Choose the state or region where it happened.")},
    )

    class Meta:
        model = Incident
        # No consent field: testimony consent is the case's (defectors.Consent), read at export.
        fields = ["violation", "date_from", "date_to", "region", "township", "perpetrator_unit", "victims", "summary"]
        widgets = {"date_from": DateInput, "date_to": DateInput, "summary": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"summary": TextField}
        error_messages = {"violation": {"required": _("Choose the violation.")}}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The last day cannot be before the first."))
        victims = data.get("victims")
        if victims is not None and not 0 <= victims <= 1_000_000:
            self.add_error("victims", _("Give a number from 0 to 1,000,000."))
        return data


class ImportForm(forms.Form):
    xlsform = forms.FileField(label=_("XLSForm (.xlsx)"))

    def clean_xlsform(self) -> bytes:
        upload = self.cleaned_data["xlsform"]
        if upload.size > MAX_XLSFORM_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return bytes(upload.read())
