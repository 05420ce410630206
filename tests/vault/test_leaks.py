"""Sentinel values written through the vault never appear in the clear anywhere we can look:
a pg_dump of the whole database (allauth's tables included), the logs, or Redis."""

from __future__ import annotations

import base64
import datetime
import logging
import subprocess

import pytest
import redis
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory, totp_code, totp_secret
from tests.vaultapp.models import Person, Relative, Shelter
from vault.models import Session
from vault.sessions import stored_key

SENTINELS = {
    "full_name": "Sentinel Kyaw 58213",
    "service_number": "SENTINEL-SN-58213",
    "narrative": "Sentinel narrative 58213: crossed at the checkpoint",
    "aliases": ["Sentinel Alias 58213"],
    "relative": "Sentinel Relative 58213",
    "shelter": "Sentinel Shelter 58213",
    "address": "Sentinel Street 58213",
}
BURMESE_SENTINEL = "စင်တီနယ်၅၈၂၁၃"
REASON_SENTINEL = "Sentinel shred command reason 58213"


def pg_dump() -> str:
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", db["NAME"]]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout


def redis_contents() -> bytes:
    found = b""
    for url in {settings.REDIS_URL, settings.CELERY_BROKER_URL}:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter():
            found += key + b"\n"
            kind = client.type(key)
            if kind == b"string":
                found += client.get(key) or b""
            elif kind == b"list":
                found += b"".join(client.lrange(key, 0, -1))
            elif kind == b"hash":
                found += b"".join(k + v for k, v in client.hgetall(key).items())
            elif kind == b"set":
                found += b"".join(client.smembers(key))
    return found


@pytest.mark.django_db(transaction=True)
def test_no_sentinel_reaches_the_database_dump_the_logs_or_redis(caplog):
    caplog.set_level(logging.DEBUG)
    person = Person.objects.create(
        code="HV-LEAK-CHECK",
        full_name=SENTINELS["full_name"],
        service_number=SENTINELS["service_number"],
        narrative=SENTINELS["narrative"] + " " + BURMESE_SENTINEL,
        aliases=SENTINELS["aliases"],
        date_of_birth=datetime.date(1917, 3, 14),
    )
    Relative.objects.create(person=person, name=SENTINELS["relative"])
    Shelter.objects.create(name=SENTINELS["shelter"], address=SENTINELS["address"])
    user = UserFactory(username="leakcheck")
    secret = totp_secret(user)
    seed_codes = RecoveryCodes.activate(user).get_unused_codes()

    # Use the system: a real login (rate-limit counters, used TOTP codes in Redis)
    # and reading every value back.
    client = Client()
    client.post("/accounts/login/", {"login": "leakcheck", "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/accounts/2fa/").status_code == 200
    loaded = Person.objects.get(pk=person.pk)
    assert loaded.full_name == SENTINELS["full_name"] and loaded.aliases == SENTINELS["aliases"]
    # A reason typed at the shred command is kept in the audit trail, sealed.
    call_command("shred", f"vaultapp.Person:{person.pk}", "--yes", "--reason", REASON_SENTINEL)
    assert AuditEvent.objects.get(action="vault.datakey.shredded").reason == REASON_SENTINEL

    dump = pg_dump()
    assert "HV-LEAK-CHECK" in dump  # the dump is real: plaintext columns are in it
    assert "vaultapp_person" in dump and "mfa_authenticator" in dump
    cache = redis_contents()
    assert cache  # the login left its traces in Redis
    secrets_in_clear = [
        SENTINELS["full_name"],
        SENTINELS["service_number"],
        SENTINELS["narrative"][:20],
        SENTINELS["relative"],
        SENTINELS["shelter"],
        SENTINELS["address"],
        "Sentinel Alias",
        BURMESE_SENTINEL,
        "1917-03-14",
        secret,
        *seed_codes[:3],
        REASON_SENTINEL,
    ]
    for value in secrets_in_clear:
        assert value not in dump, f"{value!r} is in the database dump"
        assert value not in caplog.text, f"{value!r} is in the logs"
        assert value.encode() not in cache, f"{value!r} is in Redis"


@pytest.mark.django_db(transaction=True)
def test_a_pending_totp_secret_is_not_readable_from_the_sessions_table():
    user = UserFactory(username="enrolling", totp=False)
    client = Client()
    client.post("/accounts/login/", {"login": "enrolling", "password": PASSWORD})
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()
    page = client.get("/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret  # shown to the person, kept in the session until activated
    assert len(secret) == 32 and user.pk
    stored = Session.objects.get(session_key=stored_key(client.session.session_key)).session_data
    assert stored.startswith("hv1:")
    decoded = base64.b64decode(stored[4:])
    assert secret.encode() not in decoded and b"account_authentication_methods" not in decoded
    assert secret not in pg_dump()
