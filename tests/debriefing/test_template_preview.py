"""A draft template previewed as its debriefer will see it, read-only; publishing asks, then says it happened."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from audit.models import AuditEvent
from debriefing.models import DebriefTemplate

pytestmark = pytest.mark.django_db


def label(en: str, my: str) -> dict[str, str]:
    return {"en": en, "my": my}


STRUCTURE = {
    "sections": [
        {
            "key": "unit",
            "label": label("Unit", "တပ်ရင်း"),
            "questions": [
                {"key": "unit_name", "type": "text", "label": label("Unit name", "တပ်ရင်းအမည်"),
                 "hint": label("As the person calls it <b>", "သူခေါ်သလို"), "required": True, "tags": [],
                 "relevant": None},
                {"key": "posture", "type": "select_one", "label": label("Posture", "အနေအထား"),
                 "hint": {}, "required": False, "tags": [], "relevant": None,
                 "choices": [{"value": "defensive", "label": label("Defensive", "ခံစစ်")},
                             {"value": "offensive", "label": label("Offensive", "ထိုးစစ်")}]},
                {"key": "deployed", "type": "yes_no", "label": label("Deployed last year", "တပ်ဖြန့်ခဲ့"),
                 "hint": {}, "required": False, "tags": [], "relevant": None},
                {"key": "where", "type": "long_text", "label": label("Where deployed", "ဘယ်မှာ"),
                 "hint": {}, "required": False, "tags": [], "relevant": {"key": "deployed", "value": "yes"}},
            ],
        },
        {
            "key": "abuses",
            "label": label("Abuses witnessed", "ချိုးဖောက်မှုများ"),
            "questions": [
                {"key": "incident", "type": "repeat", "label": label("Incident", "ဖြစ်ရပ်"), "hint": {},
                 "required": False, "tags": [], "relevant": None, "questions": [
                    {"key": "incident_date", "type": "date", "label": label("Date", "ရက်စွဲ"),
                     "hint": label("Day it began", "စတင်သည့်နေ့"), "required": True, "tags": [], "relevant": None},
                    {"key": "incident_kind", "type": "select_multiple", "label": label("What happened", "ဘာဖြစ်"),
                     "hint": {}, "required": False, "tags": [], "relevant": None,
                     "choices": [{"value": "arson", "label": label("Arson", "မီးရှို့")}]},
                ]},
            ],
        },
    ]
}  # fmt: skip


@pytest.fixture
def draft() -> DebriefTemplate:
    return DebriefTemplate.objects.create(name="Field debrief", version=2, structure=STRUCTURE)


def preview_part(html: str) -> str:
    start = html.index("data-preview>")
    return html[start : html.index("data-publish", start) if "data-publish" in html[start:] else None]


def test_the_preview_shows_every_section_question_hint_and_choice(sup, draft):
    response = sup.get(f"/debriefing/templates/{draft.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "1. Unit", "2. Abuses witnessed", "Unit name", "As the person calls it &lt;b&gt;", "Posture", "Defensive",
        "Offensive", "Deployed last year", "Where deployed", "Incident 1: Date", "Day it began",
        "Incident 1: What happened", "Arson",
    ]:  # fmt: skip
        assert text in html, text
    assert "<b>" not in preview_part(html)  # an imported hint is text, never markup
    assert "Asked only when the answer to “Deployed last year” is “Yes”." in html
    part = preview_part(html)
    # Marked after the label, as on the section page: the unit's name, an incident's date (in each entry).
    assert '<label for="id_unit_name">Unit name <span class="required-note">(required before submitting)</span>' in part
    assert part.count('<span class="required-note">') == 2
    assert "(required in each entry before submitting)" in part
    assert "Incident: one entry is shown here" in html


def test_the_preview_cannot_be_typed_in_or_sent(sup, draft):
    part = preview_part(sup.get(f"/debriefing/templates/{draft.pk}/").content.decode())
    widgets = re.findall(r"<(?:input|select|textarea)\b[^>]*>", part)
    assert len(widgets) >= 5
    assert all(" disabled" in widget for widget in widgets), [w for w in widgets if " disabled" not in w]
    assert "<form" not in part and "save_token" not in part
    assert part.count('<fieldset class="preview-fields" disabled>') == 2


def test_a_single_choice_shows_its_choices_once_as_a_list_and_no_empty_drop_down(sup, draft):
    part = preview_part(sup.get(f"/debriefing/templates/{draft.pk}/").content.decode())
    posture = part[part.index('data-preview-question="posture"') :]
    posture = posture[: posture.index("</div>")]
    assert "<select" not in posture  # a disabled drop-down cannot be opened: its options would be hidden
    assert posture.count("Defensive") == 1 and posture.count("Offensive") == 1
    assert '<ul class="preview-choices"><li>Defensive</li><li>Offensive</li></ul>' in posture
    assert "The debriefer chooses one from a drop-down list:" in posture
    # A yes/no question and a multiple choice are shown as the debriefer sees them, choices once.
    assert '<select name="deployed"' in part and part.count("Arson") == 1


def test_labels_have_no_latin_colon_after_them_in_any_language(sup, draft):
    for lang, label in [("en", "Posture"), ("my", "အနေအထား")]:
        part = preview_part(sup.get(f"/debriefing/templates/{draft.pk}/?lang={lang}").content.decode())
        assert f">{label}</label>" in part, lang
        assert f"{label}:" not in part and f"{label} :" not in part, lang


def test_the_preview_shows_each_language_of_the_template(sup, draft):
    html = sup.get(f"/debriefing/templates/{draft.pk}/?lang=my").content.decode()
    part = preview_part(html)
    assert 'lang="my"' in html
    for text in ["တပ်ရင်းအမည်", "သူခေါ်သလို", "ခံစစ်", "ဖြစ်ရပ် 1: ရက်စွဲ", "မီးရှို့", "ချိုးဖောက်မှုများ"]:
        assert text in part, text
    assert "Unit name" not in part
    # Both languages are offered, each named in itself; an unknown one falls back to English.
    assert f'href="/debriefing/templates/{draft.pk}/?lang=en"' in html
    assert f'href="/debriefing/templates/{draft.pk}/?lang=my"' in html
    assert "Unit name" in preview_part(sup.get(f"/debriefing/templates/{draft.pk}/?lang=xx").content.decode())
    assert "Unit name" in preview_part(sup.get(f"/debriefing/templates/{draft.pk}/?lang={'x' * 5000}").content.decode())


def test_the_template_list_links_to_the_preview_and_asks_before_publishing(sup, draft):
    html = sup.get("/debriefing/templates/").content.decode()
    assert f'href="/debriefing/templates/{draft.pk}/"' in html
    assert "data-publish-confirm" in html and "makes it unchangeable" in html
    assert "data-publish-confirm" in sup.get(f"/debriefing/templates/{draft.pk}/").content.decode()


def test_publishing_says_that_it_happened_and_the_preview_then_offers_no_publish(sup, draft):
    response = sup.post(f"/debriefing/templates/{draft.pk}/publish/", follow=True)
    assert "Field debrief v2 is published: it can no longer be changed" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == DebriefTemplate.Status.PUBLISHED
    html = sup.get(f"/debriefing/templates/{draft.pk}/").content.decode()
    assert "Unit name" in html and "data-publish-confirm" not in html
    # A second click publishes nothing more and says why.
    again = sup.post(f"/debriefing/templates/{draft.pk}/publish/", follow=True).content.decode()
    assert "Only a draft can be published." in again and "is published:" not in again
    assert AuditEvent.objects.filter(action="debriefing.template.published").count() == 1


def test_a_post_to_the_preview_changes_nothing(sup, draft):
    assert sup.post(f"/debriefing/templates/{draft.pk}/", {"unit_name": "x"}).status_code == 405
    draft.refresh_from_db()
    assert draft.status == DebriefTemplate.Status.DRAFT and draft.structure == STRUCTURE


@pytest.mark.parametrize("role", [r for r in User.Role.values if r != User.Role.SUPERVISOR])
def test_only_supervisors_may_preview(client_for, make_user, draft, role):
    client = client_for(make_user(role))
    assert client.get(f"/debriefing/templates/{draft.pk}/").status_code == 403
    assert client.post(f"/debriefing/templates/{draft.pk}/publish/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == DebriefTemplate.Status.DRAFT


def test_a_template_that_does_not_exist_answers_404(sup, draft):
    assert sup.get(f"/debriefing/templates/{draft.pk + 1000}/").status_code == 404


def many_sections(count: int) -> dict:  # type: ignore[type-arg]
    return {
        "sections": [
            {"key": f"s{n}", "label": label(f"Section {n}", "အပိုင်း"), "questions": [
                {"key": f"q{n}", "type": "text", "label": label(f"Question {n}", "မေးခွန်း"), "hint": {},
                 "required": False, "tags": [], "relevant": None},
            ]}
            for n in range(count)
        ]
    }  # fmt: skip


def test_the_preview_costs_the_same_queries_whatever_the_size_of_the_template(sup, draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 30):
        DebriefTemplate.objects.filter(pk=draft.pk).update(structure=many_sections(size))
        sup.get(f"/debriefing/templates/{draft.pk}/")  # warm the session row
        with CaptureQueriesContext(connection) as run:
            html = sup.get(f"/debriefing/templates/{draft.pk}/").content.decode()
        assert f"Question {size - 1}" in html
        counts.append(len(run))
    assert counts[0] == counts[1]
