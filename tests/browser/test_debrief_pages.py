"""The template preview and the debriefer's home at 360 px and on a desktop: a supervisor previews a
draft in both languages and publishes it (asked first, told after); a debriefer's empty home says
what to do, and a returned debrief is at the top with the reviewer's comment.

Screenshots go to $HAVEN_SHOTS_DIR/debrief-pages/.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from debriefing import services
from debriefing.models import DebriefTemplate, Review
from tests.browser.conftest import DESKTOP
from tests.debriefing.test_template_preview import STRUCTURE
from tests.debriefing.xlsforms import workbook
from tests.factories import CaseFactory, UserFactory, schedule_debrief

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
COMMENT = "Please ask again where the battalion moved after March, and which township the base is in."
NOTHING_SCROLLS = """() => [...document.querySelectorAll('.table-wrap, table, .card, .message, .error-summary')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.className || el.tagName)"""
CODE_HEIGHTS = "() => [...document.querySelectorAll('a.code-link')].map(a => a.getBoundingClientRect().height)"


def fits(page: Page, overflow: Callable[[Page], None]) -> None:
    """Nothing scrolls sideways at this width and at a desktop's, and case codes are 44 px tap targets."""
    original = page.viewport_size
    for size in (original, DESKTOP):
        assert size is not None
        page.set_viewport_size(size)
        overflow(page)
        assert page.evaluate(NOTHING_SCROLLS) == [], f"{page.url} at {size['width']} px: something scrolls sideways"
        heights = page.evaluate(CODE_HEIGHTS)
        assert all(height >= 44 for height in heights), f"{page.url}: case codes {heights} px high"
    if original is not None:
        page.set_viewport_size(original)


def test_a_draft_is_previewed_in_each_language_then_published(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    draft = DebriefTemplate.objects.create(name="Field debrief", version=2, structure=STRUCTURE)
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, supervisor)

    page.goto(f"{site}/debriefing/templates/")
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/01-templates")
    page.get_by_role("row").filter(has_text="Field debrief v2").get_by_role("link", name="Preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of Field debrief v2")
    expect(page.get_by_role("heading", name="2. Abuses witnessed")).to_be_visible()
    expect(page.get_by_label("Unit name")).to_be_disabled()
    expect(page.get_by_text("Asked only when the answer to “Deployed last year” is “Yes”.")).to_be_visible()
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    # A single choice: its choices listed once, no empty drop-down beside them.
    posture = page.locator('[data-preview-question="posture"]')
    expect(posture.get_by_role("listitem")).to_have_text(["Defensive", "Offensive"])
    expect(posture.locator("select")).to_have_count(0)
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/02-preview")

    page.get_by_role("link", name="မြန်မာဘာသာ").click()
    expect(page.get_by_label("တပ်ရင်းအမည်")).to_be_disabled()
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/03-preview-my")

    # Publishing asks first, and says what it makes of the template.
    page.get_by_text("Publish", exact=True).last.click()
    expect(page.get_by_text("makes it unchangeable")).to_be_visible()
    shoot(page, "debrief-pages/04-publish-asks")
    page.get_by_role("button", name="Publish, it cannot be changed afterwards").click()
    expect(page.get_by_text("Field debrief v2 is published: it can no longer be changed")).to_be_visible()
    draft.refresh_from_db()
    assert draft.status == DebriefTemplate.Status.PUBLISHED
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/05-published")
    assert errors == []


# Each text of a message or refusal whose right edge passes its box's.
SPILLS = """() => [...document.querySelectorAll('.message, .error-summary li')].filter(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    return range.getBoundingClientRect().right > el.getBoundingClientRect().right + 1;
}).map(el => el.textContent.slice(0, 60))"""


def test_import_refusals_and_summaries_wrap_inside_their_boxes_at_360_px(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    """A refusal quoting a column name with no space in it, and the long import summary, wrap on a phone."""
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, supervisor)
    header = ["type", "name", "label::English (en)", "constraint_message::English_language_(en)"]
    refused = workbook(
        [["begin_group", "g", "G", None], ["integer", "n", "N", "at_most_one_hundred_and_twenty"],
         ["end_group", None, None, None]],
        header=header,
    )  # fmt: skip
    page.goto(f"{site}/debriefing/templates/")
    page.get_by_label("XLSForm (.xlsx)").set_input_files(
        {"name": "form.xlsx", "mimeType": "application/octet-stream", "buffer": refused}
    )
    page.get_by_role("button", name="Import").click()
    refusal = page.get_by_text("'constraint_message::English_language_(en)' column is not supported yet")
    expect(refusal).to_be_visible()
    assert page.evaluate(SPILLS) == []
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/00-import-refused")

    header = ["type", "name", "label::English_language_(en)", "label::Burmese_language_(my)"]
    survey = [["begin_group", "g", "G", "ဂ"], ["text", "t", "T", "စာ"], ["end_group", None, None, None]]
    accepted = workbook(survey, header=header, choices_header=["list_name", "name", "label::English_language_(en)"])
    page.get_by_label("XLSForm (.xlsx)").set_input_files(
        {"name": "form.xlsx", "mimeType": "application/octet-stream", "buffer": accepted}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported as draft version")).to_be_visible()
    assert page.evaluate(SPILLS) == []
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/00-import-summary")
    # The refusal page answers 400 on purpose; the browser logs that, and nothing else may be logged.
    assert [error for error in errors if "status of 400 (Bad Request)" not in error] == []


def test_a_debriefers_home_says_what_to_do_and_shows_a_returned_debrief_first(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, debriefer)

    expect(page).to_have_url(f"{site}/debriefing/")
    expect(page.get_by_role("heading", name="No debriefs for you yet")).to_be_visible()
    expect(page.get_by_role("link", name="Two-factor authentication")).to_be_visible()
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/06-debriefer-empty")

    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    answers = {
        "background": {"service_years": 6, "service_branch": "army"},
        "unit": {"unit_name": "LIB 52"},
        "operations": {"took_part": "no"},
        "violations": {"witnessed": "no"},
        "wellbeing": {"feeling": "fine"},
    }
    for key, given in answers.items():
        services.save_section(
            session=session, by=debriefer, section=key, answers=given, base_version=0, token=uuid.uuid4()
        )
    services.submit_session(session=session, by=debriefer)
    services.review_session(session=session, by=supervisor, decision=Review.Decision.RETURN, comment=COMMENT)

    page.reload()
    notice = page.locator("[data-returned-debriefs]")
    expect(notice).to_contain_text("A debrief was returned to you for changes")
    expect(notice).to_contain_text(COMMENT)
    expect(page.get_by_role("link", name="Debriefs (1 open)")).to_be_visible()
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/07-debriefer-returned")
    notice.get_by_role("link", name="Make the changes").click()
    expect(page).to_have_url(f"{site}{session.get_absolute_url()}")

    # Each section page repeats the reviewer's comment above the form, marks required questions,
    # and leads on to the next section.
    page.get_by_role("link", name="Unit and command structure").click()
    returned = page.locator("[data-returned-comment]")
    expect(returned).to_contain_text(COMMENT)
    expect(page.get_by_text("(required before submitting)")).to_be_visible()
    expect(page.get_by_label("Unit (required before submitting)")).to_have_value("LIB 52")
    fits(page, no_horizontal_overflow)
    shoot(page, "debrief-pages/08-returned-section")
    page.get_by_role("link", name="Next: Bases and deployments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bases and deployments")
    expect(page.locator("[data-returned-comment]")).to_contain_text(COMMENT)
    assert errors == []
