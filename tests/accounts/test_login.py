"""Logging in: password, then a second factor, with rate limits and no hints."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from accounts.receivers import LOGIN_AT_SESSION_KEY
from audit.models import AuditEvent
from tests.factories import PASSWORD, totp_code, totp_secret

LOGIN_URL = "/accounts/login/"
MFA_URL = "/accounts/2fa/authenticate/"
MISMATCH = "The username and/or password you specified are not correct."


def password_step(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(LOGIN_URL, {"login": username, "password": password})


def full_login(client: Client, user: User, code: str | None = None):  # type: ignore[no-untyped-def]
    response = password_step(client, user.username)
    assert response.status_code == 302 and response["Location"] == MFA_URL
    return client.post(MFA_URL, {"code": code or totp_code(totp_secret(user))})


def test_password_alone_reaches_nothing(client, make_user):
    user = make_user()
    response = password_step(client, user.username)
    assert response["Location"] == MFA_URL
    for url in ["/", "/audit/", "/people/", "/accounts/2fa/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL)


def test_a_wrong_code_is_refused_and_audited(client, make_user):
    user = make_user()
    password_step(client, user.username)
    right = totp_code(totp_secret(user))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(MFA_URL, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    event = AuditEvent.objects.get(action="accounts.login.failed")
    assert (event.object_ref, event.reason) == (user.username, "second factor")


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (User.Role.ADMIN, "/people/"),
        (User.Role.AUDITOR, "/audit/"),
        (User.Role.SUPERVISOR, "/support/"),
        (User.Role.CASEWORKER, "/support/"),
        (User.Role.DEBRIEFER, "/debriefing/"),
        (User.Role.DONOR, "/reports/"),
    ],
)
def test_each_role_lands_on_its_own_home(client, make_user, role, home):
    user = make_user(role)
    response = full_login(client, user)
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.request["PATH_INFO"] == home
    assert response.status_code == 200
    if home in ("/", "/support/"):
        assert f'data-role-home="{role}"' in response.content.decode()
    assert AuditEvent.objects.filter(action="accounts.login", actor=user).count() == 1


def test_a_totp_code_cannot_be_used_twice(client, make_user):
    user = make_user()
    code = totp_code(totp_secret(user))
    full_login(client, user, code)
    client.post("/accounts/logout/")
    password_step(client, user.username)
    response = client.post(MFA_URL, {"code": code})
    assert response.status_code == 200
    assert "This code was just used. Wait for the next code in your app" in response.content.decode()
    assert "_auth_user_id" not in client.session  # refused all the same


def test_a_reused_code_is_not_a_failed_login(client, make_user):
    """No failure event, and no step towards the lock: five reuses, then the next code still works."""
    user = make_user()
    code = totp_code(totp_secret(user))
    full_login(client, user, code)
    client.post("/accounts/logout/")
    password_step(client, user.username)
    for _attempt in range(6):
        client.post(MFA_URL, {"code": code})
    assert not AuditEvent.objects.filter(action="accounts.login.failed").exists()
    response = client.post(MFA_URL, {"code": totp_code(totp_secret(user), offset=1)})
    assert response.status_code == 302


def test_the_code_field_suits_a_phone(client, make_user):
    user = make_user()
    password_step(client, user.username)
    page = client.get(MFA_URL).content.decode()
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page


def test_a_recovery_code_works_once(client, make_user):
    user = make_user()
    code = RecoveryCodes.activate(user).get_unused_codes()[0]
    response = full_login(client, user, code)
    assert response.status_code == 302
    assert client.get("/accounts/2fa/").status_code == 200
    client.post("/accounts/logout/")
    password_step(client, user.username)
    response = client.post(MFA_URL, {"code": code})
    assert "Incorrect code." in response.content.decode()
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(client, make_user):
    user = make_user()
    unknown = password_step(client, "nobody-by-this-name")
    wrong = password_step(client, user.username, "not the password at all")
    assert unknown.status_code == wrong.status_code == 200
    assert MISMATCH in unknown.content.decode()
    assert MISMATCH in wrong.content.decode()


def test_failed_logins_name_only_existing_accounts_in_the_audit_trail(client, make_user):
    user = make_user()
    password_step(client, "Daw Aye Aye, typed in the wrong box")
    password_step(client, user.username, "wrong password")
    refs = list(
        AuditEvent.objects.filter(action="accounts.login.failed").order_by("seq").values_list("object_ref", flat=True)
    )
    assert refs == ["", user.username]
    assert not any("Aye" in event.reason for event in AuditEvent.objects.all())


def test_an_account_is_locked_for_a_while_after_five_wrong_passwords(client, make_user):
    user = make_user()
    for _attempt in range(5):
        assert MISMATCH in password_step(client, user.username, "wrong password").content.decode()
    response = password_step(client, user.username)  # even the right password now
    assert "Too many failed login attempts. Try again later." in response.content.decode()
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    # Another account from the same client is not locked by that.
    other = make_user()
    assert password_step(Client(), other.username)["Location"] == MFA_URL


def test_a_client_is_limited_after_ten_failures_across_accounts(client, make_user):
    for attempt in range(10):
        password_step(client, f"guess-{attempt}", "wrong password")
    user = make_user()
    response = password_step(client, user.username)
    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_wrong_second_factor_codes_are_limited_too(client, make_user):
    user = make_user()
    password_step(client, user.username)
    for _attempt in range(5):
        client.post(MFA_URL, {"code": "000000"})
    response = client.post(MFA_URL, {"code": totp_code(totp_secret(user))})
    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_a_user_without_a_second_factor_reaches_only_enrolment(client, make_user):
    user = make_user(totp=False)
    response = password_step(client, user.username)
    assert response.status_code == 302
    for url in ["/", "/audit/", "/people/", "/accounts/sessions/", "/accounts/password/change/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/", url
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/reauthenticate/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_a_session_that_skipped_the_second_factor_is_ended(client, make_user):
    user = make_user()
    client.force_login(user)  # a session opened without the second factor
    response = client.get("/")
    assert response["Location"].startswith(LOGIN_URL)
    assert "_auth_user_id" not in client.session


def test_sessions_end_after_the_absolute_limit(client_for, make_user, settings):
    user = make_user()
    client = client_for(user)
    assert client.get("/accounts/2fa/").status_code == 200
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_MAX_HOURS * 3600 - 1
    session.save()
    response = client.get("/")
    assert response["Location"].startswith(LOGIN_URL)
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_sessions_expire_after_fifteen_idle_minutes(client, make_user):
    user = make_user()
    full_login(client, user)
    client.get("/")
    assert client.session.get_expiry_age() == 15 * 60
    assert client.session.get_expire_at_browser_close()


def test_the_last_authenticator_cannot_be_removed(client_for, make_user):
    user = make_user()
    client = client_for(user)
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    response = client.post("/accounts/2fa/totp/deactivate/", follow=True)
    assert "This is your last authenticator" in response.content.decode()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_the_last_security_key_cannot_be_removed(client_for, make_user):
    user = make_user(totp=False)
    key = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})
    client = client_for(user)
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/", follow=True)
    assert "This is your last authenticator" in response.content.decode()
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_another_persons_security_key_is_not_found(client_for, make_user):
    owner = make_user()
    key = Authenticator.objects.create(user=owner, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})
    client = client_for(make_user())
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    assert client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/").status_code == 404
    assert Authenticator.objects.filter(pk=key.pk).exists()


def test_sign_up_and_password_reset_do_not_exist(client):
    for name in ["account_signup", "account_reset_password", "account_email"]:
        with pytest.raises(NoReverseMatch):
            reverse(name)
    assert client.get("/accounts/signup/").status_code == 404
    assert client.get("/accounts/password/reset/").status_code == 404
    page = client.get(LOGIN_URL).content.decode().lower()
    assert "sign up" not in page
    assert "forgot" not in page


def test_quick_exit_ends_the_session_and_clears_site_data(client_for, make_user, settings):
    user = make_user()
    client = client_for(user)
    response = client.get("/exit/")
    assert response.status_code == 302
    assert response["Location"] == settings.QUICK_EXIT_URL
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    assert AuditEvent.objects.filter(action="accounts.logout", actor=user).exists()


def test_every_page_offers_quick_exit(client_for, make_user):
    client = client_for(make_user())
    for url in ["/cases/", "/accounts/2fa/"]:
        assert 'href="/exit/"' in client.get(url).content.decode(), url
    assert 'href="/exit/"' in Client().get(LOGIN_URL).content.decode()


@pytest.mark.django_db(transaction=True)  # allauth announces removals on commit
def test_removing_a_second_authenticator_is_allowed_and_audited(client_for, make_user):
    user = make_user()
    key = Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"})
    client = client_for(user)
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=key.pk).exists()
    event = AuditEvent.objects.get(action="accounts.mfa.removed")
    assert (event.object_ref, event.reason) == (user.username, "webauthn")


@pytest.mark.parametrize("host", ["TESTSERVER", "testserver:8000", "localhost", "127.0.0.1"])
def test_the_account_lock_holds_whatever_host_the_request_names(client, make_user, host):
    """The lock is keyed on the account, not on a header the attacker chooses."""
    user = make_user()
    for _attempt in range(5):
        password_step(client, user.username, "wrong password")
    response = Client(HTTP_HOST=host).post(LOGIN_URL, {"login": user.username, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in response.content.decode()


@pytest.mark.parametrize("spelling", ["{}", "{}".upper(), " {} ", "ｆｕｌｌｗｉｄｔｈ"])
def test_the_account_lock_holds_for_every_spelling_of_the_username(client, make_user, spelling):
    user = make_user(username="fullwidth")
    for _attempt in range(5):
        password_step(client, user.username, "wrong password")
    typed = spelling.format(user.username) if "{}" in spelling else spelling
    response = Client(REMOTE_ADDR="192.0.2.7").post(LOGIN_URL, {"login": typed, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_the_client_limit_ignores_forwarded_addresses_beyond_the_trusted_proxy(client, make_user, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for attempt in range(10):
        # The proxy appends the real client (203.0.113.5); the first entry is the attacker's own.
        password_step(
            Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}, 203.0.113.5"), f"guess-{attempt}", "wrong password"
        )
    user = make_user()
    fresh_lie = Client(HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.5")
    response = fresh_lie.post(LOGIN_URL, {"login": user.username, "password": PASSWORD})
    assert "Too many failed login attempts. Try again later." in response.content.decode()


def test_a_password_change_is_audited_without_the_password(client_for, make_user):
    user = make_user(User.Role.DONOR, username="pat")
    user.set_password("Old-passphrase-for-pat-1")
    user.save()
    client = client_for(user)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "Old-passphrase-for-pat-1",
            "password1": "New-Sentinel-phrase-77",
            "password2": "New-Sentinel-phrase-77",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="accounts.password.changed")
    assert event.object_ref == "pat" and event.actor == user
    assert "Sentinel" not in event.reason


def test_redis_keeps_no_address_or_username_of_the_limits_it_counts(make_user):
    """Rate limits are counted under hashed keys: a copy of Redis shows no staff address or username."""
    user = make_user(username="sentinel-login-7731")
    client = Client(REMOTE_ADDR="198.51.100.213")
    for attempt in range(10):
        password_step(client, user.username if attempt % 2 else f"sentinel-guess-{attempt}", "wrong password")
    response = password_step(client, user.username)
    assert "Too many failed login attempts. Try again later." in response.content.decode()  # still counted
    redis = cache._cache.get_client(write=True)  # type: ignore[attr-defined]
    stored = b"".join(key + (redis.get(key) or b"") for key in redis.scan_iter("*"))
    assert stored, "the limits are kept in Redis"
    for sentinel in (b"198.51.100", b"sentinel-login-7731", b"sentinel-guess", b"allauth"):
        assert sentinel not in stored
