"""Typed text stays on the page when the server cannot take it (issue 18, section 2): static/js/send.js.

(1) A case note at 360 px: a refused form is shown as the server answered it; the request is dropped
(page unchanged, text kept, said so); then the response is dropped (saved on the server, the browser
never heard); pressed again, it is saved once and lands on the case. (2) A follow-up and an intake step
answered 503: kept. A note typed while the session ends: kept, said so; after logging in again in
another tab, pressing Save saves it (the page's stale CSRF token is renewed). Both end with the
browser's storage empty.

Screenshots go to $HAVEN_SHOTS_DIR/kept/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Request, Route, expect

from accounts.models import User
from defectors.models import Case, CaseNote
from tests.browser.conftest import LOG_IN, SHOTS_DIR
from tests.factories import PASSWORD, CaseFactory, UserFactory, totp_code, totp_secret
from vault.models import Session

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
NOTE = "Visited at the new address. She asked about her brother's papers; " * 6
UNREACHABLE = "No answer from the server, so this may not be saved. What you typed is still here."
UNAVAILABLE = "Not saved: the server is unavailable. What you typed is still here."
SIGNED_OUT = "Not saved: your session ended. What you typed is still here."
STORAGE = """async () => ({
  local: localStorage.length, session: sessionStorage.length,
  indexedDB: (await indexedDB.databases()).length, caches: (await caches.keys()).length,
})"""


def only_posts(action: Callable[[Route], None]) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        if route.request.method == "POST":
            action(route)
        else:
            route.continue_()

    return handle


def drop_response(route: Route) -> None:
    answer = route.fetch()  # the server has it and answers; the answer never reaches the page
    assert answer.status == 204, answer.status
    route.abort()


def answer_503(route: Route) -> None:
    route.fulfill(status=503, headers={"Retry-After": "30"}, content_type="text/html", body="<p>Unavailable</p>")


def mark(page: Page) -> None:
    """A mark in the page's memory: still there afterwards means the page was neither left nor reloaded."""
    page.evaluate("window.havenKeptMark = 1")


def assert_unchanged(page: Page, url: str) -> None:
    assert page.evaluate("window.havenKeptMark") == 1
    assert page.url == url


def status_of(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("[data-send-status]")


def test_a_note_survives_a_dropped_request_and_a_dropped_response_and_is_saved_once(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, console_errors, no_horizontal_overflow
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    case = CaseFactory(created_by=caseworker)
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, caseworker)  # the login and code forms are sent by the script too
    url = f"{site}/cases/{case.code}/notes/add/"
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)

    # Refused (nothing typed): the server's page with its errors is shown, as a normal submit shows it.
    page.goto(url)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert len(posts) == 1

    # The request is dropped: the page stays, with the text, and says so beside the button.
    page.get_by_label("Kind").select_option(label="Visit")
    page.get_by_label(re.compile(r"^Note:?$")).fill(NOTE)
    mark(page)
    page.route(url, only_posts(lambda route: route.abort()))
    page.get_by_role("button", name="Save").click()
    expect(status_of(page)).to_contain_text(UNREACHABLE)
    expect(status_of(page)).to_be_in_viewport()
    assert_unchanged(page, url)
    expect(page.get_by_label(re.compile(r"^Note:?$"))).to_have_value(NOTE)
    no_horizontal_overflow(page)
    page.screenshot(path=str(Path(SHOTS_DIR or "/tmp") / "kept-note-360.png"))
    shoot(page, "kept/01-not-saved")
    assert not CaseNote.objects.exists()

    # The request arrives and the note is saved, but the answer is lost: the page cannot tell.
    page.unroute(url)
    page.route(url, only_posts(drop_response))
    page.get_by_role("button", name="Save").click()
    expect(status_of(page)).to_contain_text(UNREACHABLE)
    assert_unchanged(page, url)
    assert CaseNote.objects.filter(case=case).count() == 1

    # Pressed again: the form's one-time token names the note already saved; one note, on the case page.
    page.unroute(url)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{site}/cases/{case.code}/")
    expect(page.get_by_role("status")).to_contain_text("Note saved.")
    assert CaseNote.objects.filter(case=case).count() == 1
    assert len(posts) == 4  # one per press: a page rendered by the script does not send twice
    assert page.evaluate(STORAGE) == {"local": 0, "session": 0, "indexedDB": 0, "caches": 0}
    assert errors == []  # the dropped requests and the refused form are the script's to handle


def test_503_and_an_ended_session_keep_what_was_typed(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="kyaw")
    case = CaseFactory(created_by=caseworker)
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    context = new_context(viewport=NARROW, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in_as(page, caseworker)
    on = timezone.localdate() + datetime.timedelta(days=3)

    # The follow-up, while the server answers 503 (the database is down).
    url = f"{site}/cases/{case.code}/follow-up/"
    page.goto(url)
    page.get_by_label("Next follow-up").fill(on.isoformat())
    page.get_by_label("What it is for").fill("Check the new shelter")
    mark(page)
    page.route(url, only_posts(answer_503))
    page.get_by_role("button", name="Save").click()
    expect(status_of(page)).to_contain_text(UNAVAILABLE)
    assert_unchanged(page, url)
    expect(page.get_by_label("What it is for")).to_have_value("Check the new shelter")
    shoot(page, "kept/02-follow-up-503")
    page.unroute(url)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Follow-up saved.")
    case.refresh_from_db()
    assert (case.next_follow_up, case.follow_up_purpose) == (on, "Check the new shelter")

    # An intake step, likewise.
    url = f"{site}/cases/{draft.code}/intake/defection/"
    page.goto(url)
    page.get_by_label("Circumstances").fill("Crossed at night with two others.")
    mark(page)
    page.route(url, only_posts(answer_503))
    page.get_by_role("button", name="Save and continue").click()
    expect(status_of(page)).to_contain_text(UNAVAILABLE)
    assert_unchanged(page, url)
    expect(page.get_by_label("Circumstances")).to_have_value("Crossed at night with two others.")
    page.unroute(url)

    # A note typed while the session ends: kept, and the page says how to go on.
    url = f"{site}/cases/{case.code}/notes/add/"
    page.goto(url)
    page.get_by_label("Kind").select_option(label="Visit")
    page.get_by_label(re.compile(r"^Note:?$")).fill(NOTE)
    mark(page)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=5))
    page.get_by_role("button", name="Save").click()
    expect(status_of(page)).to_contain_text(SIGNED_OUT)
    assert_unchanged(page, url)
    expect(page.get_by_label(re.compile(r"^Note:?$"))).to_have_value(NOTE)
    no_horizontal_overflow(page)
    shoot(page, "kept/03-session-ended")
    assert not CaseNote.objects.exists()

    # Logging in again in another tab gives the page a stale CSRF token: the script takes the new one.
    other = context.new_page()
    other.goto(f"{site}/accounts/login/")
    other.get_by_label("Username").fill(caseworker.username)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name=LOG_IN).click()
    other.get_by_label("Code").fill(totp_code(totp_secret(caseworker), offset=1))  # this period's code is spent
    other.get_by_role("button", name=LOG_IN).click()
    expect(other.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{site}/cases/{case.code}/")
    expect(page.get_by_role("status")).to_contain_text("Note saved.")
    assert CaseNote.objects.filter(case=case).count() == 1
    for tab in (page, other):
        assert tab.evaluate(STORAGE) == {"local": 0, "session": 0, "indexedDB": 0, "caches": 0}
