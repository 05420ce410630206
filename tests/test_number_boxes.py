"""Every number box is a text box with a number keyboard: Burmese digits are read, never dropped."""

from __future__ import annotations

import re
import uuid

import pytest
from django import forms

from defectors.forms import NeedAddForm  # noqa: F401  (a form module: imported after the apps are ready)
from support.forms import AssistanceForm, ShelterForm
from support.models import Shelter


@pytest.mark.parametrize(
    ("field", "mode"),
    [(forms.IntegerField(), "numeric"), (forms.DecimalField(), "decimal"), (forms.FloatField(), "decimal")],
)
def test_django_s_number_fields_render_text_boxes(field, mode):
    html = field.widget.render("n", None)
    assert 'type="text"' in html and f'inputmode="{mode}"' in html and 'type="number"' not in html


def test_the_project_s_number_boxes_are_text_boxes():
    # A model form's number (beds) and an amount: made from the model fields at class creation.
    beds = str(ShelterForm()["beds"])
    amount = str(AssistanceForm(prefix="assistance")["amount"])
    assert re.search(r'type="text"[^>]*inputmode="numeric"', beds), beds
    assert re.search(r'type="text"[^>]*inputmode="decimal"', amount), amount


@pytest.mark.parametrize(("typed", "stored"), [("၁၂", 12), ("12", 12), ("１２", 12)])
def test_burmese_and_full_width_digits_are_read_as_the_number(sup, typed, stored):
    response = sup.post("/support/shelters/new/", {"name": "Hill house", "beds": typed, "token": str(uuid.uuid4())})
    assert response.status_code == 302
    assert Shelter.objects.get().beds == stored


@pytest.mark.parametrize("typed", ["12-14", "twelve", "၁၂ beds"])
def test_what_is_not_a_number_is_refused_and_nothing_is_saved(sup, typed):
    response = sup.post("/support/shelters/new/", {"name": "Hill house", "beds": typed, "token": str(uuid.uuid4())})
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()
    assert typed in response.content.decode()  # shown again as typed, to correct
    assert not Shelter.objects.exists()
