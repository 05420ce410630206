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
