"""Debrief autosave when things go wrong, at 360 px (static/js/debrief.js; break attempts of a review).

The status line says "Saved" only when the server holds what the form holds: typing takes it back at
once; an autosave that hangs is given up after 15 s and sent again as it was; a field the browser
cannot send as it shows it (a number holding "300-400", a paste past the length limit) is named, and
nothing is saved over it; a session that ended says so, and once the person has logged in again in
another tab the kept save goes with the new CSRF token. A refused Save arms autosave again, and
every autosave restarts the idle countdown.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from accounts.models import User
from debriefing.models import DebriefSession, SectionAnswers
from tests.browser.conftest import LOG_IN
from tests.factories import PASSWORD, CaseFactory, UserFactory, schedule_debrief, totp_code, totp_secret
from vault.models import Session

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}
STATUS = "[data-autosave-status]"
ENDED = "Your session ended: log in again (in another tab), your text is kept here."


def open_unit_section(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, *, clock: bool = False
) -> tuple[Page, DebriefSession, str]:
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="dara")
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    log_in_as(page, debriefer)
    if clock:
        page.clock.install()
    url = f"{site}/debriefing/{session.pk}/unit/"
    page.goto(url)
    return page, session, url


def unit(page: Page) -> Locator:
    return page.get_by_label(re.compile(r"^Unit \(required before submitting\)$"))


def stored(session: DebriefSession) -> dict[str, object]:
    row = SectionAnswers.objects.filter(session=session, section="unit").first()
    return dict(row.answers or {}) if row else {}


def is_autosave(route: Route) -> bool:
    return route.request.method == "POST" and route.request.headers.get("x-autosave") == "1"


def test_typing_takes_saved_back_and_save_waits_at_most_15_s_behind_a_hanging_autosave(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, url = open_unit_section(site, new_context, log_in_as, clock=True)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    status = page.locator(STATUS)
    unit(page).fill("First words")
    expect(status).to_have_text("Saved")
    held: list[Route] = []  # autosaves that never get an answer
    page.route(url, lambda route: held.append(route) if is_autosave(route) else route.continue_())

    page.get_by_label("Commanding officer").fill("Testimony typed while the network stalls")
    expect(status).not_to_have_text("Saved")  # at once, before any autosave
    expect(status).to_have_text("Saving…")
    assert len(held) == 1

    page.get_by_role("button", name="Save", exact=True).click()
    expect(status).to_contain_text("Waiting for the autosave")
    expect(page.locator("[data-send-status]")).to_contain_text("Waiting for the autosave")
    assert "commander" not in stored(session)

    page.clock.fast_forward("00:16")  # the autosave is given up: the form is sent, whole
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page).to_have_url(f"{site}{session.get_absolute_url()}")
    assert stored(session) == {"unit_name": "First words", "commander": "Testimony typed while the network stalls"}
    assert errors == []


def test_a_hanging_autosave_is_sent_again_as_it_was(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, url = open_unit_section(site, new_context, log_in_as, clock=True)
    sent: list[str] = []
    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if not is_autosave(route):
            route.continue_()
            return
        sent.append(re.sub(r"-+WebKitFormBoundary\w+", "--", route.request.post_data or ""))  # each send has its own
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(url, hold_the_first)
    unit(page).fill("LIB 52")
    expect(page.locator(STATUS)).to_have_text("Saving…")
    page.clock.fast_forward("00:16")
    expect(page.locator(STATUS)).to_have_text("Not saved yet: retrying")
    expect(page.locator(STATUS)).to_have_text("Saved")
    assert len(sent) == 2 and sent[0] == sent[1]  # same token, same answers
    assert stored(session) == {"unit_name": "LIB 52"}


def test_a_number_field_the_browser_cannot_read_is_named_and_never_saved_empty(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, _url = open_unit_section(site, new_context, log_in_as)
    status = page.locator(STATUS)
    strength = page.get_by_label("Approximate strength")
    strength.fill("400")
    expect(status).to_have_text("Saved")

    unit(page).fill("LIB 52")
    strength.fill("")
    strength.press_sequentially("300-400", delay=20)
    expect(status).to_contain_text("Not saved")
    expect(status).to_contain_text("“Approximate strength”")
    page.wait_for_timeout(1500)  # well past the autosave's pause
    expect(status).not_to_have_text("Saved")
    assert stored(session) == {"unit_strength": 400}  # the 400 is not erased by an empty field
    expect(page.locator("#id_unit_strength-local-note, #id_unit_strength-server-note")).to_be_visible()

    strength.fill("350")
    expect(status).to_have_text("Saved")
    expect(page.locator("#id_unit_strength-local-note")).to_have_count(0)
    assert stored(session) == {"unit_name": "LIB 52", "unit_strength": 350}


def test_a_paste_past_the_limit_stays_whole_and_is_named(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, _url = open_unit_section(site, new_context, log_in_as)
    unit(page).fill("LIB 52")
    expect(page.locator(STATUS)).to_have_text("Saved")
    box = page.get_by_label("Chain of command above the unit")
    box.focus()
    page.keyboard.insert_text("x" * 10_050)
    assert len(box.input_value()) == 10_050  # nothing cut off
    note = page.locator("#id_command_chain-local-note")
    expect(note).to_have_text("50 characters too many: at most 10000 fit. Shorten it.")
    expect(page.locator(STATUS)).to_have_text("Not saved: correct “Chain of command above the unit”.")
    page.wait_for_timeout(1500)
    assert stored(session) == {"unit_name": "LIB 52"}

    box.press("End")
    for _ in range(50):
        box.press("Backspace")
    expect(page.locator(STATUS)).to_have_text("Saved")
    expect(note).to_have_count(0)
    assert stored(session) == {"unit_name": "LIB 52", "command_chain": "x" * 10_000}


def test_a_refused_autosave_shows_the_server_word_beside_its_field(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, _url = open_unit_section(site, new_context, log_in_as)
    page.get_by_label("Approximate strength").fill("200000")  # over the question's maximum
    expect(page.locator(STATUS)).to_contain_text("Some answers need correcting.")
    expect(page.locator(STATUS)).to_contain_text("“Approximate strength”")
    expect(page.locator("#id_unit_strength-server-note")).to_be_visible()
    expect(page.get_by_label("Approximate strength")).to_have_attribute("aria-invalid", "true")
    assert stored(session) == {}
    page.get_by_label("Approximate strength").fill("2000")
    expect(page.locator(STATUS)).to_have_text("Saved")
    expect(page.locator("#id_unit_strength-server-note")).to_have_count(0)
    assert stored(session) == {"unit_strength": 2000}


def test_after_the_session_ends_and_a_login_in_another_tab_the_kept_save_goes(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, _url = open_unit_section(site, new_context, log_in_as)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.request.headers.get("x-autosave") == "1" else None)
    unit(page).fill("LIB 52")
    expect(page.locator(STATUS)).to_have_text("Saved")
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=5))

    page.get_by_label("Commanding officer").fill("Typed after expiry")
    expect(page.locator(STATUS)).to_have_text(ENDED)
    page.wait_for_timeout(4000)  # not sent again every few seconds
    assert answers[1:] == [204], answers

    other = page.context.new_page()
    other.goto(f"{site}/accounts/login/")
    other.get_by_label("Username").fill("dara")
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name=LOG_IN).click()
    other.get_by_label("Code").fill(totp_code(totp_secret(session.debriefer), offset=1))  # the first one is spent
    other.get_by_role("button", name=LOG_IN).click()
    expect(other.get_by_role("button", name="Log out")).to_be_visible()
    other.close()

    page.get_by_label("Commanding officer").press_sequentially(" and more", delay=10)
    expect(page.locator(STATUS)).to_have_text("Saved")
    assert stored(session) == {"unit_name": "LIB 52", "commander": "Typed after expiry and more"}
    # One refusal of the old CSRF token, then the kept save with the fresh one, then the newer typing.
    assert answers.count(403) == 1 and answers[-3:] == [403, 200, 200], answers
    assert errors == []


def test_a_failed_save_arms_autosave_again(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, session, url = open_unit_section(site, new_context, log_in_as)

    def drop_saves(route: Route) -> None:  # the Save button's sends; autosaves go through
        if route.request.method == "POST" and not is_autosave(route):
            route.abort()
        else:
            route.continue_()

    page.route(url, drop_saves)
    page.get_by_label("Commanding officer").fill("Typed, then Save pressed offline")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("[data-send-status]")).to_contain_text("No answer from the server")
    expect(page.locator(STATUS)).to_have_text("Saved")  # autosave went on its own
    assert stored(session) == {"commander": "Typed, then Save pressed offline"}


def test_an_autosave_restarts_the_idle_countdown(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    page, _session, url = open_unit_section(site, new_context, log_in_as, clock=True)
    warning = page.get_by_role("alertdialog")
    page.clock.fast_forward("12:00")
    unit(page).fill("LIB 52")
    expect(page.locator(STATUS)).to_have_text("Saved")
    page.clock.fast_forward("02:00")  # 14 minutes after the page, 2 after the autosave
    expect(warning).to_be_hidden()

    # The server's word on what is left of the session, when it gives it, is taken.
    def tell_five_minutes(route: Route) -> None:
        if not is_autosave(route):
            route.continue_()
            return
        answer = route.fetch()
        route.fulfill(response=answer, headers={**answer.headers, "x-haven-idle-seconds": "300"})

    page.route(url, tell_five_minutes)
    unit(page).fill("LIB 52 again")
    expect(page.locator(STATUS)).to_have_text("Saved")
    page.clock.fast_forward("02:30")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("01:00")  # 3.5 minutes after: two minutes left, or less
    expect(warning).to_be_visible()
    expect(page.locator("[data-session-soon]")).to_be_visible()
