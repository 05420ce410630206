"""Sessions are sealed with the organisation key and bound to their own session key."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_session_is_stored_sealed_and_still_works(client_for):
    client = client_for(UserFactory())
    assert client.get("/accounts/2fa/").status_code == 200
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.session_data.startswith("hv1:") and "_auth_user_id" not in row.session_data


def test_session_data_copied_to_another_session_does_not_open(client_for):
    victim = client_for(UserFactory())
    attacker = client_for(UserFactory())
    stolen = Session.objects.get(session_key=victim.session.session_key).session_data
    Session.objects.filter(session_key=attacker.session.session_key).update(session_data=stolen)
    assert attacker.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")


def test_tampered_session_data_is_an_empty_session_not_an_error(client_for):
    client = client_for(UserFactory())
    row = Session.objects.get(session_key=client.session.session_key)
    Session.objects.filter(pk=row.pk).update(session_data=row.session_data[:-8] + "AAAAAAAA")
    response = client.get("/accounts/2fa/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
