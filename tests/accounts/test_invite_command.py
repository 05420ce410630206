"""The first administrator, and recovery, come from an invitation issued on the server."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent

PASSWORD = "first light over the hills"


def issue(*args: str) -> str:
    out = StringIO()
    call_command("invite", *args, "--base-url", "https://haven.example.org", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    assert link.startswith("https://haven.example.org/invitation/#")
    return link.split("#", 1)[1]


def accept(client, token: str):  # type: ignore[no-untyped-def]
    return client.post("/invitation/", {"code": token, "password1": PASSWORD, "password2": PASSWORD})


def test_an_empty_installation_gets_its_first_administrator(client, db):
    response = accept(client, issue("root"))
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    user = User.objects.get(username="root")
    assert user.role == User.Role.ADMIN
    event = AuditEvent.objects.get(action="accounts.invitation.sent")
    assert event.actor is None and event.request_id == "command-line"


def test_a_locked_out_account_is_recovered_with_the_role_it_grants(db, make_user):
    user = make_user(User.Role.CASEWORKER, username="lin")
    accept(Client(), issue("lin", "--role", "admin"))
    user.refresh_from_db()
    assert user.role == User.Role.ADMIN and user.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="accounts.role.granted_from_server", object_ref="lin")
    assert event.actor is None and "caseworker -> admin (server invitation)" in event.reason


def test_an_open_server_invitation_shows_on_the_people_page(admin_client):
    issue("newadmin")
    assert "the server" in admin_client.get("/people/").content.decode()
