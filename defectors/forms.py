from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from defectors.models import Case, CaseNote, Consent, DuplicateAlert, FamilyMember, Level, Need
from defectors.once import OneTimeTokenMixin

EARLIEST_DEFECTION = datetime.date(1988, 1, 1)
MIN_AGE, MAX_AGE = 14, 90


class DateInput(forms.DateInput):
    input_type = "date"


def _not_in_future(value: datetime.date | None, message: Any) -> None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)


class RefuseOverLong:
    """Drop the browser's ``maxlength``: it cuts pasted text at the limit without a word.

    The server refuses over-long text instead, naming the limit ("at most 200
    characters (it has 250)"), and the caseworker shortens it themselves.
    """

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.drop_maxlength()

    def drop_maxlength(self) -> None:
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)


class IdentityForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "full_name", "other_names", "date_of_birth", "age_estimate", "sex",
            "ethnicity", "religion", "languages", "region_of_origin",
        ]  # fmt: skip
        widgets = {"date_of_birth": DateInput, "other_names": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "other_names": _("Aliases, nicknames, names used in service: one per line."),
            "age_estimate": _("If the date of birth is not known."),
            "region_of_origin": _("Used, without the name, in anonymised reports."),
        }

    def clean_date_of_birth(self) -> datetime.date | None:
        born = self.cleaned_data.get("date_of_birth")
        if born:
            today = timezone.localdate()
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            if born > today:
                raise forms.ValidationError(_("The date of birth is in the future."))
            if not MIN_AGE <= age <= MAX_AGE:
                raise forms.ValidationError(
                    _("That makes the person %(age)s years old; check the year.") % {"age": age}
                )
        return born

    def clean_age_estimate(self) -> int | None:
        age = self.cleaned_data.get("age_estimate")
        if age is not None and not MIN_AGE <= age <= MAX_AGE:
            raise forms.ValidationError(
                _("Give an age between %(min)s and %(max)s.") % {"min": MIN_AGE, "max": MAX_AGE}
            )
        return age

    def clean(self) -> dict:
        data = super().clean() or {}
        # An over-long name is already refused, with its own message: not also "give a name".
        if not data.get("full_name") and not data.get("other_names") and not self.has_error("full_name"):
            self.add_error("full_name", _("Give a name, or at least an alias below."))
        return data


class ServiceForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["branch", "rank", "rank_band", "unit", "service_number", "years_of_service", "last_posting"]
        help_texts = {"service_number": _("Checked against other cases for possible duplicates.")}

    def clean_years_of_service(self) -> int | None:
        years = self.cleaned_data.get("years_of_service")
        if years is not None and not 0 <= years <= 60:
            raise forms.ValidationError(_("Give a number of years between 0 and 60."))
        return years


class DefectionForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = Case
        fields = [
            "defection_date", "defection_place", "circumstances", "was_armed", "brought_weapons", "brought_documents",
        ]  # fmt: skip
        widgets = {"defection_date": DateInput}

    def clean_defection_date(self) -> datetime.date | None:
        date = self.cleaned_data.get("defection_date")
        _not_in_future(date, _("The date of defection is in the future."))
        if date and date < EARLIEST_DEFECTION:
            raise forms.ValidationError(
                _("Check the year: that is before %(year)s.") % {"year": EARLIEST_DEFECTION.year}
            )
        return date


class FamilyMemberForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = ["relationship", "name", "location", "at_risk", "protection_needed"]


class AddFamilyMemberForm(OneTimeTokenMixin, FamilyMemberForm):
    """A family member added after intake: one per token (the intake's formset replaces the list)."""


class BaseFamilyFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this person")


FamilyFormSet = forms.formset_factory(
    FamilyMemberForm,
    formset=BaseFamilyFormSet,
    extra=2,
    max_num=20,
    # Without absolute_max, Django builds up to max_num + 1,000 forms for a forged
    # TOTAL_FORMS: one request then costs seconds of server time.
    absolute_max=20,
    validate_max=True,
    can_delete=True,
    can_delete_extra=False,
)

NEED_URGENCY = [("", _("Not needed")), *Level.choices]


