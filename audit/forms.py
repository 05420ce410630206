from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent


class ActionInput(forms.TextInput):
    """A text box that suggests the known action names (a <datalist>) while any part of a name still matches."""

    def __init__(self, actions: list[str], attrs: dict[str, Any] | None = None) -> None:
        super().__init__({**(attrs or {}), "list": "audit-actions", "autocomplete": "off"})
        self.actions = actions

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        box = super().render(name, value, attrs, renderer)
        options = format_html_join("", '<option value="{}">', ((action,) for action in self.actions))
        return format_html('{}<datalist id="audit-actions">{}</datalist>', box, options)


class EventFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor (username)"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=80,
        required=False,
        help_text=_("Any part of its name: login, case.identity_revealed, accounts.user."),
    )
    object_ref = forms.CharField(label=_("Object"), max_length=150, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actions: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = ActionInput(actions or [])

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
            events = events.filter(action__icontains=data["action"].strip())
        if data.get("object_ref"):
            events = events.filter(object_ref__iexact=data["object_ref"])
        if data.get("since"):
            events = events.filter(at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(at__date__lte=data["until"])
        return events


class LiftBrakeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why may this person read identities again?"),
        min_length=3,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sealed in the audit trail. Check with the person, and read their audit events, first."),
    )
