"""A choice that adds a record starts empty: one nobody made is refused, never saved as the first option."""

from __future__ import annotations

import re

import pytest

from defectors.forms import DuplicateOutcomeForm, GiveConsentForm, NeedAddForm

CASES = [
    (DuplicateOutcomeForm, "outcome"),
    (NeedAddForm, "kind"),
    (NeedAddForm, "urgency"),
    (GiveConsentForm, "method"),
]


@pytest.mark.parametrize(("form_class", "name"), CASES)
def test_the_select_starts_on_an_empty_option(form_class, name):
    html = str(form_class()[name])
    first = re.search(r"<option[^>]*>", html)[0]  # type: ignore[index]
    assert 'value=""' in first and "selected" in first
    assert html.count("selected") == 1
    # Left there, the browser sends "" and the field's own "This field is required." answers.
    assert name in form_class(data={name: ""}).errors