class NeedsForm(RefuseOverLong, forms.Form):
    """One urgency (or none) and a note for each kind of need."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Need.Kind.choices:
            self.fields[f"{kind}_urgency"] = forms.ChoiceField(label=label, choices=NEED_URGENCY, required=False)
            self.fields[f"{kind}_note"] = forms.CharField(
                label=_("Note on %(need)s") % {"need": label},
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.drop_maxlength()  # the fields above came after RefuseOverLong's pass

    def clean(self) -> dict:
        data = super().clean() or {}
        for kind in Need.Kind.values:
            if data.get(f"{kind}_note") and not data.get(f"{kind}_urgency"):
                # Only needs with an urgency are stored: a note beside "Not needed" would vanish.
                self.add_error(
                    f"{kind}_note",
                    _("Choose how urgent this need is, or clear the note: a need marked “Not needed” keeps no note."),
                )
        return data

    @staticmethod
    def initial_from(needs: list[Need]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for need in needs:
            initial[f"{need.kind}_urgency"] = need.urgency
            initial[f"{need.kind}_note"] = need.note
        return initial

    def needs(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "urgency": self.cleaned_data[f"{kind}_urgency"], "note": self.cleaned_data[f"{kind}_note"]}
            for kind in Need.Kind.values
            if self.cleaned_data.get(f"{kind}_urgency")
        ]


class RiskForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["threat_to_defector", "threat_to_family", "risk_reasons", "safety_plan"]
        help_texts = {"threat_to_defector": _("A critical threat, to the person or the family, marks the case urgent.")}


class ConsentsForm(forms.Form):
    """Each consent: given or not, when, and how. Data processing is needed to open a case."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in Consent.Kind.choices:
            self.fields[f"{kind}_given"] = forms.BooleanField(
                label=_("Consent given: %(consent)s") % {"consent": label},
                required=False,
                help_text=_("Needed to open the case.") if kind == Consent.Kind.DATA_PROCESSING else "",
            )
            self.fields[f"{kind}_on"] = forms.DateField(
                label=_("Date given (%(consent)s)") % {"consent": label}, required=False, widget=DateInput
            )
            self.fields[f"{kind}_method"] = forms.ChoiceField(
                label=_("How given (%(consent)s)") % {"consent": label},
                choices=[("", "—"), *Consent.Method.choices],
                required=False,
            )

    @staticmethod
    def initial_from(consents: list[Consent]) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for consent in consents:
            if consent.is_active:
                initial.update(
                    {
                        f"{consent.kind}_given": True,
                        f"{consent.kind}_on": consent.given_on,
                        f"{consent.kind}_method": consent.method,
                    }
                )
        return initial

    def clean(self) -> dict:
        data = super().clean() or {}
        for kind in Consent.Kind.values:
            if not data.get(f"{kind}_given"):
                continue
            if not data.get(f"{kind}_on"):
                self.add_error(f"{kind}_on", _("Give the date the consent was given."))
            else:
                _not_in_future_field(self, f"{kind}_on", data[f"{kind}_on"])
            if not data.get(f"{kind}_method"):
                self.add_error(f"{kind}_method", _("Say how the consent was given."))
        return data

    def consents(self) -> list[dict[str, Any]]:
        return [
            {"kind": kind, "given_on": self.cleaned_data[f"{kind}_on"], "method": self.cleaned_data[f"{kind}_method"]}
            for kind in Consent.Kind.values
            if self.cleaned_data.get(f"{kind}_given")
        ]


def _not_in_future_field(form: forms.Form, name: str, value: datetime.date) -> None:
    if value > timezone.localdate():
        form.add_error(name, _("This date is in the future."))


class ContactForm(RefuseOverLong, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["contact_channel", "current_location"]
        help_texts = {
            "contact_channel": _("How to reach the person safely, e.g. a Signal number or a trusted go-between."),
            "current_location": _("As precise as needed to help, no more."),
        }


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this person's identity?"),
        min_length=3,
        max_length=300,
        help_text=_("Written to the audit log. Do not write names here."),
    )


UNASSIGNED = "-"  # the caseworker filter's value for cases nobody holds (no username can be "-")


