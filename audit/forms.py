from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (username)"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=80,
        required=False,
        help_text=_("For example accounts.login or accounts.login.failed; a prefix matches."),
    )
    object_ref = forms.CharField(label=_("Object"), max_length=150, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The 'From' date must be on or before the 'To' date."))
        return data

    def filter(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        data = self.cleaned_data
        if data.get("actor"):
            events = events.filter(actor_username__iexact=data["actor"])
        if data.get("action"):
            events = events.filter(action__startswith=data["action"])
        if data.get("object_ref"):
            events = events.filter(object_ref__iexact=data["object_ref"])
        if data.get("since"):
            events = events.filter(at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(at__date__lte=data["until"])
        return events
