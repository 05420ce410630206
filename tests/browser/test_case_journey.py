"""A caseworker takes in a defector on a phone, spots a duplicate and reveals an identity; an auditor sees it.

Screenshots (phone 390 px and desktop 1280 px) go to $HAVEN_SHOTS_DIR/cases/.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, expect

from accounts.models import User
from audit.models import AuditEvent
from defectors.models import Case, Consent, DuplicateAlert
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

FULL_NAME = "Kyaw Zin Htet"
BORN = "1994-03-12"
SERVICE_NUMBER = "BA-7781204"
REASON = "Arranging a shelter placement"
CODE = re.compile(r"HV-[A-Z0-9]{4}-[A-Z0-9]{4}")
STEPS = 9  # eight steps to fill in, and the review
PHONE = {"width": 390, "height": 844}


def exactly(label: str) -> re.Pattern[str]:
    """A label by its whole text (Django ends labels with a colon)."""
    return re.compile(rf"^{re.escape(label)}:?$")


def phone_page(new_context: Callable[..., BrowserContext]) -> Page:
    context: BrowserContext = new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    return context.new_page()


def main(page: Page) -> Locator:
    return page.get_by_role("main")


def expect_step(page: Page, number: int, heading: str) -> None:
    """The step's heading, the counter above it, and the stepper marking the same step."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(main(page).get_by_text(f"Step {number} of {STEPS}")).to_be_visible()
    stepper = page.get_by_role("list", name="Intake steps")
    expect(stepper.get_by_role("listitem")).to_have_count(STEPS)
    expect(stepper.locator('[aria-current="step"]')).to_have_text(heading)


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def start_intake(page: Page, site: str, shoot: Callable[[Page, str], None] | None = None) -> str:
    """From the case list, through "New intake", to the first step; returns the new case's code."""
    main(page).get_by_role("link", name="New intake").click()
    expect(page).to_have_url(f"{site}/cases/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New intake")
    if shoot:
        shoot(page, "cases/00-new-intake")
    page.get_by_role("button", name="Start a new intake").click()
    expect(page).to_have_url(re.compile(r"/cases/HV-[A-Z0-9-]+/intake/identity/$"))
    match = CODE.search(page.url)
    assert match, page.url
    return match.group()


def fill_identity(page: Page) -> None:
    page.get_by_label("Full name").fill(FULL_NAME)
    page.get_by_label("Date of birth").fill(BORN)
    page.get_by_label("Sex").select_option(label="Male")
    page.get_by_label("Languages").fill("Burmese, English")
    page.get_by_label("State or region of origin").select_option(label="Sagaing Region")


