"""config.formrenderer writes Django's commonest form templates out in Python: the same characters.

Every form class of the project is rendered twice, with Django's renderer and with Haven's, blank
and bound to empty data (so with errors), and the two must be equal character for character.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from config.formrenderer import FormRenderer
from defectors.models import Case
from tests.factories import CaseFactory

APPS = ["accounts", "audit", "defectors", "support", "debriefing", "reporting", "backups"]


def project_forms() -> list[type[forms.BaseForm]]:
    found = []
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__ and cls.base_fields:
                found.append(cls)
    return found


def instances(cls: type[forms.BaseForm], case: Case, user: Any) -> list[forms.BaseForm]:
    """Blank and bound, with whichever of the project's usual keyword arguments the form takes."""
    made = []
    for kwargs in ({}, {"case": case}, {"user": user}, {"case": case, "user": user}, {"by": user}):
        for data in (None, {}):
            try:
                made.append(cls(data, **kwargs))  # type: ignore[call-arg]
            except (TypeError, KeyError, AttributeError, ValueError):
                continue
        if made:
            return made
    return made


def both(form: forms.BaseForm) -> tuple[str, str]:
    form.renderer = DjangoTemplates()
    django_html = str(form)
    form.renderer = FormRenderer()
    return django_html, str(form)


@pytest.mark.django_db
def test_every_form_of_the_project_renders_the_same(make_user):
    user = make_user()
    case = CaseFactory(created_by=user, assigned_to=user)
    rendered = 0
    for cls in project_forms():
        for form in instances(cls, case, user):
            expected, fast = both(form)
            assert fast == expected, cls.__name__
            rendered += 1
    print(rendered)
    assert rendered >= 40  # the forms were found and made, blank and bound


class Everything(forms.Form):
    text = forms.CharField(label='A <b> & "quote"', help_text="Help <i>kept</i>", initial='x < y & "z"')
    number = forms.IntegerField(initial=3, widget=forms.NumberInput(attrs={"min": 0, "data-x": mark_safe("<ok>")}))
    flag = forms.BooleanField(required=False, initial=True)
    off = forms.BooleanField(required=False, widget=forms.CheckboxInput(attrs={"disabled": False, "hidden": True}))
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "month"}), required=False)
    choice = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("ဗမာ", "ဗမာ")], initial="a")
    grouped = forms.ChoiceField(choices=[("Group <1>", [("1", "One"), ("2", "Two")]), ("3", "Three")])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], initial=["a", "b"])
    numbered = forms.TypedChoiceField(choices=[(1, 1), (2000, 2000)], coerce=int)
    radio = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    boxes = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple, required=False)
    notes = forms.CharField(widget=forms.Textarea, initial="line\n<script>")
    empty = forms.CharField(widget=forms.Textarea, required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, initial='h"')
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="p&")
    unlabelled = forms.CharField(label="", required=False)


@pytest.mark.parametrize("data", [None, {}, {"text": "<x>", "number": "nope", "choice": "zz", "notes": "n"}])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_every_kind_of_field_renders_the_same(data, auto_id):
    form = Everything(data, auto_id=auto_id)
    expected, fast = both(form)
    assert fast == expected
    for name in form.fields:
        form.renderer = DjangoTemplates()
        field_expected = (form[name].as_field_group(), str(form[name]), form[name].label_tag())
        form.renderer = FormRenderer()
        assert (form[name].as_field_group(), str(form[name]), form[name].label_tag()) == field_expected, name


def test_a_template_it_does_not_know_is_left_to_django():
    assert FormRenderer().render("django/forms/widgets/radio.html", {"widget": {
        "name": "r", "attrs": {}, "optgroups": [], "template_name": "django/forms/widgets/radio.html",
    }}) == DjangoTemplates().render("django/forms/widgets/radio.html", {"widget": {
        "name": "r", "attrs": {}, "optgroups": [], "template_name": "django/forms/widgets/radio.html",
    }})  # fmt: skip
