"""A person's sessions: what is kept of where they signed in from, and every way a session ends."""

from __future__ import annotations

import datetime
import time

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.clients import browser_family, coarse_network
from accounts.receivers import LOGIN_AT_SESSION_KEY
from audit.models import AuditEvent
from tests.accounts.test_login import full_login
from tests.conftest import reauthenticated
from tests.factories import totp_code, totp_secret
from vault.models import Session
from vault.sessions import stored_key

pytestmark = pytest.mark.django_db

FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ON_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


def signed_in(user, address: str = "203.0.113.77", agent: str = FIREFOX_ON_WINDOWS, second: bool = False) -> Client:  # type: ignore[no-untyped-def]
    """A browser that went through the real login (password, then TOTP) from ``address``.

    A person's second browser uses the next period's code (a code is accepted once).
    """
    client = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=agent)
    code = totp_code(totp_secret(user), offset=1 if second else 0)
    assert full_login(client, user, code).status_code == 302
    return client


def row_of(client: Client) -> Session:
    return Session.objects.get(session_key=stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value))


def test_a_session_keeps_only_the_network_and_the_browser_family(supervisor):
    client = signed_in(supervisor)
    row = row_of(client)
    assert (row.user, row.network, row.browser) == (supervisor, "203.0.113.0/24", "Firefox · Windows")
    assert row.signed_in_at is not None
    text = " ".join(str(value) for value in Session.objects.filter(pk=row.pk).values_list().get())
    assert "203.0.113.77" not in text and "rv:128.0" not in text


def test_addresses_and_browsers_are_coarsened():
    assert coarse_network("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert coarse_network("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert coarse_network("not an address") == ""
    assert browser_family(CHROME_ON_ANDROID) == "Chrome · Android"
    assert browser_family("Mozilla/5.0 (Windows NT 10.0) Chrome/126.0 Safari/537.36 Edg/126.0") == "Edge · Windows"
    assert browser_family("curl/8.0") == ""


def test_the_sessions_page_lists_only_ones_own_sessions(supervisor, caseworker):
    laptop = signed_in(supervisor)
    signed_in(supervisor, address="198.51.100.4", agent=CHROME_ON_ANDROID, second=True)
    signed_in(caseworker, address="192.0.2.50")
    page = laptop.get("/accounts/sessions/").content.decode()
    assert "203.0.113.0/24" in page and "198.51.100.0/24" in page and "Chrome · Android" in page
    assert "192.0.2.0/24" not in page
    assert page.count("This browser") == 1


def test_signing_out_other_sessions_keeps_this_one(supervisor, caseworker):
    laptop = signed_in(supervisor)
    phone = signed_in(supervisor, address="198.51.100.4", agent=CHROME_ON_ANDROID, second=True)
    colleague = signed_in(caseworker)
    response = laptop.post("/accounts/sessions/", follow=True)
    assert "1 other session was signed out." in response.content.decode()
    assert laptop.get("/accounts/2fa/").status_code == 200
    assert phone.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")
    assert colleague.get("/accounts/2fa/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.sessions.ended_others", actor=supervisor).exists()
    after = response.content.decode()
    assert "No other browser is signed in" in after and "Sign out other sessions" not in after


def test_the_security_pages_link_to_the_sessions_page(supervisor):
    laptop = signed_in(supervisor)
    for page in ("/accounts/2fa/", "/accounts/password/change/", "/accounts/sessions/"):
        assert 'href="/accounts/sessions/"' in laptop.get(page).content.decode(), page


def test_logging_out_deletes_the_row(supervisor):
    client = signed_in(supervisor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=stored_key(key)).exists()
    again = Client()
    again.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not again.get("/accounts/2fa/").wsgi_request.user.is_authenticated


def test_an_idle_session_ends(supervisor):
    client = signed_in(supervisor)
    Session.objects.filter(pk=row_of(client).pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")


def test_a_session_past_its_absolute_limit_ends(supervisor):
    client = signed_in(supervisor)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    assert client.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=stored_key(key)).exists()


def test_deactivation_ends_every_session_of_the_person_only(admin_client, supervisor, caseworker):
    laptop, phone = signed_in(caseworker), signed_in(caseworker, agent=CHROME_ON_ANDROID, second=True)
    other = signed_in(supervisor)
    response = reauthenticated(admin_client).post(f"/people/{caseworker.username}/deactivate/")
    assert response.status_code == 302
    assert not Session.objects.filter(user=caseworker).exists()
    for client in (laptop, phone):
        assert client.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")
    assert other.get("/accounts/2fa/").status_code == 200
