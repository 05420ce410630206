from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from accounts.receivers import LOGIN_AT_SESSION_KEY
from defectors.models import Case
from tests.factories import CaseFactory, UserFactory

# Worlds that tests in several folders build (the reporting world: donor reports and their browser journey).
pytest_plugins = ["tests.reporting.world"]


@pytest.fixture(autouse=True)
def _test_settings(settings):  # type: ignore[no-untyped-def]
    # Static files are served unhashed in tests (no collectstatic); a fast
    # hasher keeps hundreds of logins quick. test_settings.py checks the real ones.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _flush_past_the_audit_triggers() -> Iterator[None]:
    """Transactional tests end with Django's flush, a TRUNCATE of every table, which the
    audit table refuses (audit/migrations/0003). The flush alone runs with
    session_replication_role = replica (the test database's superuser may set it),
    so production keeps a trigger without any switch."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):  # type: ignore[no-untyped-def]
        statements = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET LOCAL session_replication_role = replica", *statements] if statements else statements

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    # The cache is the real, shared Redis: rate-limit counters and used TOTP
    # codes must not leak from one test into the next.
    cache.clear()


def login_with_mfa(client: Client, user: User) -> Client:
    """A session that has passed both factors, without spending a TOTP code.

    Tests of the login itself go through the real forms (test_login.py).
    """
    client.force_login(user)
    session = client.session
    now = time.time()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "username": user.username},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session[LOGIN_AT_SESSION_KEY] = now
    session.save()
    return client


def reauthenticated(client: Client) -> Client:
    """As just after confirming the password on allauth's reauthentication page (sensitive actions ask for it)."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY].append(
        {"method": "password", "at": time.time(), "reauthenticated": True}
    )
    session.save()
    return client


@pytest.fixture
def make_user(db) -> Callable[..., User]:  # type: ignore[no-untyped-def]
    def make(role: str = User.Role.CASEWORKER, **kwargs: object) -> User:
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def client_for(db) -> Callable[[User], Client]:  # type: ignore[no-untyped-def]
    def make(user: User) -> Client:
        return login_with_mfa(Client(), user)

    return make


# The personas, defined once (STYLE.md, Tests). Each test file uses these rather
# than making its own; make_user remains for a one-off extra person.


@pytest.fixture
def admin(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.ADMIN, username="alice")


@pytest.fixture
def supervisor(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.SUPERVISOR, username="sam")


@pytest.fixture
def caseworker(make_user) -> User:  # type: ignore[no-untyped-def]
    """The caseworker assigned to ``case``."""
    return make_user(User.Role.CASEWORKER, username="cora")


@pytest.fixture
def outsider(make_user) -> User:  # type: ignore[no-untyped-def]
    """A caseworker with no assignment: every case page must answer 404, as for a case that does not exist."""
    return make_user(User.Role.CASEWORKER, username="otto")


@pytest.fixture
def debriefer(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.DEBRIEFER, username="dara")


@pytest.fixture
def outsider_debriefer(make_user) -> User:  # type: ignore[no-untyped-def]
    """A debriefer with no session: every debrief page must answer 404, as for one that does not exist."""
    return make_user(User.Role.DEBRIEFER, username="odile")


@pytest.fixture
def donor(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.DONOR, username="dan")


@pytest.fixture
def auditor(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.AUDITOR, username="audrey")


@pytest.fixture
def case(caseworker) -> Case:  # type: ignore[no-untyped-def]
    """An active case assigned to ``caseworker``, with sentinel identifying values."""
    return CaseFactory(created_by=caseworker, full_name="Ko Secret Name", service_number="BA-424242")


@pytest.fixture
def admin_client(client_for, admin) -> Client:  # type: ignore[no-untyped-def]
    return client_for(admin)


@pytest.fixture
def sup(client_for, supervisor) -> Client:  # type: ignore[no-untyped-def]
    """The supervisor, logged in."""
    return client_for(supervisor)


@pytest.fixture
def cw(client_for, caseworker) -> Client:  # type: ignore[no-untyped-def]
    """The assigned caseworker, logged in."""
    return client_for(caseworker)


@pytest.fixture
def auditor_client(client_for, auditor) -> Client:  # type: ignore[no-untyped-def]
    return client_for(auditor)


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings, tmp_path):  # type: ignore[no-untyped-def]
    # Each test anchors its own chain: checkpoints go to a file of its own.
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