def test_caseworker_takes_in_a_defector_on_a_phone_and_an_auditor_sees_the_reveal(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    auditor = UserFactory(role=User.Role.AUDITOR, username="audrey")
    today = timezone.localdate()

    page = phone_page(new_context)
    errors = console_errors(page)
    log_in_as(page, caseworker)
    expect(page).to_have_url(f"{site}/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My dashboard")

    # 1. A full intake, step by step.
    code = start_intake(page, site, shoot)
    expect_step(page, 1, "Identity")
    no_horizontal_overflow(page)
    fill_identity(page)
    shoot(page, "cases/01-identity")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/service/")
    expect_step(page, 2, "Service")
    page.get_by_label("Branch").select_option(label="Army")
    page.get_by_label(exactly("Rank")).fill("Sergeant")
    page.get_by_label("Rank band").select_option(label="Non-commissioned officer")
    page.get_by_label("Unit").fill("Light Infantry Battalion 12")
    page.get_by_label("Service number").fill(SERVICE_NUMBER)
    page.get_by_label("Years of service").fill("9")
    no_horizontal_overflow(page)
    shoot(page, "cases/02-service")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/defection/")
    expect_step(page, 3, "Defection")
    page.get_by_label("Date of defection").fill("2024-11-02")
    page.get_by_label("Place of defection").fill("Near Monywa")
    page.get_by_label("Circumstances").fill("Left the unit at night with two others.")
    page.get_by_label("Armed when defecting").select_option(label="No")
    page.get_by_label("Brought documents").select_option(label="Yes")
    no_horizontal_overflow(page)
    shoot(page, "cases/03-defection")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/family/")
    expect_step(page, 4, "Family")
    first = page.get_by_role("group", name="Family member 1")
    first.get_by_label("Relationship").fill("Wife")
    first.get_by_label(exactly("Name")).fill("Hnin Wai")
    first.get_by_label("Where they are").fill("Mandalay")
    first.get_by_label("At risk").select_option(label="Yes")
    no_horizontal_overflow(page)
    shoot(page, "cases/04-family")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/needs/")
    expect_step(page, 5, "Needs")
    page.locator("#id_shelter_urgency").select_option(label="High")
    page.locator("#id_shelter_note").fill("Needs a safe house this week.")
    page.locator("#id_medical_urgency").select_option(label="Medium")
    no_horizontal_overflow(page)
    shoot(page, "cases/05-needs")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/risk/")
    expect_step(page, 6, "Risk")
    page.get_by_label("Threat to the defector").select_option(label="High")
    page.get_by_label("Threat to the family").select_option(label="Medium")
    page.get_by_label("Reasons").fill("His unit knows his home village.")
    no_horizontal_overflow(page)
    shoot(page, "cases/06-risk")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/consents/")
    expect_step(page, 7, "Consents")
    page.get_by_label("Consent given: Data processing").check()
    save_and_continue(page)  # given, but not when or how
    summary = page.locator("[data-error-summary]")
    expect(summary.get_by_role("listitem")).to_have_count(2)
    expect(page.locator("#id_data_processing_on_error")).to_have_text("Give the date the consent was given.")
    expect(page.get_by_label("Consent given: Data processing")).to_be_checked()
    no_horizontal_overflow(page)
    shoot(page, "cases/07a-consents-errors")
    page.locator("#id_data_processing_on").fill(today.isoformat())
    page.locator("#id_data_processing_method").select_option(label="Verbal")
    no_horizontal_overflow(page)
    shoot(page, "cases/07-consents")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/contact/")
    expect_step(page, 8, "Contact and location")
    page.get_by_label("Contact channel").fill("Signal, through his cousin")
    page.get_by_label("Current location").fill("Mae Sot")
    no_horizontal_overflow(page)
    shoot(page, "cases/08-contact")
    save_and_continue(page)

    expect(page).to_have_url(f"{site}/cases/{code}/intake/review/")
    expect_step(page, 9, "Review and open the case")
    # The review shows what was typed (the caseworker typed it; opening the page is audited), each with a link.
    steps = main(page).locator(".review-step")
    expect(steps).to_have_count(8)
    expect(steps.filter(has_text="empty")).to_have_count(0)
    expect(steps.first).to_contain_text(FULL_NAME)
    expect(main(page).get_by_role("link", name="Change Contact and location")).to_be_visible()
    expect(main(page)).to_contain_text("Mae Sot")
    no_horizontal_overflow(page)
    shoot(page, "cases/09-review")
    page.get_by_role("button", name="Open the case").click()

    # The case page: code and status, and no identifying value until revealed.
    expect(page).to_have_url(f"{site}/cases/{code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Case {code}")
    expect(page.get_by_role("status")).to_contain_text(f"The case {code} is open")
    expect(page.locator("dl.facts dt", has_text="Status").locator("+ dd")).to_have_text("Active")
    expect(page.locator("dl.facts dt", has_text="Caseworker").locator("+ dd")).to_have_text("casey")
    expect(main(page).get_by_text("Shelter: High")).to_be_visible()
    expect(main(page).get_by_text(re.compile(r"Data processing:\s+given on"))).to_be_visible()
    expect(page.get_by_role("button", name="Reveal identity")).to_be_visible()
    for secret in (FULL_NAME, SERVICE_NUMBER, "Hnin Wai", "Mae Sot"):
        assert secret not in page.content(), f"{secret!r} is on the case page before a reveal"
    no_horizontal_overflow(page)
    shoot(page, "cases/10-case")

    case = Case.objects.get(code=code)
    assert (case.status, case.full_name, case.service_number) == (Case.Status.ACTIVE, FULL_NAME, SERVICE_NUMBER)
    assert case.urgency == Case.Urgency.NORMAL
    assert case.consents.get().method == Consent.Method.VERBAL

    # 2. The same person again: the duplicate check names the first case (casey may see it).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My cases").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My cases")
    expect(page.get_by_role("link", name=code)).to_be_visible()
    no_horizontal_overflow(page)
    shoot(page, "cases/11-case-list")
    second = start_intake(page, site)
    assert second != code
    fill_identity(page)
    save_and_continue(page)
    warning = page.locator("[data-duplicate-warning]")
    expect(warning.get_by_role("heading", name="Check before you go on")).to_be_visible()
    expect(warning.get_by_role("link", name=code)).to_have_attribute("href", f"/cases/{code}/")
    expect(warning).not_to_contain_text("ask your supervisor")
    expect_step(page, 1, "Identity")  # still on the step just saved
    no_horizontal_overflow(page)
    shoot(page, "cases/12-duplicate-name")
    warning.get_by_role("link", name="Continue").click()

    expect_step(page, 2, "Service")
    page.get_by_label("Service number").fill(SERVICE_NUMBER)
    save_and_continue(page)
    expect(warning.get_by_role("link", name=code)).to_be_visible()
    shoot(page, "cases/13-duplicate-service-number")
    assert not DuplicateAlert.objects.exists()  # no task for a supervisor: casey can see the match

    # 3. Back on the first case, the identity is revealed for a reason.
    warning.get_by_role("link", name=code).click()
    expect(page).to_have_url(f"{site}/cases/{code}/")
    page.get_by_label("Why do you need to see this person's identity?").fill(REASON)
    page.get_by_role("button", name="Reveal identity").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Identity {code}")
    expect(page.locator("dl.facts dt", has_text="Full name").locator("+ dd")).to_have_text(FULL_NAME)
    expect(page.locator("dl.facts dt", has_text="Service number").locator("+ dd")).to_have_text(SERVICE_NUMBER)
    expect(main(page).get_by_text("Hnin Wai")).to_be_visible()
    no_horizontal_overflow(page)
    shoot(page, "cases/14-identity")
    assert errors == []

    # 4. An auditor, at a desk, finds the reveal with who did it and why.
    desk: BrowserContext = new_context(viewport={"width": 1280, "height": 800})
    audit_page = desk.new_page()
    audit_errors = console_errors(audit_page)
    log_in_as(audit_page, auditor)
    expect(audit_page).to_have_url(f"{site}/audit/")
    expect(audit_page.get_by_role("heading", level=1)).to_have_text("Audit log")
    audit_page.get_by_text("Filter", exact=True).click()
    audit_page.get_by_label("Action").fill("defectors.case.identity_revealed")
    audit_page.get_by_label("Object").fill(code)
    audit_page.get_by_role("button", name="Apply").click()
    rows = audit_page.locator("table.events tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("cell")).to_have_text(
        [re.compile(r"\d+"), re.compile(r"\d{4}-\d\d-\d\d"), "casey", "defectors.case.identity_revealed", code, REASON]
    )
    shoot(audit_page, "cases/15-audit-log")
    audit_page.set_viewport_size(PHONE)
    no_horizontal_overflow(audit_page)
    assert audit_errors == []
    assert AuditEvent.objects.filter(action="defectors.case.identity_revealed", object_ref=code).count() == 1


def test_a_match_on_someone_elses_case_goes_to_a_supervisor(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    other = CaseFactory(service_number=SERVICE_NUMBER, created_by=UserFactory(username="kim"))
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")

    page = phone_page(new_context)
    errors = console_errors(page)
    log_in_as(page, caseworker)
    code = start_intake(page, site)
    page.get_by_label("Full name").fill(FULL_NAME)
    save_and_continue(page)
    page.get_by_label("Service number").fill(SERVICE_NUMBER)
    save_and_continue(page)

    warning = page.locator("[data-duplicate-warning]")
    expect(warning.get_by_role("heading", name="Check before you go on")).to_be_visible()
    expect(warning).to_contain_text("Possible duplicate: ask your supervisor.")
    expect(warning.get_by_role("link")).to_have_text(["Continue", "Change what I typed"])  # nothing to open
    assert other.code not in page.content()
    no_horizontal_overflow(page)
    shoot(page, "cases/20-duplicate-hidden")
    assert errors == []

    desk: BrowserContext = new_context(viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    log_in_as(page, supervisor)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard: all caseworkers")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("All cases")
    expect(main(page).get_by_role("link", name="1 possible duplicate to check")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks (1 open)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Possible duplicates to check")
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text(
        [code, other.code, "service number", re.compile(r"^casey · "), re.compile("Outcome")]
    )
    shoot(page, "cases/21-tasks")
    assert DuplicateAlert.objects.get().raised_by == caseworker
    row.get_by_label("Outcome").select_option(label="Different people")
    row.get_by_role("button", name="Record the outcome").click()
    expect(page.get_by_role("status")).to_contain_text(f"Outcome recorded for {code}: Different people.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks", exact=True)).to_be_visible()
