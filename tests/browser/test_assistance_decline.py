"""On a 360 px phone, without JavaScript doing the work, a supervisor declines assistance with a
reason and the caseworker who recorded it reads the decision."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from support import services
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}


def test_a_supervisor_declines_on_a_phone_and_the_caseworker_is_told(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    case = CaseFactory(created_by=caseworker)
    services.record_assistance(
        case=case, by=caseworker,
        fields={"kind": "cash", "amount": Decimal("9000"), "currency": "THB", "given_on": datetime.date.today(),
                "purpose": "Rent"},
    )  # fmt: skip

    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True, java_script_enabled=False).new_page()
    errors = console_errors(page)
    log_in_as(page, supervisor)
    page.goto(f"{site}/support/cases/{case.code}/#assistance")
    assistance = page.locator("#assistance")
    expect(assistance.get_by_role("button", name="Approve")).to_be_visible()
    assistance.get_by_role("link", name="Decline").click()
    no_horizontal_overflow(page)
    shoot(page, "support/decline-assistance")
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text("Give the reason.").first).to_be_visible()  # nothing typed: asked again
    page.get_by_label("Reason").fill("The monthly budget is spent.")
    page.get_by_role("button", name="Decline").click()
    expect(page.locator("#assistance [data-declined]")).to_contain_text(
        f"Declined by sam on {datetime.date.today().isoformat()}: The monthly budget is spent."
    )
    expect(page.locator("#assistance").get_by_role("button", name="Approve")).to_have_count(0)
    no_horizontal_overflow(page)
    assert [error for error in errors if "status of 400" not in error] == []  # the form without a reason: 400

    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    log_in_as(page, caseworker)
    page.goto(f"{site}/support/notifications/")
    expect(page.get_by_role("listitem").filter(has_text="Assistance declined")).to_contain_text(case.code)
    no_horizontal_overflow(page)
