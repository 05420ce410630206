"""Number boxes that keep what was typed: ``<input type="text" inputmode=…>``, never ``type="number"``.

Chromium hands a ``type="number"`` box's value over as "" when it holds Burmese digits (၁၅) or
"300-400": the answer vanished without a word. Django's IntegerField and DecimalField already read
digits of any script (``int()`` and ``Decimal()`` do), so with a text box the server sees what was
typed, stores ၁၅ as 15 and refuses what is not a number with the field's own message. The phone
still offers its number keyboard (``inputmode``). ``use_text_boxes_for_numbers`` makes these the
default widgets of Django's number fields; accounts.apps calls it before any form class is made.
Debrief questions use debriefing.structure.NumberField, which works the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms


class NumericInput(forms.TextInput):
    """A whole number: the phone's digit keyboard, no autocomplete."""

    inputmode = "numeric"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": self.inputmode, "autocomplete": "off", **(attrs or {})})


class DecimalInput(NumericInput):
    """An amount or any number with decimals: the keyboard with a decimal point."""

    inputmode = "decimal"


def use_text_boxes_for_numbers() -> None:
    """Make NumericInput and DecimalInput the default widgets of Django's number form fields."""
    forms.IntegerField.widget = NumericInput
    forms.DecimalField.widget = DecimalInput
    forms.FloatField.widget = DecimalInput
