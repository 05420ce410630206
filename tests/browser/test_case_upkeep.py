"""A caseworker keeps an opened case on a 360 px phone; a week later the supervisor sees the follow-up overdue.

Issue 9, browser test (2). Time is moved by making the server's "today" a week
later (django.utils.timezone.localdate, which every date rule reads); the live
server runs in this process, so the patch reaches it. Screenshots go to
$HAVEN_SHOTS_DIR/upkeep/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, expect

from accounts.models import User
from audit.models import AuditEvent
from defectors.models import Case, CaseNote
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}


def phone(new_context: Callable[..., BrowserContext]) -> Page:
    context: BrowserContext = new_context(viewport=NARROW, is_mobile=True, has_touch=True)
    return context.new_page()


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def test_a_caseworker_keeps_a_case_and_the_supervisor_sees_the_follow_up_overdue_next_week(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow, monkeypatch
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="suvi")
    case = CaseFactory(created_by=caseworker, current_location="Mae Sot")
    today = timezone.localdate()
    follow_up_on = today + datetime.timedelta(days=3)

    page = phone(new_context)
    errors = console_errors(page)
    log_in_as(page, caseworker)
    page.goto(f"{site}/cases/{case.code}/")
    no_horizontal_overflow(page)
    shoot(page, "upkeep/01-case")

    # 1. The current location changes, with a reason.
    main(page).get_by_role("link", name="Contact and location").click()
    expect(page.get_by_label("Current location")).to_have_value("Mae Sot")
    page.get_by_label("Current location").fill("Chiang Mai")
    page.get_by_label("Reason for this change").fill("Moved after a threat")
    no_horizontal_overflow(page)
    shoot(page, "upkeep/02-location")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{site}/cases/{case.code}/")
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    assert Case.objects.get(pk=case.pk).current_location == "Chiang Mai"

    # 2. A family member is added.
    main(page).get_by_role("link", name="Family", exact=True).click()
    main(page).get_by_role("link", name="Add a family member").click()
    page.get_by_label("Relationship").fill("Sister")
    page.get_by_label(re.compile(r"^Name:?$")).fill("Ma Hla")
    page.get_by_label("Reason for this change").fill("Learnt of her on a visit")
    no_horizontal_overflow(page)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{site}/cases/{case.code}/family/")
    expect(page.get_by_role("status")).to_contain_text("Family member added.")
    expect(main(page)).to_contain_text("Ma Hla")
    no_horizontal_overflow(page)
    shoot(page, "upkeep/03-family")
    main(page).get_by_role("link", name="Back to the case").click()

    # 3. A note of the visit.
    main(page).get_by_role("link", name="Add a note").click()
    page.get_by_label("Kind").select_option(label="Visit")
    page.get_by_label(re.compile(r"^Note:?$")).fill("Visited at the new address; settling in.")
    no_horizontal_overflow(page)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Note saved.")
    expect(page.locator("[data-notes]")).not_to_contain_text("Visited at the new address")  # texts on request
    main(page).get_by_role("link", name="Show the texts").click()
    expect(page.locator("[data-notes]")).to_contain_text("Visited at the new address")
    expect(page.locator("[data-notes]")).to_contain_text("casey")

    # 4. The next follow-up, in three days.
    main(page).get_by_role("link", name="Set the follow-up").click()
    page.get_by_label("Next follow-up").fill(follow_up_on.isoformat())
    page.get_by_label("What it is for").fill("Check the new shelter")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up saved.")
    expect(main(page)).to_contain_text(follow_up_on.isoformat())
    expect(main(page).get_by_text("Overdue")).to_have_count(0)
    no_horizontal_overflow(page)
    shoot(page, "upkeep/04-case-after")
    assert errors == []

    # 5. A week later: the supervisor's list marks it overdue and finds it by the filter.
    next_week = today + datetime.timedelta(days=7)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: next_week)
    boss = phone(new_context)
    boss_errors = console_errors(boss)
    log_in_as(boss, supervisor)
    boss.goto(f"{site}/cases/?follow_up=overdue")
    row = main(boss).get_by_role("row").filter(has_text=case.code)
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("casey")
    expect(main(boss).get_by_role("row")).to_have_count(2)  # the header and this case
    no_horizontal_overflow(boss)
    shoot(boss, "upkeep/05-supervisor-overdue")
    assert boss_errors == []

    # Every change was audited, without values.
    actions = set(AuditEvent.objects.filter(object_ref=case.code).values_list("action", flat=True))
    assert {
        "defectors.case.section_edited",
        "defectors.case.family_member_added",
        "defectors.case.note_added",
        "defectors.case.follow_up_set",
    } <= actions
    reasons = " ".join(event.reason for event in AuditEvent.objects.all())  # sealed: read through the property
    assert not re.search("Chiang Mai|Ma Hla|settling|new shelter", reasons)
    assert CaseNote.objects.filter(case=case).count() == 1
