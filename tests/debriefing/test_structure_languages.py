"""Migration 0004: templates from before name their languages; texts are shown in the person's language."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import translation

from debriefing import structure as st
from debriefing.models import DebriefTemplate

pytestmark = pytest.mark.django_db
migration = import_module("debriefing.migrations.0004_structure_languages")


def old(label: dict[str, str], choice: dict[str, str] | None = None) -> dict:
    question = {"key": "q", "type": "select_one", "label": label, "hint": {}, "required": False, "tags": [],
                "relevant": None, "choices": [{"value": "a", "label": choice or label}]}  # fmt: skip
    return {"sections": [{"key": "s", "label": label, "questions": [question]}]}


def test_the_migration_names_the_languages_a_template_from_before_holds_and_changes_no_text():
    both = DebriefTemplate.objects.create(name="Both", version=1, structure=old({"en": "Q", "my": "မေး"}))
    english = DebriefTemplate.objects.create(name="English", version=1, structure=old({"en": "Q"}))
    burmese_choice = DebriefTemplate.objects.create(name="Choice", version=1, structure=old({"en": "Q"}, {"my": "က"}))
    kept = {"languages": [{"code": "fr", "name": "French (fr)"}], "default_language": "fr", **old({"fr": "Q"})}
    newer = DebriefTemplate.objects.create(name="Newer", version=1, structure=kept)
    migration.name_languages(apps, None)
    for template in (both, english, burmese_choice, newer):
        template.refresh_from_db()
    assert both.structure == {
        "languages": [{"code": "en", "name": "English (en)"}, {"code": "my", "name": "Burmese (my)"}],
        "default_language": "en", **old({"en": "Q", "my": "မေး"}),
    }  # fmt: skip
    assert english.structure["languages"] == [{"code": "en", "name": "English (en)"}]
    assert [lang["code"] for lang in burmese_choice.structure["languages"]] == ["en", "my"]
    assert newer.structure == kept
    migration.name_languages(apps, None)  # twice: nothing more changes
    both.refresh_from_db()
    assert both.structure["default_language"] == "en"


def test_the_migration_reverses_to_the_old_shape():
    template = DebriefTemplate.objects.create(name="Both", version=1, structure=old({"en": "Q", "my": "မေး"}))
    migration.name_languages(apps, None)
    migration.unname_languages(apps, None)
    template.refresh_from_db()
    assert template.structure == old({"en": "Q", "my": "မေး"})


def test_a_section_form_and_the_answer_sheet_show_the_persons_language_else_the_forms_default():
    structure = {"languages": [{"code": "fr", "name": "French (fr)"}, {"code": "my", "name": "Burmese (my)"}],
                 "default_language": "fr", **old({"fr": "Question", "my": "မေးခွန်း"}, {"fr": "Oui"})}  # fmt: skip
    section = structure["sections"][0]
    with translation.override("en"):  # English is not in the form: French, its default
        form = st.SectionForm(section=section, entries={}, default=st.default_language(structure))
        assert form.fields["q"].label == "Question"
        assert st.answer_sheet(structure, {"s": {"q": "a"}}, {})[0]["rows"][0][1:3] == ("Question", "Oui")
    with translation.override("my"):
        form = st.SectionForm(section=section, entries={}, default=st.default_language(structure))
        assert form.fields["q"].label == "မေးခွန်း"
        assert st.answer_sheet(structure, {"s": {"q": "a"}}, {})[0]["rows"][0][1:3] == ("မေးခွန်း", "Oui")


def test_a_text_missing_in_both_the_persons_and_the_default_language_is_never_shown_blank():
    with translation.override("my"):
        assert st.text({"Karen": "K text"}, "fr") == "K text"
        assert st.text({}, "fr") == ""
