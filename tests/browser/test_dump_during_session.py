"""A database dump taken while a supervisor works in Chromium holds no value that opens a session (issue 17).

Each run of 20 or more token characters in the dump is tried as the session cookie; the row stored
for the browser's own session is also tried from a second browser, as an attacker with the dump would.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import BrowserContext, expect

from accounts.models import User
from tests.browser.conftest import LOG_IN
from tests.factories import CaseFactory, UserFactory
from tests.vault.test_dump_opens_nothing import candidates
from tests.vault.test_leaks import pg_dump
from vault.models import Session

pytestmark = pytest.mark.browser


def test_a_dump_taken_during_a_browser_session_opens_nothing(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as
) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    case = CaseFactory(created_by=supervisor)
    context = new_context()
    page = context.new_page()
    log_in_as(page, supervisor)
    page.goto(f"{site}/cases/{case.code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.code)
    key = next(c["value"] for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)

    dump = pg_dump()
    assert key not in dump
    for value in candidates(dump):
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = value
        assert not thief.get("/cases/").wsgi_request.user.is_authenticated, value

    # A second browser holding the stored row's key lands on the login page.
    stored = Session.objects.get(user=supervisor).session_key
    intruder = new_context()
    cookie = next(c for c in context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    intruder.add_cookies([{**cookie, "value": stored}])
    other = intruder.new_page()
    other.goto(f"{site}/cases/{case.code}/")
    expect(other.get_by_role("button", name=LOG_IN)).to_be_visible()

    # The supervisor's own browser is still signed in.
    page.goto(f"{site}/cases/")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
