"""Invitations: the only way into Haven, used once, and the way to reset an account."""

from __future__ import annotations

import hashlib
import importlib
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, User, hash_token
from accounts.services import change_role, invite_user
from audit.models import AuditEvent
from tests.conftest import reauthenticated
from tests.factories import totp_code, totp_secret
from vault.models import Session
from vault.sessions import stored_key

NEW_PASSWORD = "river stone lantern 42"


def link_from(admin_client: Client, response) -> str:  # type: ignore[no-untyped-def]
    """The invitation code from the link shown once to the admin (it follows the #)."""
    assert response.status_code == 302 and response["Location"] == "/people/invitation-link/"
    page = admin_client.get("/people/invitation-link/").content.decode()
    start = page.index("http://testserver/invitation/#")
    link = page[start : page.index('"', start)]
    return link.split("#", 1)[1]


def accept(client: Client, token: str, password: str = NEW_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/invitation/", {"code": token, "password1": password, "password2": password})


def probe(token: str) -> int:
    """404 for a code that does not work; 200 (the form, asking for passwords) for one that does."""
    return Client().post("/invitation/", {"code": token}).status_code


# allauth announces a new authenticator on commit: a real transaction shows that
# the session counts as two-factor right after enrolment.
@pytest.mark.django_db(transaction=True)
def test_an_admin_invites_a_person_who_sets_a_password_and_must_enrol_mfa(admin_client, admin):
    response = admin_client.post("/people/invite/", {"username": "Casey", "email": "", "role": "caseworker"})
    token = link_from(admin_client, response)
    invitation = Invitation.objects.get()
    assert (invitation.username, invitation.role) == ("casey", "caseworker")
    assert invitation.token_hash != token and token not in invitation.token_hash  # only the hash is stored

    visitor = Client()
    page = visitor.get("/invitation/")
    assert page.status_code == 200 and "data-invitation-code" in page.content.decode()
    assert "casey" in visitor.post("/invitation/", {"code": token}).content.decode()
    response = accept(visitor, token)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    user = User.objects.get(username="casey")
    assert user.role == "caseworker" and user.check_password(NEW_PASSWORD)
    # Signed in, but only MFA enrolment is open until a factor is added.
    assert visitor.get("/")["Location"] == "/accounts/2fa/"
    activation = visitor.get("/accounts/2fa/totp/activate/")
    assert activation.status_code == 200
    secret = activation.context["form"].secret
    response = visitor.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response["Location"] == "/accounts/2fa/recovery-codes/"
    assert visitor.get("/accounts/2fa/").status_code == 200
    actions = list(AuditEvent.objects.filter(object_ref="casey").order_by("seq").values_list("action", flat=True))
    assert actions == [
        "accounts.invitation.sent",
        "accounts.invitation.accepted",
        "accounts.login",
        "accounts.mfa.added",  # the app
        "accounts.mfa.added",  # recovery codes, made with it
    ]


def test_the_link_is_shown_once(admin_client):
    response = admin_client.post("/people/invite/", {"username": "dana", "role": "donor"})
    link_from(admin_client, response)
    again = admin_client.get("/people/invitation-link/").content.decode()
    assert "/invitation/" not in again
    assert "shown only once" in again


def test_a_used_link_is_refused(admin, client):
    _invitation, token = invite_user(by=admin, username="erin", email="", role="donor")
    assert accept(client, token).status_code == 302
    other = Client()
    response = accept(other, token, "a different long password")
    assert response.status_code == 404
    assert "does not work" in response.content.decode()
    assert User.objects.get(username="erin").check_password(NEW_PASSWORD)


def test_a_double_submitted_acceptance_makes_one_account(admin, client):
    _invitation, token = invite_user(by=admin, username="finn", email="", role="donor")
    accept(client, token)
    accept(client, token)
    assert User.objects.filter(username="finn").count() == 1
    assert AuditEvent.objects.filter(action="accounts.invitation.accepted").count() == 1


def test_an_expired_link_is_refused(admin, client):
    invitation, token = invite_user(by=admin, username="gale", email="", role="donor")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert probe(token) == 404
    assert accept(client, token).status_code == 404
    assert not User.objects.filter(username="gale").exists()


def test_links_expire_after_72_hours_by_default(admin):
    invitation, _token = invite_user(by=admin, username="hana", email="", role="donor")
    assert invitation.expires_at - invitation.created_at == timedelta(hours=72)


def test_a_made_up_token_is_refused(client, db):
    assert probe("not-a-real-token") == 404
    assert probe("") == 404


def test_a_newer_invitation_replaces_an_older_one(admin):
    _first, old = invite_user(by=admin, username="ivo", email="", role="donor")
    _second, new = invite_user(by=admin, username="ivo", email="", role="donor")
    assert probe(old) == 404
    assert probe(new) == 200


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [
        ("short pass", "short pass", "too short"),
        ("river stone lantern 42", "river stone lantern 43", "The two passwords differ"),
        ("123456789012345", "123456789012345", "entirely numeric"),
        ("", "", "This field is required"),
    ],
)
def test_a_weak_or_mistyped_password_is_explained_and_the_link_still_works(
    admin, client, password1, password2, message
):
    _invitation, token = invite_user(by=admin, username="jo", email="", role="donor")
    response = client.post("/invitation/", {"code": token, "password1": password1, "password2": password2})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(username="jo").exists()
    assert probe(token) == 200


