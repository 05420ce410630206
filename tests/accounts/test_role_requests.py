"""No role that reaches identities is granted, raised or taken from an administrator by one person.

Personas: alice asks (an administrator), bob decides (a second administrator),
carol is a third administrator, and sam is the person invited as a supervisor.
"""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, RoleRequest, User
from audit.models import AuditEvent
from tests.accounts.test_invitations import NEW_PASSWORD, accept, link_from
from tests.conftest import login_with_mfa, reauthenticated
from tests.factories import PASSWORD, totp_code, totp_secret


def enrol_totp(visitor: Client) -> None:
    """The second factor, through allauth's real enrolment page."""
    secret = visitor.get("/accounts/2fa/totp/activate/").context["form"].secret
    response = visitor.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response["Location"] == "/accounts/2fa/recovery-codes/"


def invite_as(admin_client: Client, username: str, role: str) -> str:
    response = reauthenticated(admin_client).post("/people/invite/", {"username": username, "role": role})
    return link_from(admin_client, response)


def actions(username: str) -> list[str]:
    events = AuditEvent.objects.filter(object_ref=username).order_by("seq")
    return list(events.values_list("action", flat=True))


@pytest.fixture
def bob(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.ADMIN, username="bob")


@pytest.fixture
def bob_client(client_for, bob) -> Client:  # type: ignore[no-untyped-def]
    return reauthenticated(client_for(bob))


# allauth announces a new authenticator on commit: a real transaction lets the
# enrolled session count as two-factor, as in a browser.
@pytest.mark.django_db(transaction=True)
def test_an_admin_who_enrols_their_own_supervisor_invitation_reaches_nothing_until_a_second_admin_approves(
    admin_client, admin, bob_client, case
):
    token = invite_as(admin_client, "sam", "supervisor")
    # Alice keeps the link and enrols it herself, in another browser: password and second factor.
    visitor = Client()
    assert accept(visitor, token).status_code == 302
    enrol_totp(visitor)
    sam = User.objects.get(username="sam")
    assert sam.role == User.Role.NONE
    home = visitor.get("/")
    assert home.status_code == 200 and "a second administrator approves it" in home.content.decode()
    assert visitor.get("/cases/").status_code == 403
    reveal = visitor.post(f"/cases/{case.code}/reveal/", {"reason": "checking the file"})
    assert reveal.status_code == 403 and case.full_name not in reveal.content.decode()

    asked = RoleRequest.objects.get()
    assert (asked.user, asked.requested_by, asked.to_role, asked.invitation.accepted_at is not None) == (
        sam,
        admin,
        User.Role.SUPERVISOR,
        True,
    )
    # Alice cannot approve her own request: not through the service, not with a forged POST.
    with pytest.raises(PermissionDenied):
        services.decide_role_request(role_request=asked, by=admin, approve=True)
    response = admin_client.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"}, follow=True)
    assert "Another administrator must decide" in response.content.decode()
    sam.refresh_from_db()
    assert sam.role == User.Role.NONE and RoleRequest.objects.open().count() == 1
    # Nor by writing the decision into the database past the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.filter(pk=asked.pk).update(decided_by=admin, decided_at=timezone.now(), approved=True)

    # Bob sees the account that enrolled, and approves it: now it works.
    page = bob_client.get(f"/people/approvals/{asked.pk}/").content.decode()
    assert "sam" in page and "alice" in page and "Enrolled with the invitation at" in page
    bob_client.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"})
    sam.refresh_from_db()
    assert sam.role == User.Role.SUPERVISOR
    assert visitor.get("/cases/").status_code == 200
    reveal = visitor.post(f"/cases/{case.code}/reveal/", {"reason": "checking the file"})
    assert reveal.status_code == 200 and case.full_name in reveal.content.decode()
    assert actions("sam")[:4] == [
        "accounts.invitation.sent",
        "accounts.invitation.accepted",
        "accounts.role.requested",
        "accounts.login",
    ]
    approved = AuditEvent.objects.get(action="accounts.role.approved")
    assert approved.actor_username == "bob" and approved.reason == "change_role: none -> supervisor, asked by alice"


def test_inviting_a_supervisor_asks_for_the_password_again_but_a_donor_does_not(admin_client):
    response = admin_client.post("/people/invite/", {"username": "sam", "role": "supervisor"})
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not Invitation.objects.exists()
    response = admin_client.post("/people/invite/", {"username": "dana", "role": "donor"})
    assert response["Location"] == "/people/invitation-link/"


