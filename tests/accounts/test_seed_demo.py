from __future__ import annotations

import json

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from accounts.roles import GRANTABLE_ROLES


def test_it_is_refused_unless_debug_is_on(db, settings, tmp_path):
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_it_creates_one_user_per_role_with_totp_and_is_idempotent(db, settings, tmp_path):
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    first = json.loads((tmp_path / "demo-credentials.json").read_text())
    call_command("seed_demo")
    second = json.loads((tmp_path / "demo-credentials.json").read_text())
    assert first == second
    assert sorted(first) == sorted(role.value for role in GRANTABLE_ROLES)
    assert User.objects.count() == 6
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 6
    for role, entry in first.items():
        user = User.objects.get(username=entry["username"])
        assert user.role == role and user.is_active
        assert user.check_password(entry["password"])
        assert len(entry["totp_secret"]) == 32
    assert oct((tmp_path / "demo-credentials.json").stat().st_mode & 0o777) == "0o600"


def test_the_demo_credentials_log_in(client, db, settings, tmp_path):
    from tests.factories import totp_code

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    call_command("seed_demo")
    entry = json.loads((tmp_path / "demo-credentials.json").read_text())["caseworker"]
    client.post("/accounts/login/", {"login": entry["username"], "password": entry["password"]})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(entry["totp_secret"])})
    assert client.get("/accounts/2fa/").status_code == 200