def test_an_oversized_password_is_refused(admin, client):
    _invitation, token = invite_user(by=admin, username="kim", email="", role="donor")
    huge = "x" * 10_000
    response = client.post("/invitation/", {"code": token, "password1": huge, "password2": huge})
    assert response.status_code == 200
    assert "at most 256 characters" in response.content.decode()


def test_an_existing_username_cannot_be_invited_again(admin_client, make_user):
    make_user(username="lee")
    response = admin_client.post("/people/invite/", {"username": "LEE", "role": "donor"})
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "a b", "role": "donor"}, "Use 3 to 40 lower-case letters"),
        ({"username": "x" * 41, "role": "donor"}, "at most 40 characters"),
        ({"username": "<script>", "role": "donor"}, "Use 3 to 40 lower-case letters"),
        ({"username": "valid-name", "role": "superuser"}, "Select a valid choice"),
        ({"username": "valid-name", "role": "donor", "email": "not-an-email"}, "valid email"),
    ],
)
def test_bad_invitation_input_is_explained(admin_client, data, message):
    response = admin_client.post("/people/invite/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "caseworker", "debriefer", "donor", "auditor"])
def test_only_an_admin_can_invite(client_for, make_user, role):
    client = client_for(make_user(role))
    response = client.post("/people/invite/", {"username": "mallory", "role": "admin"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_a_reset_invitation_removes_old_authenticators_and_sessions(admin_client, make_user, client_for):
    user = make_user(username="noor")
    old_secret = totp_secret(user)
    their_client = client_for(user)
    assert their_client.get("/accounts/2fa/").status_code == 200
    response = reauthenticated(admin_client).post("/people/noor/reinvite/")
    token = link_from(admin_client, response)
    # The account still works until the link is used.
    assert their_client.get("/accounts/2fa/").status_code == 200
    assert accept(Client(), token).status_code == 302
    assert not Authenticator.objects.filter(user=user, data__secret=old_secret).exists()
    assert their_client.get("/")["Location"].startswith("/accounts/login/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_admin_changes_a_lower_role_alone_and_it_is_audited(admin_client, make_user):
    user = make_user(username="omar", role="caseworker")
    response = reauthenticated(admin_client).post("/people/omar/role/", {"role": "debriefer"}, follow=True)
    assert "Role saved." in response.content.decode()
    user.refresh_from_db()
    assert user.role == "debriefer"
    event = AuditEvent.objects.get(action="accounts.user.role_changed")
    assert (event.object_ref, event.reason, event.actor_username) == ("omar", "caseworker -> debriefer", "alice")


def test_changing_a_role_asks_for_the_password_first(admin_client, make_user):
    user = make_user(username="omar", role="caseworker")
    response = admin_client.post("/people/omar/role/", {"role": "debriefer"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    user.refresh_from_db()
    assert user.role == "caseworker"


def test_a_forged_role_is_refused(admin_client, make_user):
    user = make_user(username="pat", role="caseworker")
    response = reauthenticated(admin_client).post("/people/pat/role/", {"role": "root"}, follow=True)
    assert "Choose a valid role." in response.content.decode()
    response = admin_client.post("/people/pat/role/", {"role": "none"}, follow=True)
    assert "Choose a valid role." in response.content.decode()
    user.refresh_from_db()
    assert user.role == "caseworker"


def test_an_admin_cannot_change_their_own_role_or_deactivate_themselves(admin_client, admin):
    reauthenticated(admin_client).post("/people/alice/role/", {"role": "donor"})
    admin_client.post("/people/alice/deactivate/")
    admin_client.post("/people/alice/suspend/")
    admin.refresh_from_db()
    assert admin.role == "admin" and admin.is_active


def test_deactivating_a_person_ends_their_session_at_once(admin_client, make_user):
    user = make_user(username="quinn")
    their_client = Client()
    their_client.post("/accounts/login/", {"login": "quinn", "password": "a long enough test passphrase"})
    their_client.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret(user))})
    assert their_client.get("/accounts/2fa/").status_code == 200
    session_key = their_client.session.session_key
    response = reauthenticated(admin_client).post("/people/quinn/deactivate/", follow=True)
    assert "signed out everywhere" in response.content.decode()
    assert not Session.objects.filter(session_key=stored_key(session_key)).exists()
    assert their_client.get("/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="accounts.user.deactivated", object_ref="quinn").exists()


def test_a_deactivated_person_cannot_log_in(client, make_user):
    user = make_user(username="ray", is_active=False)
    response = client.post("/accounts/login/", {"login": user.username, "password": "wrong password"})
    assert "not correct" in response.content.decode()
    response = client.post("/accounts/login/", {"login": user.username, "password": "a long enough test passphrase"})
    # The right password gets the same answer as a wrong one: nothing confirms a stolen password.
    assert response.status_code == 200 and "not correct" in response.content.decode()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_people_page_lists_accounts_in_a_constant_number_of_queries(
    admin_client, make_user, django_assert_num_queries, admin
):
    for _n in range(3):
        make_user()
    invite_user(by=admin, username="sam", email="", role="donor")
    # session, the organisation key (sessions are sealed), user, MFA check (middleware),
    # users with their MFA flag, open invitations with who sent them, open role requests
    # with account and requester, the last backup (the admin pages' warning), open brakes
    # (the banner); and, while no backup was ever made, when the database was installed (a
    # fresh one is not warned yet). No session save: it was renewed less than a minute ago.
    with django_assert_num_queries(10) as few:
        admin_client.get("/people/")
    for _n in range(20):
        waiting = make_user()
        invite_user(by=admin, username=f"user-{_n}", email="", role="donor")
        change_role(by=admin, user=waiting, role="supervisor")
    with django_assert_num_queries(len(few.captured_queries)):
        response = admin_client.get("/people/")
    assert response.content.decode().count('href="/people/person') == 23  # and alice


def test_a_token_is_stored_as_a_keyed_hash_not_a_plain_sha256(db):
    """Without the keyring, a dump's token_hash cannot even be tested against a guessed token."""
    assert hash_token("abc") != hashlib.sha256(b"abc").hexdigest()
    assert len(hash_token("abc")) == 64 and hash_token("abc") == hash_token("abc") != hash_token("abd")


def test_a_token_hash_read_from_the_database_is_not_an_invitation(client, admin):
    invitation, token = invite_user(by=admin, username="rosa", email="", role=User.Role.CASEWORKER)
    stored = Invitation.objects.get(pk=invitation.pk).token_hash
    assert token not in stored
    response = accept(client, stored)
    assert response.status_code == 404
    assert Invitation.objects.get(pk=invitation.pk).accepted_at is None


def test_the_upgrade_revokes_invitations_stored_under_an_unkeyed_hash(admin):
    """accounts 0004: an open invitation's stored SHA-256 no longer matches; it is shown as closed, to issue again."""
    upgrade = importlib.import_module("accounts.migrations.0005_invitations_under_keyed_hash")
    invitation, _token = invite_user(by=admin, username="rosa", email="", role=User.Role.CASEWORKER)
    upgrade.revoke_open_invitations(django_apps, None)
    assert not Invitation.objects.get(pk=invitation.pk).is_open
