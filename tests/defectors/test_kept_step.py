"""A step posted after the session expired is kept (encrypted, for that user and case) and put back after login."""

from __future__ import annotations

import datetime
import logging

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from defectors.models import Case, KeptStep
from tests.conftest import login_with_mfa
from tests.factories import CaseFactory
from tests.vault.test_leaks import pg_dump, redis_contents
from vault.models import Session
from vault.sessions import stored_key

SENTINEL = "Sentinel kept circumstances 93 " + "crossed the river at night. " * 40


@pytest.fixture
def draft(caseworker) -> Case:  # type: ignore[no-untyped-def]
    return CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)


def expire(client: Client, minutes_ago: int = 1) -> None:
    """The idle timeout passes: the row stays, its expiry is in the past (as for a session nobody used)."""
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=stored_key(key)).update(
        expire_date=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )


def post_defection(client: Client, case: Case, text: str = SENTINEL):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case.code}/intake/defection/", {"circumstances": text, "defection_place": "Kalay"})


def test_a_step_posted_after_expiry_is_kept_and_put_back_after_login(cw, caseworker, draft):
    expire(cw)
    response = post_defection(cw, draft)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert f"next=/cases/{draft.code}/intake/defection/" in response["Location"]
    kept = KeptStep.objects.with_keys("case").get()
    assert (kept.user, kept.case, kept.step) == (caseworker, draft, "defection")
    assert kept.data["circumstances"] == [SENTINEL]
    assert "csrfmiddlewaretoken" not in kept.data
    draft.refresh_from_db()
    assert not draft.circumstances  # kept aside, not saved into the case
    assert AuditEvent.objects.filter(action="defectors.case.intake_step_kept", actor=caseworker).exists()

    login_with_mfa(cw, caseworker)
    page = cw.get(f"/cases/{draft.code}/intake/defection/").content.decode()
    assert SENTINEL.strip() in page and "Kalay" in page
    assert "What you typed before your session ended is back" in page
    assert cw.get(f"/cases/{draft.code}/intake/defection/").content.decode().count("Sentinel kept") == 1  # still there

    assert post_defection(cw, draft).status_code == 302
    draft.refresh_from_db()
    assert draft.circumstances == SENTINEL.strip()
    assert not KeptStep.objects.exists()  # saved: the kept copy is gone


def test_another_user_signing_in_gets_nothing_back(cw, client_for, supervisor, draft):
    expire(cw)
    post_defection(cw, draft)
    page = client_for(supervisor).get(f"/cases/{draft.code}/intake/defection/").content.decode()
    assert "Sentinel kept" not in page


def test_nothing_is_kept_without_the_expired_sessions_cookie(client, draft):
    response = post_defection(client, draft)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not KeptStep.objects.exists()


def test_a_forged_cookie_keeps_nothing(client, draft):
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    post_defection(client, draft)
    assert not KeptStep.objects.exists()


def test_a_session_expired_long_ago_keeps_nothing(cw, draft):
    expire(cw, minutes_ago=60)
    post_defection(cw, draft)
    assert not KeptStep.objects.exists()


def test_a_logged_out_session_keeps_nothing(cw, draft):
    cw.post("/accounts/logout/")
    post_defection(cw, draft)
    assert not KeptStep.objects.exists()


def test_nothing_is_kept_for_a_case_the_user_may_not_see(client_for, outsider, draft):
    otto = client_for(outsider)
    expire(otto)
    post_defection(otto, draft)
    assert not KeptStep.objects.exists()


def test_nothing_is_kept_for_an_opened_case(cw, case):
    expire(cw)
    post_defection(cw, case)
    assert not KeptStep.objects.exists()


def test_an_oversized_post_is_not_kept(cw, draft):
    expire(cw)
    post_defection(cw, draft, "x" * 210_000)
    assert not KeptStep.objects.exists()


def test_a_kept_step_is_not_put_back_after_it_expires(cw, caseworker, draft):
    expire(cw)
    post_defection(cw, draft)
    KeptStep.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    login_with_mfa(cw, caseworker)
    assert "Sentinel kept" not in cw.get(f"/cases/{draft.code}/intake/defection/").content.decode()


def test_a_discarded_draft_takes_its_kept_step_along(cw, caseworker, draft):
    expire(cw)
    post_defection(cw, draft)
    login_with_mfa(cw, caseworker)
    cw.post(f"/cases/{draft.code}/intake/discard/")
    kept = KeptStep.objects.with_keys("case").get()
    assert not kept.data  # shredded with the case's key


@pytest.mark.django_db(transaction=True)
def test_the_kept_step_never_appears_in_the_clear(caplog, client_for, make_user):
    caplog.set_level(logging.DEBUG)
    cora = make_user(username="cora2")
    client = client_for(cora)
    draft = CaseFactory(created_by=cora, status=Case.Status.INTAKE)
    expire(client)
    post_defection(client, draft)
    assert KeptStep.objects.count() == 1
    dump, cache = pg_dump(), redis_contents()
    assert draft.code in dump
    assert "Sentinel kept" not in dump
    assert "Sentinel kept" not in caplog.text
    assert b"Sentinel kept" not in cache


def test_resuming_the_draft_opens_the_kept_step(cw, caseworker, draft):
    """Someone who logs in afresh (not through the login's return link) still finds what was kept."""
    expire(cw)
    post_defection(cw, draft)
    login_with_mfa(cw, caseworker)
    assert cw.get(f"/cases/{draft.code}/intake/")["Location"].endswith("/intake/defection/")
