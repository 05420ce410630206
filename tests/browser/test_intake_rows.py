"""On a 360 px phone: the family step grows rows in place, and leaving a step with unsaved input asks first."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, expect

from accounts.models import User
from defectors.models import Case
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}


def test_the_family_step_grows_and_unsaved_input_is_not_left_silently(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, console_errors, no_horizontal_overflow
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    page: Page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, caseworker)
    page.goto(f"{site}/cases/{draft.code}/intake/family/")

    add = page.get_by_role("button", name="Add another person")
    for _ in range(3):
        add.click()
    groups = page.get_by_role("group", name="Family member")
    expect(groups).to_have_count(5)
    for n in range(5):
        page.get_by_role("group", name=f"Family member {n + 1}").get_by_label("Relationship").fill(f"Relative {n + 1}")
    no_horizontal_overflow(page)

    # A step link with unsaved input: the browser asks; staying keeps what was typed.
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", stay)
    page.get_by_role("list", name="Intake steps").get_by_role("link").first.click(no_wait_after=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(f"{site}/cases/{draft.code}/intake/family/")

    page.get_by_role("button", name="Save and continue").click()  # saving does not ask
    expect(page).to_have_url(f"{site}/cases/{draft.code}/intake/needs/")
    assert sorted(member.relationship for member in draft.family.all()) == [f"Relative {n}" for n in range(1, 6)]
    assert errors == []
