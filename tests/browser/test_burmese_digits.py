"""Burmese digits typed into a number box reach the server (a type="number" box gave it "")."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support.models import Shelter
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_beds_typed_in_burmese_digits_at_360_px_are_saved(new_context, site, log_in_as):
    supervisor = UserFactory(role="supervisor")
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    log_in_as(page, supervisor)
    page.goto(f"{site}/support/shelters/new/")
    page.get_by_label("Name").fill("Hill house")
    beds = page.get_by_label("Beds")
    beds.press_sequentially("၁၂")  # as a Burmese keyboard types them
    expect(beds).to_have_value("၁၂")
    page.get_by_role("button", name="Save").click()
    expect(page).not_to_have_url(f"{site}/support/shelters/new/")
    [shelter] = Shelter.objects.all()
    assert shelter.name == "Hill house" and shelter.beds == 12