def test_an_invited_caseworker_gets_the_role_at_once(admin, client):
    _invitation, token = services.invite_user(by=admin, username="cas", email="", role="caseworker")
    accept(client, token)
    assert User.objects.get(username="cas").role == User.Role.CASEWORKER
    assert not RoleRequest.objects.exists()


def test_no_one_can_be_invited_to_no_role(admin_client):
    response = reauthenticated(admin_client).post("/people/invite/", {"username": "nil", "role": "none"})
    assert response.status_code == 200 and not Invitation.objects.exists()


def test_an_account_without_a_second_factor_is_not_approved(admin, bob):
    _invitation, token = services.invite_user(by=admin, username="sam", email="", role="supervisor")
    services.accept_invitation(token=token, password=NEW_PASSWORD)
    asked = RoleRequest.objects.get()
    with pytest.raises(ValidationError, match="not set up two-factor"):
        services.decide_role_request(role_request=asked, by=bob, approve=True)
    assert User.objects.get(username="sam").role == User.Role.NONE


def test_a_new_enrolment_withdraws_the_request_made_for_the_earlier_one(admin, bob, make_user):
    """The real sam enrols; before bob approves, alice resets the account and enrols it herself."""
    _invitation, token = services.invite_user(by=admin, username="sam", email="", role="supervisor")
    sam = services.accept_invitation(token=token, password=NEW_PASSWORD)
    first = RoleRequest.objects.get()
    _invitation, token = services.reinvite_user(by=admin, user=sam)
    services.accept_invitation(token=token, password="another long passphrase 7")
    first.refresh_from_db()
    assert first.decided_at is not None and first.approved is False and first.decided_by is None
    second = RoleRequest.objects.open().get()
    assert (second.user, second.to_role, second.from_role) == (sam, User.Role.SUPERVISOR, User.Role.NONE)
    services.decide_role_request(role_request=first, by=bob, approve=True)  # decided already: nothing happens
    assert User.objects.get(username="sam").role == User.Role.NONE
    assert "accounts.role.withdrawn" in actions("sam")


def test_resetting_a_supervisor_takes_the_role_away_until_a_second_admin_approves(admin, bob, supervisor):
    _invitation, token = services.reinvite_user(by=admin, user=supervisor)
    services.accept_invitation(token=token, password=NEW_PASSWORD)
    supervisor.refresh_from_db()
    assert supervisor.role == User.Role.NONE
    assert RoleRequest.objects.open().get().to_role == User.Role.SUPERVISOR


def test_raising_a_role_to_supervisor_only_asks(admin_client, caseworker, bob_client):
    response = reauthenticated(admin_client).post(
        f"/people/{caseworker.username}/role/", {"role": "supervisor"}, follow=True
    )
    assert "another administrator must approve" in response.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.CASEWORKER
    asked = RoleRequest.objects.get()
    assert (asked.from_role, asked.to_role) == (User.Role.CASEWORKER, User.Role.SUPERVISOR)
    assert f"/people/approvals/{asked.pk}/" in admin_client.get("/people/").content.decode()
    bob_client.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"})
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.SUPERVISOR


def test_lowering_a_supervisor_stays_one_persons_decision(admin, supervisor):
    assert services.change_role(by=admin, user=supervisor, role=User.Role.CASEWORKER) is None
    supervisor.refresh_from_db()
    assert supervisor.role == User.Role.CASEWORKER


def test_one_admin_demoting_another_only_asks_and_the_demoted_one_cannot_decide(admin, bob, make_user):
    carol = make_user(User.Role.ADMIN, username="carol")
    asked = services.change_role(by=admin, user=bob, role=User.Role.DONOR)
    assert asked is not None and User.objects.get(pk=bob.pk).role == User.Role.ADMIN
    with pytest.raises(PermissionDenied):
        services.decide_role_request(role_request=asked, by=bob, approve=False)
    services.decide_role_request(role_request=asked, by=carol, approve=True)
    assert User.objects.get(pk=bob.pk).role == User.Role.DONOR


