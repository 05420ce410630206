"""A debrief end to end at 360 px: a supervisor schedules it, a debriefer fills it in (autosave, an
incident group, an urgent item), the supervisor returns it once, approves it and exports.

Screenshots go to $HAVEN_SHOTS_DIR/debrief/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from debriefing.models import DebriefSession, SectionAnswers
from tests.factories import PASSWORD, CaseFactory, UserFactory, give_consent, standard_template

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}
UNIT = "Light Infantry Battalion 52"


def narrow_page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()


def open_section(page: Page, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def save(page: Page) -> None:
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved.")).to_be_visible()


def test_a_debrief_is_planned_run_reviewed_and_exported_at_360_px(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, no_horizontal_overflow, console_errors
):
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    case = CaseFactory(full_name="Ko Hidden Name")
    give_consent(case)
    standard_template()

    # The supervisor schedules the debrief.
    sup = narrow_page(new_context)
    sup_errors = console_errors(sup)
    log_in_as(sup, supervisor)
    sup.goto(f"{site}/debriefing/")
    sup.get_by_role("link", name="Schedule a debrief").click()
    sup.get_by_label("Case code").fill(case.code)
    sup.get_by_label("Debriefer").select_option("dara")
    sup.get_by_label("Template").select_option(label="Standard debrief v1")
    sup.get_by_label("Date").fill("2026-12-01")
    sup.get_by_role("button", name="Schedule").click()
    expect(sup.get_by_text("Debrief scheduled.")).to_be_visible()
    no_horizontal_overflow(sup)

    # The debriefer lands on their debriefs and sees the case code, never the name.
    deb = narrow_page(new_context)
    deb_errors = console_errors(deb)
    log_in_as(deb, debriefer)
    expect(deb).to_have_url(f"{site}/debriefing/")
    deb.get_by_role("link", name=case.code).click()
    assert "Ko Hidden Name" not in deb.content()
    shoot(deb, "debrief/01-session")

    open_section(deb, "Service background")
    deb.get_by_label("Years of service").fill("6")
    deb.get_by_label("Branch").select_option("army")
    save(deb)

    # Autosave: typed, never submitted, still there after leaving the page.
    open_section(deb, "Unit and command structure")
    deb.get_by_label(re.compile(r"^Unit \(required before submitting\)$")).fill(UNIT)
    expect(deb.locator("[data-autosave-status]")).to_have_text("Saved")
    expect(deb.locator("[data-progress]")).not_to_have_text("0%")
    no_horizontal_overflow(deb)
    deb.get_by_role("link", name=case.code).click()
    assert SectionAnswers.objects.get(section="unit").answers == {"unit_name": UNIT}

    open_section(deb, "Operations and airstrikes")
    deb.get_by_label("Took part in operations").select_option("no")
    save(deb)

    # The incident group appears once "witnessed" is yes; a second entry is added.
    open_section(deb, "Human-rights violations witnessed")
    expect(deb.get_by_label("Incident 1: Date")).to_be_hidden()
    deb.get_by_label("Witnessed violations").select_option("yes")
    deb.get_by_label("Incident 1: Date").fill("2023-04-11")
    deb.get_by_label("Incident 1: What happened").fill("The village was burned")
    deb.get_by_role("button", name=re.compile("Save and add another")).click()
    deb.get_by_label("Incident 2: Date").fill("2023-05-02")
    deb.get_by_label("Incident 2: What happened").fill("Two men were shot")
    shoot(deb, "debrief/02-incidents")
    save(deb)

    open_section(deb, "Wellbeing check")
    deb.get_by_label("How are you feeling after this interview?").select_option("tired")
    save(deb)

    # An urgent item.
    deb.get_by_role("link", name="Record an intelligence item").click()
    deb.get_by_label("Category").select_option("airstrike")
    deb.get_by_label("Summary").fill("Airstrike planned on the market at dawn")
    deb.get_by_label("Time-sensitive").check()
    deb.get_by_label("Source reliability").select_option("B")
    deb.get_by_label("Information credibility").select_option("2")
    no_horizontal_overflow(deb)
    deb.get_by_role("button", name="Record").click()
    deb.get_by_role("link", name="Submit for review").click()
    deb.get_by_role("button", name="Submit for review").click()
    expect(deb.get_by_text("Submitted for review.")).to_be_visible()

    # The supervisor sees the urgent item at once, and returns the debrief once.
    sup.goto(f"{site}/debriefing/")
    expect(sup.locator("[data-urgent-items]")).to_contain_text("Airstrike planned on the market at dawn")
    no_horizontal_overflow(sup)
    sup.get_by_role("link", name=case.code).first.click()
    expect(sup.get_by_text(UNIT)).to_be_visible()
    no_horizontal_overflow(sup)
    sup.get_by_label("Returned").check()
    sup.get_by_label("Comments for the debriefer").fill("Ask which base the battalion left from.")
    sup.get_by_role("button", name="Record the decision").click()
    expect(sup.locator("[data-review]")).to_contain_text("Ask which base")
    shoot(sup, "debrief/03-returned")

    deb.reload()
    expect(deb.locator("[data-review]")).to_contain_text("Ask which base the battalion left from.")
    open_section(deb, "Bases and deployments")
    deb.get_by_label("Township").fill("Monywa")
    save(deb)
    deb.get_by_role("link", name="Submit for review").click()
    deb.get_by_role("button", name="Submit for review").click()
    expect(deb.get_by_text("Submitted for review.")).to_be_visible()

    sup.reload()
    sup.get_by_label("Approved").check()
    sup.get_by_role("button", name="Record the decision").click()
    expect(sup.locator("[data-review].message--success")).to_contain_text("Approved")  # the page after the decision
    assert DebriefSession.objects.get().status == DebriefSession.Status.APPROVED

    # The export asks for the password again, then downloads.
    sup.goto(f"{site}/debriefing/")
    sup.get_by_role("link", name="CSV").click()
    sup.get_by_label("Password").fill(PASSWORD)
    with sup.expect_download() as download:
        sup.get_by_role("button", name=re.compile("Confirm", re.IGNORECASE)).click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert [row["summary"] for row in rows] == ["Airstrike planned on the market at dawn"]
    assert case.code not in str(rows)
    assert sup_errors == [] and deb_errors == []
