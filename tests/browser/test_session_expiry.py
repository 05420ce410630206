"""(1) At 360 px, a caseworker types a long account of the defection, the session expires, they log in again
and the text is there (issue 9). The idle warning's "Stay signed in" is tried on the way.

Screenshots go to $HAVEN_SHOTS_DIR/expiry/.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from defectors.models import Case, KeptStep
from tests.browser.conftest import LOG_IN
from tests.factories import PASSWORD, CaseFactory, UserFactory, totp_code, totp_secret
from vault.models import Session

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
ACCOUNT = (
    "We left the post after the evening roll call. " * 60
).strip()  # about 2,800 characters, typed over 15 minutes


def expire_every_session() -> None:
    """The idle timeout passes on the server (the clock in the page is moved separately)."""
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=5))


def test_a_long_account_survives_the_session_expiring(  # type: ignore[no-untyped-def]
    site: str,
    new_context: Callable[..., BrowserContext],
    log_in_as,
    shoot,
    console_errors,
    no_horizontal_overflow,
) -> None:
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    context = new_context(viewport=NARROW, is_mobile=True, has_touch=True)
    page: Page = context.new_page()
    errors = console_errors(page)
    log_in_as(page, caseworker)

    page.clock.install()
    page.goto(f"{site}/cases/{draft.code}/intake/defection/")
    no_horizontal_overflow(page)
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_hidden()

    # Thirteen quiet minutes: the warning offers to stay signed in, which renews the session.
    page.get_by_label("Place of defection").fill("Near Kalay")
    page.clock.fast_forward("13:30")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("logged out in two minutes")
    no_horizontal_overflow(page)
    shoot(page, "expiry/01-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    # Then a long account, typed while nothing is sent: the session ends on the server.
    page.get_by_label("Circumstances").fill(ACCOUNT)
    expire_every_session()
    page.clock.fast_forward("15:30")
    expect(warning).to_contain_text("Your session has ended")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_hidden()
    shoot(page, "expiry/02-ended")
    page.get_by_role("button", name="Save and continue").click()

    # Asked to log in; the account is kept on the server, encrypted, not in the case yet.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_text("What you typed is kept")).to_be_visible()
    assert KeptStep.objects.filter(case=draft, user=caseworker, step="defection").exists()
    draft.refresh_from_db()
    assert not draft.circumstances
    page.get_by_label("Username").fill(caseworker.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=LOG_IN).click()
    # The first login spent this period's code; the next period's is within the tolerance.
    page.get_by_label("Code").fill(totp_code(totp_secret(caseworker), offset=1))
    page.get_by_role("button", name=LOG_IN).click()

    expect(page).to_have_url(f"{site}/cases/{draft.code}/intake/defection/")
    expect(page.get_by_text("What you typed before your session ended is back")).to_be_visible()
    expect(page.get_by_label("Circumstances")).to_have_value(ACCOUNT)
    expect(page.get_by_label("Place of defection")).to_have_value("Near Kalay")
    no_horizontal_overflow(page)
    shoot(page, "expiry/03-restored")
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(f"{site}/cases/{draft.code}/intake/family/")
    draft.refresh_from_db()
    assert draft.circumstances == ACCOUNT
    assert not KeptStep.objects.exists()
    assert errors == []