def test_one_admin_deactivating_another_only_asks(admin_client, bob, make_user):
    bobs_browser = login_with_mfa(Client(), bob)
    response = reauthenticated(admin_client).post("/people/bob/deactivate/", follow=True)
    assert "another administrator must approve" in response.content.decode()
    bob.refresh_from_db()
    assert bob.is_active and bobs_browser.get("/people/").status_code == 200
    carol = make_user(User.Role.ADMIN, username="carol")
    services.decide_role_request(role_request=RoleRequest.objects.get(), by=carol, approve=True)
    bob.refresh_from_db()
    assert not bob.is_active


def test_declining_changes_nothing_and_is_audited(admin, bob, caseworker):
    asked = services.change_role(by=admin, user=caseworker, role=User.Role.ADMIN)
    assert asked is not None
    services.decide_role_request(role_request=asked, by=bob, approve=False)
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.CASEWORKER
    assert AuditEvent.objects.filter(action="accounts.role.declined", actor_username="bob").exists()


def test_an_approval_of_an_account_that_changed_since_is_refused(admin, bob, caseworker):
    asked = services.change_role(by=admin, user=caseworker, role=User.Role.SUPERVISOR)
    assert asked is not None
    services.change_role(by=admin, user=caseworker, role=User.Role.DONOR)
    with pytest.raises(ValidationError, match="changed since"):
        services.decide_role_request(role_request=asked, by=bob, approve=True)
    assert User.objects.get(pk=caseworker.pk).role == User.Role.DONOR


def test_asking_twice_asks_once_and_approving_twice_approves_once(admin, bob, caseworker):
    first = services.change_role(by=admin, user=caseworker, role=User.Role.SUPERVISOR)
    assert services.change_role(by=admin, user=caseworker, role=User.Role.SUPERVISOR) == first
    with pytest.raises(ValidationError, match="already waits"):
        services.change_role(by=admin, user=caseworker, role=User.Role.ADMIN)
    assert first is not None
    services.decide_role_request(role_request=first, by=bob, approve=True)
    services.decide_role_request(role_request=first, by=bob, approve=True)
    assert AuditEvent.objects.filter(action="accounts.role.approved").count() == 1


def test_only_an_administrator_asks_or_decides(admin, supervisor, caseworker):
    with pytest.raises(PermissionDenied):
        services.change_role(by=supervisor, user=caseworker, role=User.Role.SUPERVISOR)
    asked = services.change_role(by=admin, user=caseworker, role=User.Role.SUPERVISOR)
    assert asked is not None
    with pytest.raises(PermissionDenied):
        services.decide_role_request(role_request=asked, by=supervisor, approve=True)


def test_the_database_refuses_a_request_asked_by_or_decided_by_its_own_account(admin, bob, caseworker):
    common = {"action": RoleRequest.Action.CHANGE_ROLE, "from_role": "caseworker", "to_role": "supervisor"}
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=caseworker, requested_by=caseworker, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=bob, requested_by=admin, decided_by=bob, decided_at=timezone.now(), **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=caseworker, requested_by=admin, **{**common, "to_role": "none"})
    RoleRequest.objects.create(user=caseworker, requested_by=admin, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=caseworker, requested_by=bob, **common)  # one open request per account


def test_one_admin_suspends_another_at_once_and_two_lift_it(admin_client, admin, bob, make_user):
    bobs_browser = Client()
    bobs_browser.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    bobs_browser.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret(bob))})
    session_key = bobs_browser.session.session_key
    # No password asked again: a detained colleague's account is cut off without waiting.
    response = admin_client.post("/people/bob/suspend/", follow=True)
    assert "suspended and signed out everywhere" in response.content.decode()
    bob.refresh_from_db()
    assert not bob.is_active and bob.is_suspended and bob.role == User.Role.ADMIN
    assert not Session.objects.filter(session_key=session_key).exists()
    assert bobs_browser.get("/people/")["Location"].startswith("/accounts/login/")
    with pytest.raises(ValidationError, match="suspended"):
        services.reinvite_user(by=admin, user=bob)

    reauthenticated(admin_client).post("/people/bob/lift-suspension/")
    asked = RoleRequest.objects.get()
    assert asked.action == RoleRequest.Action.LIFT_SUSPENSION
    with pytest.raises(PermissionDenied):
        services.decide_role_request(role_request=asked, by=admin, approve=True)
    carol = reauthenticated(login_with_mfa(Client(), make_user(User.Role.ADMIN, username="carol")))
    carol.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"})
    bob.refresh_from_db()
    assert bob.is_active and not bob.is_suspended and bob.role == User.Role.ADMIN
    assert actions("bob")[-3:] == ["accounts.user.suspended", "accounts.role.requested", "accounts.role.approved"]