class CaseFilterForm(forms.Form):
    """The list's filters (defectors.search.filter_cases); the caseworker filter only for those who see all cases."""

    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Case.Status.choices], required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", _("Any")), *Case.Urgency.choices], required=False)
    branch = forms.ChoiceField(label=_("Branch"), choices=[("", _("Any")), *Case.Branch.choices], required=False)
    intake_month = forms.DateField(
        label=_("Intake month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
        input_formats=["%Y-%m"],
    )
    caseworker = forms.ChoiceField(label=_("Caseworker"), required=False)
    follow_up = forms.ChoiceField(
        label=_("Follow-up"),
        choices=[("", _("Any")), ("overdue", _("Overdue")), ("this_week", _("Due in the next 7 days"))],
        required=False,
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        choices=[("", _("Urgent first, newest first")), ("follow_up", _("Next follow-up first"))],
        required=False,
    )

    def __init__(self, *args: Any, all_cases: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not all_cases:
            del self.fields["caseworker"]
            return
        people = User.objects.filter(role=User.Role.CASEWORKER).order_by("username").values_list("username", flat=True)
        field: forms.ChoiceField = self.fields["caseworker"]  # type: ignore[assignment]
        field.choices = [
            ("", _("Anyone")),
            (UNASSIGNED, _("Unassigned")),
            *((name, name) for name in people),
        ]


class CaseSearchForm(forms.Form):
    """Exact search by identifying values: sent by POST, so they never appear in a URL or a log."""

    service_number = forms.CharField(label=_("Service number"), max_length=40, required=False)
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)

    def clean(self) -> dict:
        data = super().clean() or {}
        if bool(data.get("full_name")) != bool(data.get("date_of_birth")):
            raise forms.ValidationError(_("Search by name needs the date of birth too (exact match only)."))
        if not data.get("service_number") and not data.get("full_name"):
            raise forms.ValidationError(_("Give a service number, or a full name with the date of birth."))
        return data


class AssignForm(forms.Form):
    caseworker = forms.ModelChoiceField(
        label=_("Caseworker"),
        queryset=User.objects.filter(role=User.Role.CASEWORKER, is_active=True).order_by("username"),
        to_field_name="username",
    )


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for closing"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ShredRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for shredding"),
        max_length=300,
        help_text=_(
            "Shown to the administrator who decides, and written to the audit log, which outlives the case. "
            "Do not write names here."
        ),
    )


class ShredDecisionForm(forms.Form):
    """An administrator's decision on a shred request: approving needs the case's code typed again."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve and shred")), ("decline", _("Decline"))])
    code = forms.CharField(
        label=_("Type the case's code to approve"),
        max_length=40,
        required=False,
        help_text=_("As shown above, e.g. HV-7K3Q-M9ZD. Not needed to decline."),
    )

    def __init__(self, *args: Any, case_code: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_code = case_code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "approve" and data.get("code", "").strip().upper() != self.case_code.upper():
            self.add_error("code", _("This is not the code of the case to shred: nothing was shredded."))
        return data


class DuplicateOutcomeForm(forms.Form):
    # An empty first option everywhere a choice adds a record: one nobody made is refused, never the first.
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *DuplicateAlert.Outcome.choices])


class ChangeReasonForm(forms.Form):
    """Why an identifying section is changed: written, sealed, to the audit trail (use prefix="change")."""

    reason = forms.CharField(
        label=_("Reason for this change"),
        min_length=3,
        max_length=300,
        help_text=_("Written to the audit log. Do not write names here."),
    )


class NeedAddForm(OneTimeTokenMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Need"), choices=[("", "—"), *Need.Kind.choices])
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", "—"), *Level.choices])
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NeedChangeForm(forms.Form):
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Level.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    met = forms.BooleanField(label=_("This need is met"), required=False)


class NoteForm(OneTimeTokenMixin, forms.ModelForm):
    class Meta:
        model = CaseNote
        fields = ["kind", "happened_on", "text"]
        widgets = {"happened_on": DateInput, "text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"text": _("Encrypted with the case. Corrections after a short while are new notes.")}

    def clean_happened_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["happened_on"]
        _not_in_future(day, _("The date is in the future."))
        return day


class FollowUpForm(forms.Form):
    on = forms.DateField(
        label=_("Next follow-up"), required=False, widget=DateInput, help_text=_("Leave empty to clear.")
    )
    purpose = forms.CharField(label=_("What it is for"), max_length=300, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        on = data.get("on")
        if on and on < timezone.localdate():
            self.add_error("on", _("This date is in the past."))
        if on and not data.get("purpose", "").strip():
            self.add_error("purpose", _("Say what the follow-up is for."))
        return data


class GiveConsentForm(OneTimeTokenMixin, forms.Form):
    given_on = forms.DateField(label=_("Date given"), widget=DateInput)
    method = forms.ChoiceField(label=_("How given"), choices=[("", "—"), *Consent.Method.choices])

    def clean_given_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["given_on"]
        _not_in_future(day, _("This date is in the future."))
        return day


class WithdrawConsentForm(forms.Form):
    withdrawn_on = forms.DateField(
        label=_("Date withdrawn"), widget=DateInput, help_text=_("The day the person withdrew it, not only today.")
    )

    def clean_withdrawn_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["withdrawn_on"]
        _not_in_future(day, _("This date is in the future."))
        return day


class WithdrawalDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("shred", _("Request shredding (an administrator approves)")), ("keep", _("Keep the closed record"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for the decision"),
        min_length=3,
        max_length=300,
        help_text=_("Written to the audit log. Do not write names here."),
    )
