"""A template's structure: sections of typed questions, as a plaintext JSON document.

    {"languages": [{"code": str, "name": str}, ...],   the form's languages, in column order
     "default_language": code,                          shown when the person's language is not there
     "sections": [{"key": str, "label": TEXTS, "questions": [QUESTION, ...]}]}
    TEXTS = {language code: text}   ("en", "my", "fr", or the form's own name for a language without a code)
    QUESTION = {"key": str, "type": one of QUESTION_TYPES, "label": TEXTS,
                "hint": {...}, "required": bool, "tags": [one of TAGS],
                "choices": [{"value": str, "label": {...}}]   (select_one, select_multiple)
                "min": number | None, "max": number | None    (integer, decimal)
                "relevant": {"key": str, "value": str | None} | None  (shown only when that
                            earlier answer has this value, or any value when None)
                "questions": [QUESTION, ...]}                 (repeat: one entry per incident...)

Answers are stored per section as {question key: value}, a repeat as a list of
such dicts; values are JSON: str, int, a decimal as str, an ISO date str, a
list of str for select_multiple.
"""

from __future__ import annotations

import datetime
import decimal
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from defectors.models import Region

QUESTION_TYPES = (
    "text", "long_text", "select_one", "select_multiple", "yes_no", "date", "integer", "decimal", "region", "repeat",
)  # fmt: skip
TAGS = ("intelligence", "human_rights", "wellbeing")
# A structure from before forms kept their own languages: English and Burmese (migration 0004).
OLD_LANGUAGES = [{"code": "en", "name": "English (en)"}, {"code": "my", "name": "Burmese (my)"}]
KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_ENTRIES = 50  # entries of one repeat group
TEXT_MAX, LONG_TEXT_MAX = 500, 10_000


def languages(structure: dict[str, Any]) -> list[dict[str, str]]:
    return list(structure.get("languages") or OLD_LANGUAGES)


def default_language(structure: dict[str, Any]) -> str:
    return str(structure.get("default_language") or "en")


def text(labels: dict[str, str] | None, default: str | None = None) -> str:
    """A label in the person's language if the form has it, else in the form's ``default`` language.

    Failing both, any language the label has (so a label is never shown blank while it has a text).
    """
    labels = labels or {}
    active = (translation.get_language() or "").lower()
    for code in (active, active.split("-")[0], default, "en"):
        if code and labels.get(code):
            return labels[code]
    return next((labels[code] for code in sorted(labels) if labels[code]), "")


def check_structure(doc: Any) -> list[str]:
    """What is wrong with a structure document ([] when it is sound). Keys are unique per template."""
    problems: list[str] = []
    seen: set[str] = set()

    def check_key(key: Any, where: str) -> None:
        if not isinstance(key, str) or not KEY.match(key):
            problems.append(f"{where}: bad key {key!r}")
        elif key in seen:
            problems.append(f"{where}: key {key!r} used twice")
        else:
            seen.add(key)

    def check_questions(questions: Any, where: str, in_repeat: bool) -> None:
        for question in questions or []:
            check_key(question.get("key"), where)
            kind = question.get("type")
            if kind not in QUESTION_TYPES or (kind == "repeat" and in_repeat):
                problems.append(f"{where}/{question.get('key')}: type {kind!r} not supported here")
            if kind in ("select_one", "select_multiple") and not question.get("choices"):
                problems.append(f"{where}/{question.get('key')}: a choice question needs choices")
            if not set(question.get("tags", [])) <= set(TAGS):
                problems.append(f"{where}/{question.get('key')}: unknown tag")
            if kind == "repeat":
                check_questions(question.get("questions"), f"{where}/{question['key']}", True)

    if not isinstance(doc, dict) or not doc.get("sections"):
        return ["a template needs at least one section"]
    for section in doc["sections"]:
        check_key(section.get("key"), "section")
        check_questions(section.get("questions"), str(section.get("key")), False)
    return problems