def test_the_server_invitation_is_the_audited_recovery_path(db, make_user):
    """With no second administrator, the operator's invite command grants the role at enrolment."""
    _invitation, token = services.invite_from_server(username="root", role=User.Role.SUPERVISOR)
    services.accept_invitation(token=token, password=NEW_PASSWORD)
    assert User.objects.get(username="root").role == User.Role.SUPERVISOR
    assert not RoleRequest.objects.exists()
    event = AuditEvent.objects.get(action="accounts.role.granted_from_server")
    assert event.actor is None and event.reason == "new account -> supervisor (server invitation)"


def test_the_server_invitation_lifts_a_suspension(admin, bob):
    services.suspend_user(by=admin, user=bob)
    _invitation, token = services.invite_from_server(username="bob", role=User.Role.ADMIN)
    services.accept_invitation(token=token, password=NEW_PASSWORD)
    bob.refresh_from_db()
    assert bob.is_active and not bob.is_suspended


# allauth announces a new authenticator on commit: see the first test.
@pytest.mark.django_db(transaction=True)
def test_an_admin_who_resets_a_caseworker_and_enrols_the_link_reaches_none_of_their_cases(
    admin_client, admin, bob_client, caseworker, case
):
    """A reset hands the account to whoever holds the link: it comes back with no role until bob approves."""
    response = reauthenticated(admin_client).post(f"/people/{caseworker.username}/reinvite/")
    token = link_from(admin_client, response)
    visitor = Client()
    assert accept(visitor, token).status_code == 302
    enrol_totp(visitor)
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.NONE
    assert visitor.get("/cases/").status_code == 403
    reveal = visitor.post(f"/cases/{case.code}/reveal/", {"reason": "checking the file"})
    assert reveal.status_code == 403 and case.full_name not in reveal.content.decode()
    asked = RoleRequest.objects.get()
    assert (asked.requested_by, asked.to_role) == (admin, User.Role.CASEWORKER)
    bob_client.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"})
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.CASEWORKER
    assert visitor.get(f"/cases/{case.code}/").status_code == 200


@pytest.mark.parametrize("role", ["caseworker", "debriefer", "supervisor", "admin"])
def test_resetting_any_account_that_reaches_case_content_waits_for_a_second_admin(admin, make_user, client, role):
    person = make_user(role, username="pat")
    _invitation, token = services.reinvite_user(by=admin, user=person)
    accept(client, token)
    person.refresh_from_db()
    assert person.role == User.Role.NONE
    assert RoleRequest.objects.open().get().to_role == role


@pytest.mark.parametrize("role", ["donor", "auditor"])
def test_resetting_a_donor_or_auditor_stays_one_persons_decision(admin, make_user, client, role):
    person = make_user(role, username="pat")
    _invitation, token = services.reinvite_user(by=admin, user=person)
    accept(client, token)
    person.refresh_from_db()
    assert person.role == role and not RoleRequest.objects.exists()


@pytest.mark.parametrize(
    ("old", "new", "takes_two"),
    [
        ("donor", "caseworker", True),  # a former caseworker may still hold cases
        ("auditor", "debriefer", True),
        ("caseworker", "debriefer", False),
        ("debriefer", "caseworker", False),
        ("caseworker", "donor", False),
        ("caseworker", "supervisor", True),
    ],
)
def test_giving_case_content_to_an_account_without_it_asks(admin, make_user, old, new, takes_two):
    person = make_user(old, username="pat")
    asked = services.change_role(by=admin, user=person, role=new)
    person.refresh_from_db()
    assert (asked is not None, person.role) == (takes_two, old if takes_two else new)


def test_a_suspended_account_is_not_deactivated_so_one_admin_cannot_then_reset_it(admin, caseworker):
    """Deactivating cleared the suspension and a deactivated account could be reset by one administrator."""
    services.suspend_user(by=admin, user=caseworker)
    with pytest.raises(ValidationError):
        services.deactivate_user(by=admin, user=caseworker)
    caseworker.refresh_from_db()
    assert caseworker.is_suspended
    with pytest.raises(ValidationError):
        services.reinvite_user(by=admin, user=caseworker)


