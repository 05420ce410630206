"""A template as its debriefer will see it: every section's form, read-only, in one of its languages.

Built from the same SectionForm the debriefer fills in, so the preview cannot drift from the
real page; every field is disabled and the page has no form to send.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms.renderers import BaseRenderer
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from debriefing import structure as st


class ChoiceList(forms.Widget):
    """A single choice in the preview: its options listed once, as text that wraps on a phone.

    The debriefer's drop-down, disabled here, could not be opened to show them.
    """

    def __init__(self, labels: list[str]) -> None:
        super().__init__()
        self.labels = labels

    def id_for_label(self, id_: str) -> str:
        return ""  # a list, not a control: the label points at nothing

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: BaseRenderer | None = None
    ) -> SafeString:
        items = format_html_join("", "<li>{}</li>", ((label,) for label in self.labels))
        note = _("The debriefer chooses one from a drop-down list:")
        return format_html('<p class="preview-condition">{}</p><ul class="preview-choices">{}</ul>', note, items)


@dataclass(frozen=True)
class PreviewQuestion:
    field: forms.BoundField
    condition: str


@dataclass(frozen=True)
class PreviewSection:
    key: str
    label: str
    questions: list[PreviewQuestion]
    repeats: list[str]  # the labels of its repeat groups: one entry shown, the debriefer adds more


def languages(structure: dict[str, Any]) -> list[str]:
    """The language codes of every label, hint and choice label in ``structure``, in first-seen order."""
    found: dict[str, None] = {}

    def add(labels: Any) -> None:
        if isinstance(labels, dict):
            for code, value in labels.items():
                if value:
                    found.setdefault(str(code))

    for section in structure.get("sections", []):
        add(section.get("label"))
    for question in st.all_questions(structure):
        add(question.get("label"))
        add(question.get("hint"))
        for choice in question.get("choices") or []:
            add(choice.get("label"))
    return list(found)


def language_name(code: str) -> str:
    """A language's own name ("English", "မြန်မာဘာသာ"), or its code when Django does not know it."""
    try:
        return str(translation.get_language_info(code)["name_local"])
    except KeyError:
        return code


def sections(structure: dict[str, Any], *, language: str) -> list[PreviewSection]:
    """Every section's questions as the debriefer's form shows them in ``language``; a repeat with one entry."""
    by_key = {question["key"]: question for question in st.all_questions(structure)}
    default = st.default_language(structure)
    previews = []
    with translation.override(language or None):
        for definition in structure.get("sections", []):
            questions = definition["questions"]
            entries = {q["key"]: 1 for q in questions if q["type"] == "repeat"}
            form = st.SectionForm(section=definition, entries=entries, default=default)
            rules: dict[str, tuple[dict[str, Any], dict[str, Any] | None]] = {}
            for question in questions:
                if question["type"] == "repeat":
                    for inner in question["questions"]:
                        rule = inner.get("relevant") or question.get("relevant")
                        rules[f"{question['key']}__0__{inner['key']}"] = (inner, rule)
                else:
                    rules[question["key"]] = (question, question.get("relevant"))
            rows = []
            for name, field in form.fields.items():
                field.disabled = True
                question, rule = rules[name]
                if question["type"] == "select_one":
                    field.widget = ChoiceList([st.text(c["label"], default) or c["value"] for c in question["choices"]])
                rows.append(PreviewQuestion(field=form[name], condition=_condition(rule, by_key, default)))
            repeats = [st.text(q["label"], default) for q in questions if q["type"] == "repeat"]
            label = st.text(definition["label"], default)
            previews.append(PreviewSection(key=definition["key"], label=label, questions=rows, repeats=repeats))
    return previews


def _condition(rule: dict[str, Any] | None, by_key: dict[str, dict[str, Any]], default: str | None = None) -> str:
    """When a conditional question is asked, in words ("" when always)."""
    if not rule:
        return ""
    source = by_key.get(rule["key"])
    label = st.text(source["label"], default) if source else rule["key"]
    if rule.get("value") is None:
        return _("Asked only when “%(question)s” has an answer.") % {"question": label}
    value = st.display(source, rule["value"], default) if source else rule["value"]
    return _("Asked only when the answer to “%(question)s” is “%(value)s”.") % {"question": label, "value": value}
