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
from tests.factories import schedule_debrief
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


def _header(response) -> int:  # type: ignore[no-untyped-def]
    return int(response["X-Haven-Idle-Seconds"])


def test_every_signed_in_response_carries_the_seconds_left_in_a_header(cw):
    age, renew = settings.SESSION_COOKIE_AGE, settings.SESSION_RENEW_SECONDS
    assert age - 5 <= _header(cw.get("/cases/")) <= age
    _set_expiry(cw, age - renew + 20)  # not renewed by the next request: counts down from the stored expiry
    response = cw.get("/cases/")
    assert age - renew + 10 <= _header(response) <= age - renew + 20
    assert _header(response) == _idle_seconds(response.content.decode())
    assert age - 5 <= _header(cw.post("/stay-signed-in/")) <= age  # a 204 too: the script reads it


def test_an_autosaves_answer_carries_the_header(client_for, debriefer, supervisor, case):  # type: ignore[no-untyped-def]
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    body = {"unit_name": "x", "version": "0", "save_token": "7f0c6c7e-8d4e-4c55-9b6a-1b1f2f1e0a11"}
    response = client_for(debriefer).post(f"/debriefing/{session.pk}/unit/", body, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_AGE - 5 <= _header(response) <= settings.SESSION_COOKIE_AGE


def test_no_header_for_someone_not_signed_in(client):
    assert "X-Haven-Idle-Seconds" not in client.get("/accounts/login/")
    assert "X-Haven-Idle-Seconds" not in client.get("/cases/")


def test_the_idle_warning_counts_down_to_the_absolute_limit_when_that_comes_first(cw):
    session = cw.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_HOURS * 3600 + 60
    session.save()
    response = cw.get("/cases/")
    assert response.status_code == 200
    assert 50 <= _idle_seconds(response.content.decode()) <= 60
    assert 50 <= _header(response) <= 60


def test_the_idle_timeout_still_counts_when_the_absolute_limit_is_far(cw):
    session = cw.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_HOURS * 3600 + 3 * settings.SESSION_COOKIE_AGE
    session.save()
    assert settings.SESSION_COOKIE_AGE - 5 <= _header(cw.get("/cases/")) <= settings.SESSION_COOKIE_AGE
