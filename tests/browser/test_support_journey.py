"""A caseworker on a 360 px phone takes a new case to a shelter, a training course and a
completed mental-health referral with its packet, watching the dashboard change."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from audit.models import AuditEvent
from defectors.models import Consent
from support.models import Goal, Provider, Referral, Shelter, Task
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}


def section(page: Page, anchor: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#{anchor}")


def test_a_caseworker_takes_a_case_through_its_transition_on_a_phone(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    today = timezone.localdate()
    case = CaseFactory(created_by=caseworker, full_name="Kyaw Zin Htet", languages="Burmese")
    Consent.objects.create(
        case=case, kind=Consent.Kind.REFERRAL_SHARING, given_on=today, method=Consent.Method.VERBAL,
        recorded_by=caseworker,
    )  # fmt: skip
    Provider(name="Hope Counselling", services=["mental_health", "training"], languages=["my"]).save()
    Shelter(name="River House", beds=4).save()

    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, caseworker)
    expect(page).to_have_url(f"{site}/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My dashboard")
    occupancy = section(page, "occupancy")
    expect(
        occupancy.get_by_role("row", name=re.compile(r"River House (Beds )?4 (Occupied )?0 (Free )?4"))
    ).to_be_visible()
    expect(section(page, "ending")).not_to_contain_text(case.code)
    no_horizontal_overflow(page)
    shoot(page, "support/01-dashboard")

    # 1. A shelter placement, ending within the week.
    page.goto(f"{site}/cases/{case.code}/")
    page.get_by_role("link", name="Support: shelter, referrals, training, plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.code)
    shelter = section(page, "placement")
    shelter.get_by_label("Shelter (free beds)").select_option(label="River House (4)")
    shelter.get_by_label("Check-in date").fill(today.isoformat())
    shelter.get_by_label("Expected end").fill((today + datetime.timedelta(days=5)).isoformat())
    no_horizontal_overflow(page)
    shelter.get_by_role("button", name="Place in the shelter").click()
    expect(page.get_by_role("status")).to_contain_text("Placed in the shelter.")
    expect(section(page, "placement")).to_contain_text("River House")
    shoot(page, "support/02-placed")

    page.get_by_role("link", name="Dashboard").click()
    expect(section(page, "ending")).to_contain_text(case.code)
    expect(
        occupancy.get_by_role("row", name=re.compile(r"River House (Beds )?4 (Occupied )?1 (Free )?3"))
    ).to_be_visible()

    # 2. A training enrolment.
    page.goto(f"{site}/support/cases/{case.code}/")
    training = section(page, "training")
    training.get_by_text("Enrol in training").click()
    training.get_by_label("Programme").fill("Motorbike repair")
    training.get_by_label("Provider").select_option(label="Hope Counselling")
    training.get_by_label("Start").fill(today.isoformat())
    no_horizontal_overflow(page)
    training.get_by_role("button", name="Save the enrolment").click()
    expect(section(page, "training")).to_contain_text("Motorbike repair (Hope Counselling)")

    # 3. A mental-health referral, with the person's explicit consent, sent and completed.
    referral = section(page, "referral")
    referral.get_by_text("New referral").click()
    referral.get_by_label("Service").select_option(label="Mental health and psychosocial support")
    referral.get_by_label("Provider").select_option(label="Hope Counselling")
    referral.get_by_label("Explicit consent given on").fill(today.isoformat())
    referral.get_by_label("Note").fill("Prefers a woman counsellor.")
    referral.get_by_role("button", name="Draft the referral").click()
    section(page, "referral").get_by_role("link", name=re.compile("Mental health")).click()
    expect(page.locator("[data-status]")).to_have_text("Draft")
    no_horizontal_overflow(page)
    shoot(page, "support/03-referral-draft")

    page.get_by_role("button", name="Send (shows the packet)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral packet")
    packet = page.locator(".packet")
    expect(packet).to_contain_text("Kyaw Zin Htet")
    expect(packet).to_contain_text("Burmese")
    expect(packet).not_to_contain_text("Prefers a woman counsellor.")  # the team's note is not shared
    no_horizontal_overflow(page)
    shoot(page, "support/04-packet")
    page.get_by_role("link", name="Back to the referral").click()
    expect(page.locator("[data-status]")).to_have_text("Sent")
    expect(page.get_by_text("Kyaw Zin Htet")).to_have_count(0)  # shown once

    page.get_by_role("button", name="Accepted by the provider").click()
    expect(page.locator("[data-status]")).to_have_text("Accepted")
    page.get_by_role("button", name="In progress").click()
    expect(page.locator("[data-status]")).to_have_text("In progress")
    page.get_by_label("Outcome").fill("Eight sessions attended; sleeping better.")
    page.get_by_role("button", name="Completed").click()
    expect(page.locator("[data-status]")).to_have_text("Completed")
    expect(page.get_by_text("Eight sessions attended; sleeping better.")).to_be_visible()
    no_horizontal_overflow(page)
    shoot(page, "support/05-completed")

    done = Referral.objects.get(case=case)
    assert (done.status, done.shared_fields) == ("completed", ["full_name", "languages", "sex", "contact_channel"])
    assert AuditEvent.objects.filter(object_ref=case.code, action__startswith="support.").count() == 7
    assert errors == []


def test_a_goal_or_task_is_settled_only_after_a_second_tap_on_a_phone(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    """Achieved, dropped and done cannot be undone from the page: the first tap asks, the filled
    button under the question keeps things as they are, and only the quiet one makes the change."""
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    case = CaseFactory(created_by=caseworker)
    Goal(case=case, title="Find steady work as a motorbike mechanic in Mae Sot", created_by=caseworker).save()
    Goal(case=case, title="Learn Thai", created_by=caseworker).save()
    Task(
        case=case, title="Call the garage", owner=caseworker, due_on=timezone.localdate(), created_by=caseworker
    ).save()

    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, caseworker)
    page.goto(f"{site}/support/cases/{case.code}/#plan")
    plan = section(page, "plan")
    work = plan.get_by_role("listitem").filter(has_text="Find steady work")
    achieved = work.locator("details[data-confirm=achieved]")
    confirm = achieved.get_by_role("button", name="Mark it achieved")
    expect(confirm).to_be_hidden()

    # The first tap only asks; the safe button is the filled one, under the question.
    achieved.locator("summary").tap()
    expect(achieved.get_by_text("Mark this goal achieved? This cannot be undone.")).to_be_visible()
    expect(confirm).to_be_visible()
    keep = achieved.locator("summary")
    expect(keep).to_have_text("Keep it open", use_inner_text=True)
    question_box = achieved.get_by_text("Mark this goal achieved?").bounding_box()
    keep_box = keep.bounding_box()
    assert question_box and keep_box and keep_box["y"] > question_box["y"]
    assert keep.evaluate("e => getComputedStyle(e).backgroundColor") != confirm.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )  # filled keep, quiet confirm
    no_horizontal_overflow(page)
    shoot(page, "support/06-goal-confirm")

    # "Keep it open" closes the question and changes nothing.
    keep.tap()
    expect(confirm).to_be_hidden()
    expect(achieved.locator("summary")).to_have_text("Achieved", use_inner_text=True)
    expect(work).to_contain_text("Open")

    # Asked again and confirmed: achieved, and no longer offered.
    achieved.locator("summary").tap()
    confirm.tap()
    expect(page.get_by_role("status")).to_contain_text("Goal saved.")
    work = section(page, "plan").get_by_role("listitem").filter(has_text="Find steady work")
    expect(work).to_contain_text("Achieved")
    expect(work.locator("details.confirm")).to_have_count(0)

    # Dropping the other goal asks the same way.
    thai = section(page, "plan").get_by_role("listitem").filter(has_text="Learn Thai")
    thai.locator("details[data-confirm=dropped] > summary").tap()
    no_horizontal_overflow(page)
    thai.get_by_role("button", name="Mark it dropped").tap()
    expect(section(page, "plan").get_by_role("listitem").filter(has_text="Learn Thai")).to_contain_text("Dropped")

    # A task: "Not yet" keeps it, "Mark it done" does it.
    task = section(page, "plan").get_by_role("listitem").filter(has_text="Call the garage")
    task.locator("details[data-confirm=done] > summary").tap()
    expect(task.get_by_text("Mark this task done? This cannot be undone.")).to_be_visible()
    no_horizontal_overflow(page)
    task.locator("summary").tap()
    expect(task.get_by_role("button", name="Mark it done")).to_be_hidden()
    assert Task.objects.get(case=case).done_at is None
    task.locator("summary").tap()
    task.get_by_role("button", name="Mark it done").tap()
    expect(page.get_by_role("status")).to_contain_text("Task done.")
    expect(section(page, "plan").get_by_role("listitem").filter(has_text="Call the garage")).to_contain_text("done")
    no_horizontal_overflow(page)

    assert sorted(Goal.objects.filter(case=case).values_list("status", flat=True)) == ["achieved", "dropped"]
    assert Task.objects.get(case=case).done_at is not None
    assert errors == []
