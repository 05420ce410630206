"""The languages of a form: each language column's name (``English (en)``, ``en``, ``Karen``) and its code.

A template's texts are keyed by code, so a person whose Django language is ``my``
sees the ``Burmese (my)`` column. A name that carries no recognisable code keeps
the name itself as its key; pyxform's ``default`` (a bare ``label`` column with
no ``default_language``) stays ``default``.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from debriefing.structure import all_questions, languages

UNNAMED = "default"  # pyxform's key for a bare label column when the form names no default language
CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)\s*\)\s*$")
BARE_CODE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
# Names forms use that Django's table spells otherwise.
OTHER_NAMES = {"myanmar": "my"}


def _by_name() -> dict[str, str]:
    names = dict(OTHER_NAMES)
    for code, info in LANG_INFO.items():
        if "name" in info:
            names.setdefault(info["name"].lower(), code)
            names.setdefault(info["name_local"].lower(), code)
    return names


BY_NAME = _by_name()


def language_code(name: str) -> str:
    """``English (en)`` -> ``en``; ``en`` -> ``en``; ``French`` -> ``fr``; ``Karen`` -> ``Karen``."""
    name = name.strip()
    if match := CODE_IN_NAME.search(name):
        return match[1].lower().replace("_", "-")
    if BARE_CODE.match(name):
        return name.lower().replace("_", "-")
    return BY_NAME.get(name.lower(), name)


def language_label(code: str, name: str) -> str:
    """How a language is named to a person: ``English (en)`` -> ``English``, ``fr`` -> ``French``."""
    if code == UNNAMED:
        return _("the unnamed label column")
    bare = CODE_IN_NAME.sub("", name).strip()
    if bare and bare.lower() != code:
        return bare
    info = LANG_INFO.get(code)
    return str(info["name"]) if info and "name" in info else name


def _counts(structure: dict[str, Any], texts: list[dict[str, str]]) -> str:
    """ "English (4 of 4), Burmese (2 of 4)": how many of ``texts`` each language of the form fills."""
    counts = []
    for language in languages(structure):
        filled = sum(1 for text in texts if text.get(language["code"]))
        counts.append(
            _("%(language)s (%(filled)s of %(total)s)")
            % {"language": language_label(language["code"], language["name"]), "filled": filled, "total": len(texts)}
        )
    return ", ".join(counts)


def summary(structure: dict[str, Any]) -> str:
    """What came in, so that a missing translation is noticed.

    "3 sections, 24 questions; labels in English (24 of 24), Burmese (20 of 24); hints in English (4 of 4),
    Burmese (2 of 4); choice labels in English (9 of 9), Burmese (9 of 9)". Hints count the questions that
    have one in any language; the hint and choice parts are left out when the form has none.
    """
    sections = structure["sections"]
    questions = list(all_questions(structure))
    hints = [question["hint"] for question in questions if any((question.get("hint") or {}).values())]
    choices = [choice["label"] for question in questions for choice in question.get("choices") or []]
    parts = [
        _("%(sections)s, %(questions)s; labels in %(languages)s")
        % {
            "sections": ngettext("%(n)s section", "%(n)s sections", len(sections)) % {"n": len(sections)},
            "questions": ngettext("%(n)s question", "%(n)s questions", len(questions)) % {"n": len(questions)},
            "languages": _counts(structure, [question["label"] for question in questions]),
        }
    ]
    if hints:
        parts.append(_("hints in %(languages)s") % {"languages": _counts(structure, hints)})
    if choices:
        parts.append(_("choice labels in %(languages)s") % {"languages": _counts(structure, choices)})
    return "; ".join(parts)