def all_questions(structure: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every question, a repeat's own questions after the repeat itself."""
    for section in structure.get("sections", []):
        for question in section["questions"]:
            yield question
            yield from question.get("questions", [])


def has_value(value: Any) -> bool:
    return value not in (None, "", [], {})


def is_relevant(question: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether ``question`` applies given ``answers`` (the session's, plus the repeat entry's own)."""
    rule = question.get("relevant")
    if not rule:
        return True
    answer = answers.get(rule["key"])
    if rule.get("value") is None:
        return has_value(answer)
    return answer == rule["value"] or (isinstance(answer, list) and rule["value"] in answer)


def _flat(answers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every section's answers in one dict (keys are unique per template), as conditions read them."""
    return {key: value for section in answers.values() for key, value in section.items()}


def _label(
    section: dict[str, Any],
    question: dict[str, Any],
    entry: tuple[int, dict[str, Any]] | None = None,
    *,
    default: str | None = None,
) -> str:
    """ "Section: question", or "Section: Incident 2: Date" for an entry's question ``entry`` = (number, inner),
    in the person's language, else the form's ``default`` (``text``)."""
    if entry is None:
        return f"{text(section['label'], default)}: {text(question['label'], default)}"
    number, inner = entry
    head = f"{text(section['label'], default)}: {text(question['label'], default)}"
    return f"{head} {number}: {text(inner['label'], default)}"


class Missing(NamedTuple):
    """A required question that applies and has no answer: its ``section`` key and "Section: question"."""

    section: str
    label: str


def missing_required(structure: dict[str, Any], answers: dict[str, dict[str, Any]]) -> list[Missing]:
    """Required, relevant questions left unanswered ([]: may be submitted).

    ``answers`` is {section key: that section's answers}.
    """
    flat = _flat(answers)
    default = default_language(structure)
    missing = []
    for section in structure["sections"]:
        given = answers.get(section["key"], {})
        for question in section["questions"]:
            if not is_relevant(question, flat):
                continue
            value = given.get(question["key"])
            if question.get("required") and not has_value(value):
                missing.append(Missing(section["key"], _label(section, question, default=default)))
            if question["type"] == "repeat":
                for number, entry in enumerate(value or [], start=1):
                    for inner in question["questions"]:
                        wanted = inner.get("required") and is_relevant(inner, {**flat, **entry})
                        if wanted and not has_value(entry.get(inner["key"])):
                            label = _label(section, question, (number, inner), default=default)
                            missing.append(Missing(section["key"], label))
    return missing


def unanswered_optional(structure: dict[str, Any], answers: dict[str, dict[str, Any]]) -> list[str]:
    """Relevant questions that are not required and have no answer ("Section: question"); a repeat
    entry's own questions are left out (an entry is the debriefer's to fill as the account allows)."""
    flat = _flat(answers)
    default = default_language(structure)
    return [
        _label(section, question, default=default)
        for section in structure["sections"]
        for question in section["questions"]
        if not question.get("required")
        and is_relevant(question, flat)
        and not has_value(answers.get(section["key"], {}).get(question["key"]))
    ]


class Dropped(NamedTuple):
    """An answer left out at submit: ``ref`` names it stably ("section/question", or
    "section/repeat/2/question" for an entry's), ``label`` as missing_required does."""

    ref: str
    label: str


def without_irrelevant(
    structure: dict[str, Any], answers: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], list[Dropped]]:
    """(answers as they will be submitted, the answers left out): those of questions that no longer apply.

    Relevance is is_relevant's, as on the form and the review page; it is applied again until
    nothing changes, so an answer that applied only because of a dropped one goes too. A repeat
    entry left with no answer goes with them. ``answers`` is not changed.
    """
    kept = {key: dict(given) for key, given in answers.items()}
    dropped: list[Dropped] = []
    default = default_language(structure)
    changed = True
    while changed:
        changed = False
        flat = _flat(kept)
        for section in structure["sections"]:
            given = kept.get(section["key"], {})
            for question in section["questions"]:
                key = question["key"]
                if not has_value(given.get(key)):
                    continue
                if not is_relevant(question, flat):
                    del given[key]
                    dropped.append(Dropped(f"{section['key']}/{key}", _label(section, question, default=default)))
                    changed = True
                elif question["type"] == "repeat":
                    entries = []
                    for number, entry in enumerate(given[key], start=1):
                        entry = dict(entry)
                        for inner in question["questions"]:
                            if has_value(entry.get(inner["key"])) and not is_relevant(inner, {**flat, **entry}):
                                del entry[inner["key"]]
                                ref = f"{section['key']}/{key}/{number}/{inner['key']}"
                                dropped.append(
                                    Dropped(ref, _label(section, question, (number, inner), default=default))
                                )
                                changed = True
                        if entry:
                            entries.append(entry)
                    if entries:
                        given[key] = entries
                    else:
                        del given[key]
    return kept, dropped


def progress(structure: dict[str, Any], answers: dict[str, dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """{section key: (answered, questions)}, counting only the questions that apply.

    Relevance is is_relevant's on the answers as submit would record them (without_irrelevant),
    so a draft's answer to a question that no longer applies counts neither way, and a finished
    debrief reaches 100% once every question that applies has an answer. A repeat counts once.
    """
    kept, _dropped = without_irrelevant(structure, answers)
    flat = _flat(kept)
    counts = {}
    for section in structure["sections"]:
        given = kept.get(section["key"], {})
        applying = [question for question in section["questions"] if is_relevant(question, flat)]
        answered = sum(1 for question in applying if has_value(given.get(question["key"])))
        counts[section["key"]] = (answered, len(applying))
    return counts


class DateInput(forms.DateInput):
    input_type = "date"


class TextField(forms.CharField):
    """Text with line breaks as the browser counts them: CRLF and CR become LF before the length check.

    A browser counts a line break as one character against maxlength but sends CRLF, so a
    text at the limit with line breaks would otherwise be refused (and the whole section with it).
    """

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).replace("\r\n", "\n").replace("\r", "\n")


NUMBER = re.compile(r"^[+-]?[0-9]+$")
DECIMAL_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
NUMBER_DIGITS = 18


def ascii_digits(value: str) -> str:
    """``value`` with every Unicode decimal digit (Burmese, Shan, Thai, Arabic-Indic...) as 0-9."""
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in value)


class NumberField(forms.Field):
    """A whole number (``decimal_places`` 0) or a decimal, typed in a text box.

    Not <input type=number>: Chromium hands such a box's value over as "" when it holds
    "300-400" or Burmese digits, so the answer would vanish unnoticed. The value is checked
    here instead: digits of any script are read as the number; anything else is refused
    (the error summary and an autosave's answer name the question).
    """

    widget = forms.TextInput

    def __init__(
        self,
        *,
        decimal_places: int = 0,
        min_value: int | float | None = None,
        max_value: int | float | None = None,
        **kwargs: Any,
    ) -> None:
        self.decimal_places = decimal_places
        self.min_value, self.max_value = min_value, max_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal" if self.decimal_places else "numeric", "autocomplete": "off"})
        return attrs

    def to_python(self, value: Any) -> int | decimal.Decimal | None:
        text = ascii_digits(str(value if value is not None else "").strip())
        if not text:
            return None
        if not (DECIMAL_NUMBER if self.decimal_places else NUMBER).match(text):
            if self.decimal_places:
                raise ValidationError(_("Write one number in digits, such as 15 or ၁၅.၅: not a range or words."))
            raise ValidationError(_("Write one whole number in digits, such as 15 or ၁၅: not a range or words."))
        whole, _point, fraction = text.lstrip("+-").partition(".")
        fraction = fraction.rstrip("0")
        if len(fraction) > self.decimal_places:
            raise ValidationError(
                _("Write at most %(places)d digits after the point.") % {"places": self.decimal_places}
            )
        if len(whole.lstrip("0") + fraction) > NUMBER_DIGITS:
            raise ValidationError(_("Write at most %(digits)d digits.") % {"digits": NUMBER_DIGITS})
        number: int | decimal.Decimal = decimal.Decimal(text) if self.decimal_places else int(text)
        if self.min_value is not None and number < self.min_value:
            raise ValidationError(_("Write a number of at least %(limit)s.") % {"limit": self.min_value})
        if self.max_value is not None and number > self.max_value:
            raise ValidationError(_("Write a number of at most %(limit)s.") % {"limit": self.max_value})
        return number


def _choices(question: dict[str, Any], default: str | None = None) -> list[tuple[str, str]]:
    if question["type"] == "yes_no":
        return [("yes", _("Yes")), ("no", _("No"))]
    if question["type"] == "region":
        return [(value, str(label)) for value, label in Region.choices]
    return [(choice["value"], text(choice["label"], default)) for choice in question.get("choices", [])]


def form_field(question: dict[str, Any], default: str | None = None) -> forms.Field:
    """The form field for one question, in the person's language or the form's ``default``.

    Never required: required answers are enforced at submit.
    """
    kind = question["type"]
    common: dict[str, Any] = {
        "label": text(question["label"], default),
        # Django renders help_text as HTML: a hint from an imported form is text, escaped here.
        "help_text": escape(text(question.get("hint"), default)),
        "required": False,
    }
    if kind == "text":
        return TextField(max_length=TEXT_MAX, **common)
    if kind == "long_text":
        return TextField(max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind in ("select_one", "yes_no", "region"):
        # An empty first option: a choice nobody touched stays unanswered (never the first in the list).
        return forms.ChoiceField(choices=[("", "—"), *_choices(question, default)], **common)
    if kind == "select_multiple":
        return forms.MultipleChoiceField(
            choices=_choices(question, default), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == "date":
        return forms.DateField(widget=DateInput, **common)
    if kind in ("integer", "decimal"):
        places = 6 if kind == "decimal" else 0
        return NumberField(
            decimal_places=places, min_value=question.get("min"), max_value=question.get("max"), **common
        )
    raise ValueError(f"no form field for {kind}")


def to_json(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")  # never "1E+3": the text box shows it again
    return value


def from_json(question: dict[str, Any], value: Any) -> Any:
    if value is None:
        return None
    if question["type"] == "date":
        return datetime.date.fromisoformat(value)
    if question["type"] == "decimal" and isinstance(value, str):
        try:
            return format(decimal.Decimal(value), "f")  # a value stored as "1E+3" before: shown as 1000
        except decimal.InvalidOperation:
            return value
    return value


class QuestionBoundField(forms.BoundField):
    """A question's label, followed by a note when its answer is required before submitting.

    Not the HTML required attribute: a draft is saved with required answers still missing.
    """

    def label_tag(
        self,
        contents: str | None = None,
        attrs: dict[str, Any] | None = None,
        label_suffix: str | None = None,
        tag: str | None = None,
    ) -> SafeString:
        note = getattr(self.form, "required_notes", {}).get(self.name)
        if note and contents is None:
            contents = format_html('{} <span class="required-note">{}</span>', self.label, note)
        return super().label_tag(contents, attrs, label_suffix, tag)


class SectionForm(forms.Form):
    """One section's questions; a repeat group's entries are fields named ``<repeat>__<n>__<key>``.

    ``entries`` says how many entries of each repeat to show (the stored ones and one blank);
    ``default`` is the form's default language (texts the person's language lacks are shown in it).
    Labels are the form's own text in its languages: no suffix (Django's ":" is Latin punctuation).
    """

    bound_field_class = QuestionBoundField

    def __init__(
        self,
        *args: Any,
        section: dict[str, Any],
        entries: dict[str, int],
        default: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.section = section
        self.entries = entries
        # {field name: the note after its label}: required answers are enforced at submit (missing_required).
        self.required_notes: dict[str, str] = {}
        here = {q["key"] for q in section["questions"]}
        for question in section["questions"]:
            if question["type"] == "repeat":
                for n in range(entries.get(question["key"], 1)):
                    for inner in question["questions"]:
                        field = form_field(inner, default)
                        field.label = f"{text(question['label'], default)} {n + 1}: {field.label}"
                        _mark_relevance(field, inner.get("relevant") or question.get("relevant"), here)
                        name = f"{question['key']}__{n}__{inner['key']}"
                        self.fields[name] = field
                        if inner.get("required"):  # only in an entry that is given at all
                            self.required_notes[name] = _("(required in each entry before submitting)")
            else:
                field = form_field(question, default)
                _mark_relevance(field, question.get("relevant"), here)
                self.fields[question["key"]] = field
                if question.get("required"):
                    self.required_notes[question["key"]] = _("(required before submitting)")

    def answers(self) -> dict[str, Any]:
        """The cleaned answers as stored JSON; empty repeat entries are dropped."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for question in self.section["questions"]:
            if question["type"] == "repeat":
                entries = []
                for n in range(self.entries.get(question["key"], 1)):
                    entry = {
                        inner["key"]: to_json(data.get(f"{question['key']}__{n}__{inner['key']}"))
                        for inner in question["questions"]
                    }
                    entry = {key: value for key, value in entry.items() if has_value(value)}
                    if entry:
                        entries.append(entry)
                if entries:
                    answers[question["key"]] = entries
            else:
                value = to_json(data.get(question["key"]))
                if has_value(value):
                    answers[question["key"]] = value
        return answers


def _mark_relevance(field: forms.Field, rule: dict[str, Any] | None, here: set[str]) -> None:
    """Let the page's script hide a question until its condition holds (debrief.js).

    Only for a condition on this section's own questions: one on an earlier section's
    answer leaves the question shown, and submit applies the rule (missing_required).
    """
    if rule and rule["key"] in here:
        field.widget.attrs["data-relevant-key"] = rule["key"]
        if rule.get("value") is not None:
            field.widget.attrs["data-relevant-value"] = rule["value"]


def initial_for(section: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Form initial values from stored answers."""
    initial: dict[str, Any] = {}
    for question in section["questions"]:
        if question["type"] == "repeat":
            for n, entry in enumerate(answers.get(question["key"]) or []):
                for inner in question["questions"]:
                    initial[f"{question['key']}__{n}__{inner['key']}"] = from_json(inner, entry.get(inner["key"]))
        else:
            initial[question["key"]] = from_json(question, answers.get(question["key"]))
    return initial


def display(question: dict[str, Any], value: Any, default: str | None = None) -> str:
    """An answer as text for the review page, in the active language (else the form's ``default``)."""
    if not has_value(value):
        return ""
    labels = (
        dict(_choices(question, default))
        if question["type"] in ("select_one", "select_multiple", "yes_no", "region")
        else {}
    )
    if isinstance(value, list):
        return ", ".join(str(labels.get(item, item)) for item in value)
    return str(labels.get(value, value))


def validate_answers(section: dict[str, Any], answers: Any) -> None:
    """Raise ValidationError unless ``answers`` only holds this section's keys (a forged form field)."""
    keys = {question["key"] for question in section["questions"]}
    if not isinstance(answers, dict) or not set(answers) <= keys:
        raise ValidationError(_("These answers do not belong to this section."))
    for question in section["questions"]:
        if question["type"] == "repeat" and len(answers.get(question["key"]) or []) > MAX_ENTRIES:
            raise ValidationError(_("Too many entries."))


def answer_sheet(
    structure: dict[str, Any], answers: dict[str, dict[str, Any]], addenda: dict[str, list[Any]]
) -> list[dict[str, Any]]:
    """The read-only view of a session: per section, rows of (question key, label, answer, addenda).

    A repeat's entries come as rows labelled "Incident 1: Date". Irrelevant questions are left out.
    """
    flat = {key: value for section in answers.values() for key, value in section.items()}
    default = default_language(structure)
    sheet = []
    for section in structure["sections"]:
        given = answers.get(section["key"], {})
        rows = []
        for question in section["questions"]:
            if not is_relevant(question, flat):
                continue
            if question["type"] == "repeat":
                for number, entry in enumerate(given.get(question["key"]) or [], start=1):
                    for inner in question["questions"]:
                        label = f"{text(question['label'], default)} {number}: {text(inner['label'], default)}"
                        rows.append(
                            (
                                inner["key"],
                                label,
                                display(inner, entry.get(inner["key"]), default),
                                addenda.get(inner["key"], []),
                            )
                        )
            else:
                value = display(question, given.get(question["key"]), default)
                rows.append(
                    (question["key"], text(question["label"], default), value, addenda.get(question["key"], []))
                )
        sheet.append({"key": section["key"], "label": text(section["label"], default), "rows": rows})
    return sheet
