"""A fresh pg_dump, taken while people are signed in, holds no value that opens a session or an invitation.

Every run of 20 or more token characters in the dump (and every shorter-alphabet run inside it) is
sent as the session cookie and typed as an invitation code: none is let in. The values that do open
them (the browsers' cookies, the link just issued) are not in the dump at all.
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.services import find_open_invitation
from tests.accounts.test_login import full_login, password_step
from tests.factories import UserFactory, totp_secret
from tests.vault.test_leaks import pg_dump

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump sees only committed rows

RUNS = re.compile(r"[A-Za-z0-9_\-+/=.:]{20,}")
KEY_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")


def candidates(dump: str) -> set[str]:
    found = set(RUNS.findall(dump))
    for run in list(found):
        found.update(KEY_LIKE.findall(run))
    return found


def cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_no_value_in_a_dump_opens_a_session_or_an_invitation():
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    admin = UserFactory(role=User.Role.ADMIN, username="alice")
    pending = UserFactory(role=User.Role.CASEWORKER, username="cora")
    RecoveryCodes.activate(supervisor)

    working = Client()
    full_login(working, supervisor)
    assert working.get("/cases/").status_code == 200
    inviting = Client()
    full_login(inviting, admin)
    response = inviting.post("/people/invite/", {"username": "newcomer", "role": User.Role.CASEWORKER})
    link = inviting.get(response["Location"]).content.decode()
    token = re.search(r"/invitation/#([A-Za-z0-9_\-]+)", link).group(1)  # type: ignore[union-attr]
    halfway = Client()
    password_step(halfway, pending.username)  # password passed, second factor not yet

    started = time.monotonic()
    dump = pg_dump()
    secrets = {cookie(working), cookie(inviting), cookie(halfway), token, totp_secret(supervisor)}
    secrets.update(RecoveryCodes(Authenticator.objects.get(user=supervisor, type="recovery_codes")).get_unused_codes())
    assert not [secret for secret in secrets if secret in dump]

    tried = candidates(dump)
    assert len(tried) > 100  # hashes, sealed values, wrapped keys: the dump is not empty
    for value in tried:
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = value
        response = thief.get("/accounts/sessions/")
        assert not response.wsgi_request.user.is_authenticated, value
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), value
        assert find_open_invitation(value) is None, value
    print(f"tried {len(tried)} values from a {len(dump) // 1024} KB dump in {time.monotonic() - started:.1f} s")

    # The people themselves are still signed in, and the link still works.
    assert working.get("/accounts/sessions/").wsgi_request.user == supervisor
    assert find_open_invitation(token) is not None
