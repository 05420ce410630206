"""Submit for review asks first, at 360 px and with no script: what is unanswered, and which answers
no longer apply and are left out; after submit those answers are gone from the record (issue 19)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, expect

from accounts.models import User
from debriefing.models import DebriefSession, SectionAnswers
from tests.debriefing.test_submit import OPERATIONS, OPERATIONS_LABEL, complete, save
from tests.factories import CaseFactory, UserFactory, schedule_debrief

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}


def test_submit_is_confirmed_without_script_at_360_px_and_drops_what_no_longer_applies(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow
) -> None:
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    complete(session)
    save(session, "operations", {"took_part": "no", "operations_detail": OPERATIONS})
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True, java_script_enabled=False).new_page()
    log_in_as(page, debriefer)

    page.goto(f"{site}{session.get_absolute_url()}")
    page.get_by_role("link", name="Submit for review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Submit for review")
    expect(page.locator("[data-submit-dropping]")).to_contain_text(OPERATIONS_LABEL)
    expect(page.locator("[data-submit-unanswered]")).to_contain_text("Service background: Training received")
    no_horizontal_overflow(page)
    shoot(page, "debrief/04-submit-confirmation")
    assert SectionAnswers.objects.get(session=session, section="operations").answers["operations_detail"]

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    assert DebriefSession.objects.get(pk=session.pk).status == DebriefSession.Status.SUBMITTED
    assert SectionAnswers.objects.get(session=session, section="operations").answers == {"took_part": "no"}
    expect(page.get_by_text(OPERATIONS)).to_have_count(0)
