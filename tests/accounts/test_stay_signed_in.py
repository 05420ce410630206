"""The idle warning's "Stay signed in": activity that renews the idle timeout, never the absolute limit."""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.utils import timezone

from accounts.receivers import LOGIN_AT_SESSION_KEY
from tests.conftest import login_with_mfa
from vault.models import Session
from vault.sessions import stored_key


def _expiry(client) -> datetime.datetime:  # type: ignore[no-untyped-def]
    return Session.objects.get(session_key=stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)).expire_date


def test_staying_signed_in_renews_the_idle_timeout(cw):
    key = cw.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=stored_key(key)).update(
        expire_date=timezone.now() + datetime.timedelta(minutes=1)
    )
    assert cw.post("/stay-signed-in/").status_code == 204
    assert _expiry(cw) > timezone.now() + datetime.timedelta(minutes=14)


def test_staying_signed_in_does_not_pass_the_absolute_limit(cw):
    session = cw.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    response = cw.post("/stay-signed-in/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_every_signed_in_page_carries_the_warning_with_the_idle_timeout(cw):
    page = cw.get("/cases/").content.decode()
    assert f'data-idle-seconds="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'action="/stay-signed-in/"' in page


def test_the_login_page_has_no_warning(client):
    assert "data-session-warning" not in client.get("/accounts/login/").content.decode()


def test_a_person_still_enrolling_can_stay_signed_in(client, make_user):
    enrolling = login_with_mfa(client, make_user(totp=False))
    assert enrolling.post("/stay-signed-in/").status_code == 204
