"""The choice lists Haven labels itself: yes/no and the states and regions, in English and Burmese."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from defectors.models import Region

YES_NO: dict[str, dict[str, str]] = {"yes": {"en": "Yes", "my": "ဟုတ်"}, "no": {"en": "No", "my": "မဟုတ်"}}


def region_labels() -> dict[str, dict[str, str]]:
    labels: dict[str, dict[str, str]] = {value: {} for value in Region.values}
    for code in ("en", "my"):
        with translation.override(code):
            for value, label in Region.choices:
                labels[value][code] = str(label)
    return labels


def haven_labels(kind: str) -> dict[str, dict[str, str]]:
    """{value: {language code: label}} of a yes_no or region question, as the export writes them."""
    return YES_NO if kind == "yes_no" else region_labels()


def is_haven_list(kind: str, options: list[dict[str, Any]]) -> bool:
    """Whether ``options`` are exactly Haven's own list, so that reading them as ``kind`` loses no word."""
    labels = haven_labels(kind)
    if [option["value"] for option in options] != list(labels):
        return False
    return all(
        option["label"] and all(labels[option["value"]].get(code) == text for code, text in option["label"].items())
        for option in options
    )
