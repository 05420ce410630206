"""An administrator invites a caseworker, who joins from a phone, and Quick exit, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from accounts.models import User
from audit.models import AuditEvent
from audit.services import verify_chain
from tests.factories import PASSWORD, UserFactory, totp_code, totp_secret
from vault.models import Session
from vault.sessions import stored_key

pytestmark = pytest.mark.browser

CASEWORKER_PASSWORD = "correct horse battery staple 42"
# Haven's own login page says "Log in"; allauth's second-factor page still says "Sign In".
LOG_IN = re.compile(r"^(Log in|Sign in)", re.IGNORECASE)


def log_in(page: Page, site: str, username: str, password: str, secret: str, *, shoot=None, offset: int = 0) -> None:  # type: ignore[no-untyped-def]
    """Log in through the real pages: username and password, then an authenticator code."""
    page.goto(f"{site}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LOG_IN)
    if shoot:
        shoot(page, "01-login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=LOG_IN).click()

    expect(page).to_have_url(f"{site}/accounts/2fa/authenticate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    if shoot:
        shoot(page, "02-totp")
    page.get_by_label("Code").fill(totp_code(secret, offset))
    page.get_by_role("button", name=LOG_IN).click()


def log_out(page: Page, site: str) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LOG_IN)


def test_admin_invites_a_caseworker_who_joins_from_a_phone(  # type: ignore[no-untyped-def]
    site, new_context, shoot, console_errors, no_horizontal_overflow
) -> None:
    admin = UserFactory(role=User.Role.ADMIN, username="alice")

    # The administrator, at a desk.
    desk: BrowserContext = new_context(viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    errors = console_errors(page)
    log_in(page, site, "alice", PASSWORD, totp_secret(admin), shoot=shoot)

    # An administrator's home is the list of people.
    expect(page).to_have_url(f"{site}/people/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.get_by_role("cell", name="alice")).to_be_visible()
    shoot(page, "03-people")

    page.get_by_role("link", name="Invite a person").click()
    expect(page).to_have_url(f"{site}/people/invite/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a person")
    shoot(page, "04-invite")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Role").select_option("caseworker")
    page.get_by_role("button", name="Create invitation link").click()

    expect(page).to_have_url(f"{site}/people/invitation-link/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitation link")
    link = page.locator("[data-invitation-link]").input_value()
    assert re.fullmatch(rf"{re.escape(site)}/invitation/#[\w-]+", link), link
    shoot(page, "05-invitation-link")

    # The invitation is open; casey has no account yet.
    page.get_by_role("link", name="Back to people").click()
    expect(page.get_by_role("cell", name="casey")).to_be_visible()
    assert not User.objects.filter(username="casey").exists()
    log_out(page, site)
    assert errors == []

    # The caseworker, on a phone, in a browser that has never seen Haven.
    phone: BrowserContext = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = phone.new_page()
    errors = console_errors(page)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    # The code came in the fragment: filled in, hidden, and gone from the address bar.
    expect(page).to_have_url(f"{site}/invitation/")
    expect(page.get_by_label("Invitation code")).to_be_hidden()
    no_horizontal_overflow(page)
    shoot(page, "06-accept-invitation")
    page.get_by_label(re.compile(r"^New password:?$")).fill(CASEWORKER_PASSWORD)
    page.get_by_label("New password again").fill(CASEWORKER_PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()

    # Straight on to the second factor, which Haven requires.
    expect(page).to_have_url(f"{site}/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img")).to_be_visible()  # the QR code
    no_horizontal_overflow(page)
    shoot(page, "07-totp-activate")
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label("Authenticator code").fill(totp_code(secret))
    page.get_by_role("button", name="Activate").click()

    # allauth shows the recovery codes made along with the first authenticator.
    expect(page).to_have_url(f"{site}/accounts/2fa/recovery-codes/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    no_horizontal_overflow(page)
    shoot(page, "07b-recovery-codes")
    log_out(page, site)

    # Back in with the password and the app's next code: the one used to enrol
    # is spent (one period either side is accepted).
    log_in(page, site, "casey", CASEWORKER_PASSWORD, secret, offset=1)
    expect(page).to_have_url(f"{site}/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My dashboard")
    expect(page.locator('[data-role-home="caseworker"]')).to_be_visible()
    no_horizontal_overflow(page)
    shoot(page, "08-caseworker-home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    expect(page.get_by_text("Authentication using an authenticator app is active.")).to_be_visible()
    no_horizontal_overflow(page)
    shoot(page, "09-security")
    assert errors == []

    casey = User.objects.get(username="casey")
    assert casey.role == User.Role.CASEWORKER
    actions = set(AuditEvent.objects.filter(object_ref="casey").values_list("action", flat=True))
    assert {
        "accounts.invitation.sent",
        "accounts.invitation.accepted",
        "accounts.mfa.added",
        "accounts.login",
    } <= actions, actions
    # One login when the invitation was accepted, one through the login pages.
    assert AuditEvent.objects.filter(action="accounts.login", object_ref="casey").count() == 2
    assert AuditEvent.objects.filter(action="accounts.login", actor=admin).exists()
    assert verify_chain().ok


def test_quick_exit_leaves_and_ends_the_session(site, page, settings, neutral_site) -> None:  # type: ignore[no-untyped-def]
    settings.QUICK_EXIT_URL = neutral_site
    user = UserFactory(role=User.Role.CASEWORKER, username="casey")
    log_in(page, site, "casey", PASSWORD, totp_secret(user))
    expect(page.get_by_role("heading", level=1)).to_have_text("My dashboard")
    # The Secure, __Host- session cookie is kept on http://localhost (a secure context).
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert settings.SESSION_COOKIE_NAME.startswith("__Host-")
    assert cookies[settings.SESSION_COOKIE_NAME]["secure"]
    session_key = cookies[settings.SESSION_COOKIE_NAME]["value"]

    page.get_by_role("link", name="Quick exit").click()
    expect(page).to_have_url(neutral_site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today: sunny")
    # The session is over on the server, and the browser was told to drop Haven's cookies.
    assert not Session.objects.filter(session_key=stored_key(session_key)).exists()
    assert not [c for c in page.context.cookies() if c["domain"] == "localhost"]

    # Back does not bring the page back (the exit replaced it in the tab's history;
    # the entry before it was the login, which now asks for a login again) ...
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text(LOG_IN)
    expect(page.get_by_text("My cases")).to_have_count(0)
    # ... and opening Haven again asks for a login.
    page.goto(f"{site}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(LOG_IN)


@pytest.mark.parametrize("script", [False, True], ids=["posted-by-the-browser", "sent-by-the-script"])
def test_form_posts_pass_the_csrf_origin_check(site, browser, script: bool) -> None:  # type: ignore[no-untyped-def]
    """A real browser's form post carries this site's origin (a no-referrer policy would send "null").

    Without script the browser posts the form; with it, static/js/send.js does (the redirect is then told, 204).
    """
    UserFactory(username="casey")
    context = browser.new_context(java_script_enabled=script)
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        page.goto(f"{site}/accounts/login/")
        page.get_by_label("Username").fill("casey")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_response(lambda response: response.request.method == "POST") as posted:
            page.get_by_role("button", name=LOG_IN).click()
        expected = 204 if script else 302
        assert posted.value.status == expected, f"the login form was answered with {posted.value.status}"
        expect(page).to_have_url(f"{site}/accounts/2fa/authenticate/")
    finally:
        context.close()
