"""Every path that accepts a TOTP code (enrolment, login, re-authentication) spends it: no code works twice."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.accounts.test_login import LOGIN_URL, MFA_URL, full_login, password_step
from tests.factories import PASSWORD, totp_code, totp_secret


# allauth announces a new authenticator on commit.
@pytest.mark.django_db(transaction=True)
def test_the_code_used_to_enrol_is_refused_at_login(client, make_user):
    user = make_user(totp=False)
    client.post(LOGIN_URL, {"login": user.username, "password": PASSWORD})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    secret = client.get("/accounts/2fa/totp/activate/").context["form"].secret
    code = totp_code(secret)
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    assert password_step(client, user.username)["Location"] == MFA_URL
    response = client.post(MFA_URL, {"code": code})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()


def test_a_code_stays_used_for_its_whole_tolerance_window(client, make_user, settings):
    """With one period of tolerance a code is valid for 90 seconds, so it stays used that long."""
    user = make_user()
    code = totp_code(totp_secret(user), offset=1)  # next period's code: valid for the next 60 seconds
    assert full_login(client, user, code).status_code == 302
    client.post("/accounts/logout/")
    # Forget what a 30-second expiry would have forgotten by the time this code is still valid.
    expire_cache_entries_living_at_most(31)
    password_step(client, user.username)
    response = client.post(MFA_URL, {"code": code})
    assert "Incorrect code." in response.content.decode()


def expire_cache_entries_living_at_most(seconds: int) -> None:
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    for key in redis.scan_iter("haven:*"):
        if 0 < redis.ttl(key) <= seconds:
            redis.delete(key)


def test_the_code_used_at_login_is_refused_at_re_authentication(client, make_user):
    user = make_user()
    code = totp_code(totp_secret(user))
    assert full_login(client, user, code).status_code == 302
    response = client.post("/accounts/2fa/reauthenticate/", {"code": code})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    fresh = totp_code(totp_secret(user), offset=1)
    assert client.post("/accounts/2fa/reauthenticate/", {"code": fresh}).status_code == 302


def test_a_wrong_code_at_login_is_still_refused_and_a_right_one_accepted(client, make_user):
    user = make_user()
    password_step(client, user.username)
    assert "Incorrect code." in client.post(MFA_URL, {"code": "12345x"}).content.decode()
    assert client.post(MFA_URL, {"code": totp_code(totp_secret(user))}).status_code == 302