def test_the_asker_withdraws_a_request_no_one_else_can_decide(admin_client, admin, make_user):
    """Two administrators: one asks to demote the other, whom no one but a third could approve."""
    other = make_user(User.Role.ADMIN, username="dora")
    asked = services.change_role(by=admin, user=other, role="caseworker")
    page = admin_client.get(f"/people/approvals/{asked.pk}/").content.decode()
    assert "No other active administrator can decide it" in page and "Withdraw the request" in page
    other_client = login_with_mfa(Client(), other)
    assert "Withdraw the request" not in other_client.get(f"/people/approvals/{asked.pk}/").content.decode()
    other_client.post(f"/people/approvals/{asked.pk}/withdraw/")  # forged: not the asker
    assert RoleRequest.objects.open().count() == 1
    admin_client.post(f"/people/approvals/{asked.pk}/withdraw/")
    admin_client.post(f"/people/approvals/{asked.pk}/withdraw/")  # a double submit
    assert not RoleRequest.objects.open().exists()
    other.refresh_from_db()
    assert other.role == User.Role.ADMIN
    assert AuditEvent.objects.filter(action="accounts.role.withdrawn", actor_username=admin.username).count() == 1


def test_a_decision_after_another_admins_says_it_was_already_decided(admin, bob_client, make_user, caseworker):
    carol = reauthenticated(login_with_mfa(Client(), make_user(User.Role.ADMIN, username="carol")))
    asked = services.change_role(by=admin, user=caseworker, role="supervisor")
    bob_client.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "decline"})
    response = carol.post(f"/people/approvals/{asked.pk}/decide/", {"decision": "approve"}, follow=True)
    page = response.content.decode()
    assert "This request was already decided: nothing was changed now." in page
    assert "Approved: it takes effect now." not in page
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.CASEWORKER


def test_a_role_change_acts_on_the_account_as_it_is_now_not_a_stale_copy(admin, bob, make_user, caseworker):
    """bob approved caseworker -> supervisor; alice, holding a copy from before, cannot act on the old role."""
    stale = User.objects.get(pk=caseworker.pk)
    asked = services.change_role(by=admin, user=caseworker, role="supervisor")
    services.decide_role_request(role_request=asked, by=bob, approve=True)
    # Lowering a supervisor is one person's decision, but it is judged on the supervisor, not the stale caseworker.
    services.change_role(by=admin, user=stale, role="donor")
    caseworker.refresh_from_db()
    assert caseworker.role == User.Role.DONOR
    event = AuditEvent.objects.filter(action="accounts.user.role_changed").latest("seq")
    assert event.reason == "supervisor -> donor"


def test_a_reset_link_made_before_a_role_raise_enrols_nothing(admin, bob, make_user, client):
    """alice resets an auditor (one person's decision), then asks to make it a caseworker; bob approves
    the role change: alice's old link no longer opens the account."""
    auditor = make_user(User.Role.AUDITOR, username="aud2")
    _invitation, token = services.reinvite_user(by=admin, user=auditor)
    asked = services.change_role(by=admin, user=auditor, role="caseworker")
    services.decide_role_request(role_request=asked, by=bob, approve=True)
    with pytest.raises(ValidationError):
        services.accept_invitation(token=token, password=NEW_PASSWORD)
    auditor.refresh_from_db()
    assert auditor.role == User.Role.CASEWORKER and auditor.check_password(PASSWORD)


def test_a_reset_of_an_account_raised_since_waits_for_its_role_now(admin, make_user):
    """Even a link still open when the account's role reached case content asks for that role again."""
    person = make_user(User.Role.DONOR, username="pat")
    _invitation, token = services.reinvite_user(by=admin, user=person)
    User.objects.filter(pk=person.pk).update(role=User.Role.CASEWORKER)  # as by any path that kept the link
    services.accept_invitation(token=token, password=NEW_PASSWORD)
    person.refresh_from_db()
    assert person.role == User.Role.NONE
    assert RoleRequest.objects.open().get().to_role == User.Role.CASEWORKER


def test_changing_a_role_at_once_revokes_the_accounts_open_links(admin, make_user):
    person = make_user(User.Role.CASEWORKER, username="pat")
    invitation, _token = services.reinvite_user(by=admin, user=person)
    services.change_role(by=admin, user=person, role="debriefer")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
