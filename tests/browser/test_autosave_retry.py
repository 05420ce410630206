"""Autosave when the server applied a save and its answer never reached the page (issue 19, section 1).

The page must retry exactly what it sent (same token, same answers), then save what was typed
meanwhile as a save of its own; pressing Save instead sends the form as it is. After a reload,
nothing typed is lost. static/js/debrief.js; debriefing.services.save_section.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from accounts.models import User
from debriefing.models import SectionAnswers
from tests.factories import CaseFactory, UserFactory, schedule_debrief

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}
FIRST = "Light Infantry Battalion"
MORE = " 52, moved to Sagaing in March"
COMMANDER = "Lt. Col. Sentinel Aung"


def field(body: str, name: str) -> str | None:
    """A field of a multipart body as the page sent it."""
    match = re.search(rf'name="{name}"\r\n\r\n([^\r]*)\r\n', body)
    return match.group(1) if match else None


class DropFirstAnswer:
    """Lets the first autosave reach the server (which applies it), then drops its answer to the page."""

    def __init__(self) -> None:
        self.dropped = 0
        self.sent: list[dict[str, str | None]] = []

    def __call__(self, route: Route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        body = request.post_data or ""
        self.sent.append({name: field(body, name) for name in ("save_token", "version", "unit_name", "commander")})
        if request.headers.get("x-autosave") == "1" and not self.dropped:
            self.dropped += 1
            answer = route.fetch()
            assert answer.status == 200, answer.status
            route.abort()
        else:
            route.continue_()


def open_unit_section(page: Page, site: str, session_pk: object) -> str:
    url = f"{site}/debriefing/{session_pk}/unit/"
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unit and command structure")
    return url


def scheduled(debriefer: User):  # type: ignore[no-untyped-def]
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    return schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)


def test_a_dropped_autosave_answer_then_more_typing_loses_nothing(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    session = scheduled(debriefer)
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in_as(page, debriefer)
    url = open_unit_section(page, site, session.pk)
    drop = DropFirstAnswer()
    page.route(url, drop)

    unit = page.get_by_label(re.compile(r"^Unit \(required before submitting\)$"))
    unit.fill(FIRST)
    expect(page.locator("[data-autosave-status]")).to_have_text("Not saved yet: retrying")
    row = SectionAnswers.objects.get(session=session, section="unit")
    assert (row.version, row.answers) == (1, {"unit_name": FIRST})  # applied; the page never heard

    # More typing while the retry waits: in the unit field and in another one.
    unit.press_sequentially(MORE, delay=10)
    page.get_by_label("Commanding officer").fill(COMMANDER)
    # "Saved" only once the newer typing is saved too (the retry's answer alone does not say it).
    expect(page.locator("[data-autosave-status]")).to_have_text("Saved")
    row = SectionAnswers.objects.get(session=session, section="unit")
    assert (row.version, row.answers) == (2, {"unit_name": FIRST + MORE, "commander": COMMANDER})

    # The retry carried exactly what the first attempt carried; the newer text went as a new save.
    autosaves = drop.sent
    assert autosaves[1] == autosaves[0] == {
        "save_token": autosaves[0]["save_token"], "version": "0", "unit_name": FIRST, "commander": "",
    }  # fmt: skip
    assert autosaves[-1]["save_token"] != autosaves[0]["save_token"]
    assert (autosaves[-1]["unit_name"], autosaves[-1]["commander"]) == (FIRST + MORE, COMMANDER)

    page.unroute(url)
    page.reload()
    expect(page.get_by_label(re.compile(r"^Unit \(required before submitting\)$"))).to_have_value(FIRST + MORE)
    expect(page.get_by_label("Commanding officer")).to_have_value(COMMANDER)
    assert errors == []


def test_save_pressed_after_a_dropped_autosave_answer_stores_the_form_as_it_is(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    session = scheduled(debriefer)
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    log_in_as(page, debriefer)
    url = open_unit_section(page, site, session.pk)
    drop = DropFirstAnswer()
    page.route(url, drop)

    page.get_by_label(re.compile(r"^Unit \(required before submitting\)$")).fill(FIRST)
    expect(page.locator("[data-autosave-status]")).to_have_text("Not saved yet: retrying")
    page.get_by_label("Commanding officer").fill(COMMANDER)
    page.get_by_role("button", name="Save", exact=True).click()  # before any retry: the form, whole
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page).to_have_url(f"{site}{session.get_absolute_url()}")
    assert SectionAnswers.objects.get(session=session, section="unit").answers == {
        "unit_name": FIRST, "commander": COMMANDER,
    }  # fmt: skip
    open_unit_section(page, site, session.pk)
    expect(page.get_by_label("Commanding officer")).to_have_value(COMMANDER)
