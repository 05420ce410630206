"""The idle warning's "Stay signed in": activity that renews the idle timeout, never the absolute limit."""

from __future__ import annotations

import datetime
import re
import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
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


def _idle_seconds(page: str) -> int:
    return int(re.search(r'data-idle-seconds="(\d+)"', page)[1])  # type: ignore[index]


def test_every_signed_in_page_carries_the_warning_with_the_idle_timeout(cw):
    page = cw.get("/cases/").content.decode()
    assert settings.SESSION_COOKIE_AGE - 5 <= _idle_seconds(page) <= settings.SESSION_COOKIE_AGE
    assert 'action="/stay-signed-in/"' in page


def _set_expiry(client, seconds: float) -> None:  # type: ignore[no-untyped-def]
    key = stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + datetime.timedelta(seconds=seconds))


def test_a_page_within_the_renewal_interval_writes_no_session_and_counts_down_from_the_stored_expiry(cw):
    age, renew = settings.SESSION_COOKIE_AGE, settings.SESSION_RENEW_SECONDS
    _set_expiry(cw, age - renew + 20)  # renewed 40 s ago: not yet due
    before = _expiry(cw)
    with CaptureQueriesContext(connection) as queries:
        page = cw.get("/cases/").content.decode()
    assert not [q for q in queries.captured_queries if "vault_session" in q["sql"] and "UPDATE" in q["sql"]]
    assert _expiry(cw) == before
    # The warning comes two minutes before the real end, not the end a renewal would have given.
    assert age - renew + 10 <= _idle_seconds(page) <= age - renew + 20


def test_a_page_after_the_renewal_interval_renews_the_idle_timeout(cw):
    age, renew = settings.SESSION_COOKIE_AGE, settings.SESSION_RENEW_SECONDS
    _set_expiry(cw, age - renew - 5)
    page = cw.get("/cases/").content.decode()
    assert _expiry(cw) > timezone.now() + datetime.timedelta(seconds=age - 5)
    assert age - 5 <= _idle_seconds(page) <= age


def test_staying_signed_in_renews_even_within_the_interval(cw):
    _set_expiry(cw, settings.SESSION_COOKIE_AGE - 30)
    assert cw.post("/stay-signed-in/").status_code == 204
    assert _expiry(cw) > timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_the_login_page_has_no_warning(client):
    assert "data-session-warning" not in client.get("/accounts/login/").content.decode()


def test_a_person_still_enrolling_can_stay_signed_in(client, make_user):
    enrolling = login_with_mfa(client, make_user(totp=False))
    assert enrolling.post("/stay-signed-in/").status_code == 204
