"""Templates name their languages: a structure from before holds English and Burmese texts only.

Texts were already {language code: text} with the codes "en" and "my" (the old import
read no other language), so only the list of languages and the default are added;
no text changes. Reversing drops the two keys again.
"""

from django.db import migrations

OLD_LANGUAGES = [{"code": "en", "name": "English (en)"}, {"code": "my", "name": "Burmese (my)"}]


def _codes(structure):  # type: ignore[no-untyped-def]
    """Every language code that some label, hint or choice label of the structure uses."""
    codes = set()

    def texts(question):  # type: ignore[no-untyped-def]
        yield question.get("label") or {}
        yield question.get("hint") or {}
        for choice in question.get("choices") or []:
            yield choice.get("label") or {}
        for inner in question.get("questions") or []:
            yield from texts(inner)

    for section in structure.get("sections", []):
        codes.update(code for code, text in (section.get("label") or {}).items() if text)
        for question in section.get("questions", []):
            for labels in texts(question):
                codes.update(code for code, text in labels.items() if text)
    return codes


def name_languages(apps, schema_editor):  # type: ignore[no-untyped-def]
    DebriefTemplate = apps.get_model("debriefing", "DebriefTemplate")
    for template in DebriefTemplate.objects.all():
        structure = template.structure or {}
        if "languages" in structure:
            continue
        codes = _codes(structure)
        languages = [language for language in OLD_LANGUAGES if language["code"] in codes] or OLD_LANGUAGES[:1]
        template.structure = {"languages": languages, "default_language": "en", **structure}
        template.save(update_fields=["structure"])


def unname_languages(apps, schema_editor):  # type: ignore[no-untyped-def]
    DebriefTemplate = apps.get_model("debriefing", "DebriefTemplate")
    for template in DebriefTemplate.objects.all():
        structure = dict(template.structure or {})
        if "languages" in structure:
            structure.pop("languages")
            structure.pop("default_language", None)
            template.structure = structure
            template.save(update_fields=["structure"])


class Migration(migrations.Migration):
    dependencies = [("debriefing", "0003_incident_consent_is_the_cases")]
    operations = [migrations.RunPython(name_languages, unname_languages)]
