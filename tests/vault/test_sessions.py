"""Sessions are stored under a keyed hash of their key, sealed with the organisation key and bound to the key."""

from __future__ import annotations

import hashlib
import importlib
import secrets

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.factories import UserFactory
from vault import tokens
from vault.keyring import Keyring
from vault.models import Session
from vault.sessions import stored_key

pytestmark = pytest.mark.django_db


def cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_signed_in_session_is_stored_sealed_and_still_works(client_for):
    user = UserFactory()
    client = client_for(user)
    assert client.get("/accounts/2fa/").status_code == 200
    row = Session.objects.get(session_key=stored_key(cookie(client)))
    assert row.session_data.startswith("hv1:") and "_auth_user_id" not in row.session_data
    assert row.user_id == user.pk


def test_no_column_of_the_session_table_holds_the_key(client_for):
    client = client_for(UserFactory())
    client.get("/accounts/2fa/")
    key = cookie(client)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {Session._meta.db_table} t")  # every column of every row
        rows = " ".join(row[0] for row in cursor.fetchall())
    assert key not in rows and stored_key(key) in rows


def test_the_stored_key_sent_as_a_cookie_opens_nothing(client_for):
    client = client_for(UserFactory())
    stored = Session.objects.get(session_key=stored_key(cookie(client))).session_key
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stored
    response = thief.get("/accounts/2fa/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    thief.cookies[settings.SESSION_COOKIE_NAME] = stored[:32]  # cut to the length of a real key
    assert not thief.get("/accounts/2fa/").wsgi_request.user.is_authenticated


def test_the_hash_is_keyed_and_separate_per_purpose(db):
    key = secrets.token_hex(16)
    assert stored_key(key) != hashlib.sha256(key.encode()).hexdigest()
    assert stored_key(key) != tokens.keyed_hash(tokens.INVITATION, key)
    assert len(stored_key(key)) == 64


def test_adding_a_key_encryption_key_signs_no_one_out(client_for, settings):
    client = client_for(UserFactory())
    old = settings.KEYRING
    settings.KEYRING = Keyring(
        keks={"k-new": secrets.token_bytes(32), **old.keks},
        blind_index_key=old.blind_index_key,
        audit_key=old.audit_key,
        signing_key=old.signing_key,
    )
    assert client.get("/accounts/2fa/").status_code == 200


def test_session_data_copied_to_another_session_does_not_open(client_for):
    victim = client_for(UserFactory())
    attacker = client_for(UserFactory())
    stolen = Session.objects.get(session_key=stored_key(cookie(victim))).session_data
    Session.objects.filter(session_key=stored_key(cookie(attacker))).update(session_data=stolen)
    assert attacker.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")


def test_tampered_session_data_is_an_empty_session_not_an_error(client_for):
    client = client_for(UserFactory())
    row = Session.objects.get(session_key=stored_key(cookie(client)))
    Session.objects.filter(pk=row.pk).update(session_data=row.session_data[:-8] + "AAAAAAAA")
    response = client.get("/accounts/2fa/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_upgrade_ends_every_session_stored_under_a_raw_key(db):
    """vault 0002: Django's and allauth.usersessions' rows held raw keys; they are gone, and so is allauth's table."""
    upgrade = importlib.import_module("vault.migrations.0002_session_under_keyed_hash")
    raw = secrets.token_hex(16)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO django_session VALUES (%s, 'data', now() + interval '1 hour')", [raw])
        cursor.execute("CREATE TABLE usersessions_usersession (id serial PRIMARY KEY, session_key varchar(40))")
        cursor.execute("INSERT INTO usersessions_usersession (session_key) VALUES (%s)", [raw])
    with connection.schema_editor() as editor:
        upgrade.end_sessions_stored_under_raw_keys(apps, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone()[0] == 0
    assert "usersessions_usersession" not in connection.introspection.table_names()
