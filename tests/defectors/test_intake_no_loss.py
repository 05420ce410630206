"""An intake that never drops what was typed: over-long text, notes beside "Not needed", Back, resuming, review."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from defectors.models import Case, Need
from tests.factories import CaseFactory


@pytest.fixture
def draft(caseworker) -> Case:  # type: ignore[no-untyped-def]
    return CaseFactory(
        created_by=caseworker, status=Case.Status.INTAKE, full_name="Ko Review Sentinel", service_number="RV-123"
    )


def post(client, case: Case, step: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case.code}/intake/{step}/", data)


def test_an_over_long_name_is_refused_naming_the_limit_and_nothing_else(cw, draft):
    response = post(cw, draft, "identity", {"full_name": "x" * 250})
    assert response.status_code == 200
    assert response.context["form"].errors["full_name"] == [
        "Ensure this value has at most 200 characters (it has 250)."
    ]
    draft.refresh_from_db()
    assert draft.full_name == "Ko Review Sentinel"


@pytest.mark.parametrize("step", ["identity", "service", "defection", "family", "needs", "risk", "contact"])
def test_no_intake_field_lets_the_browser_cut_text_silently(cw, draft, step):
    assert "maxlength" not in cw.get(f"/cases/{draft.code}/intake/{step}/").content.decode()


def test_an_over_long_circumstances_text_is_refused_with_the_limit(cw, draft):
    response = post(cw, draft, "defection", {"circumstances": "x" * 50_001})
    assert "at most 50000 characters (it has 50001)" in response.content.decode()


def test_a_note_beside_not_needed_is_refused_not_dropped(cw, draft):
    response = post(cw, draft, "needs", {"shelter_urgency": "", "shelter_note": "Sleeps at a friend's"})
    assert response.status_code == 200
    assert "a need marked “Not needed” keeps no note" in response.content.decode()
    assert not Need.objects.filter(case=draft).exists()


def test_a_need_with_an_urgency_keeps_its_note(cw, draft):
    assert post(cw, draft, "needs", {"shelter_urgency": "high", "shelter_note": "This week"}).status_code == 302
    assert Need.objects.get(case=draft).note == "This week"


def test_resuming_opens_the_first_step_not_saved_yet(cw, draft):
    assert cw.get(f"/cases/{draft.code}/intake/")["Location"].endswith("/intake/identity/")
    post(cw, draft, "identity", {"full_name": "Ko Review Sentinel"})
    post(cw, draft, "service", {"branch": "army"})
    post(cw, draft, "family", {"family-TOTAL_FORMS": "0", "family-INITIAL_FORMS": "0"})  # saved with nobody in it
    assert cw.get(f"/cases/{draft.code}/intake/")["Location"].endswith("/intake/defection/")
    draft.refresh_from_db()
    assert draft.intake_steps_saved == ["identity", "service", "family"]


def test_resuming_an_opened_case_goes_to_the_case(cw, case):
    assert cw.get(f"/cases/{case.code}/intake/")["Location"] == f"/cases/{case.code}/"


def test_the_case_list_links_a_draft_to_where_it_was_left(cw, draft):
    assert f'href="/cases/{draft.code}/intake/"' in cw.get("/cases/").content.decode()


def test_save_and_go_back_saves_the_step_then_goes_back(cw, draft):
    response = post(cw, draft, "defection", {"circumstances": "Typed, then Back", "go": "back"})
    assert response["Location"].endswith("/intake/service/")
    draft.refresh_from_db()
    assert draft.circumstances == "Typed, then Back"


def test_going_back_with_a_mistake_keeps_the_page_and_the_text(cw, draft):
    response = post(cw, draft, "defection", {"circumstances": "Kept", "defection_date": "2999-01-01", "go": "back"})
    assert response.status_code == 200 and "Kept" in response.content.decode()


def test_the_family_step_offers_a_row_template_to_grow(cw, draft):
    page = cw.get(f"/cases/{draft.code}/intake/family/").content.decode()
    assert "data-add-form" in page and 'name="family-__prefix__-relationship"' in page
    assert "save and come back" not in page


def test_a_family_of_five_is_saved_at_once(cw, draft):
    members = {"family-TOTAL_FORMS": "5", "family-INITIAL_FORMS": "0"}
    for n in range(5):
        members[f"family-{n}-relationship"] = f"Relative {n}"
    assert post(cw, draft, "family", members).status_code == 302
    assert draft.family.count() == 5


def test_the_review_shows_every_steps_values_and_is_audited(cw, caseworker, draft):
    post(cw, draft, "needs", {"shelter_urgency": "high", "shelter_note": "Safe house note"})
    page = cw.get(f"/cases/{draft.code}/intake/review/").content.decode()
    assert "Ko Review Sentinel" in page and "RV-123" in page and "Safe house note" in page
    assert f'href="/cases/{draft.code}/intake/contact/"' in page
    assert AuditEvent.objects.filter(action="defectors.case.intake_opened", object_ref=draft.code).exists()


def test_opening_the_case_confirms_it(cw, draft):
    response = cw.post(f"/cases/{draft.code}/intake/submit/", follow=True)
    assert f"The case {draft.code} is open" in response.content.decode()
