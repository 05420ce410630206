"""/readyz, /healthz and manage.py health: the truth, one word for anyone, the detail for the operator.

The same with real processes and dependencies stopped: test_dependencies_down.py.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.db.utils import OperationalError
from django.test import RequestFactory
from django.utils import timezone

from health import checks, heartbeats
from health.views import server_error

TOKEN = "operator-token-for-tests-0123456789abcdef"
pytestmark = pytest.mark.django_db


@pytest.fixture
def token(settings):  # type: ignore[no-untyped-def]
    settings.HAVEN_HEALTH_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def beat_all(at=None) -> None:  # type: ignore[no-untyped-def]
    for name in heartbeats.PARTS:
        heartbeats.record(name, at=at)


def test_readyz_says_ok_and_nothing_else_to_anyone(client):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_is_unavailable_while_no_worker_has_ever_beaten(client, token):
    anonymous = client.get("/healthz")
    assert (anonymous.status_code, anonymous.content) == (503, b"unavailable\n")
    assert anonymous["Retry-After"]
    detail = client.get("/healthz", **token).content.decode()
    assert "worker late never" in detail and "beat late never" in detail
    assert "database ok" in detail


def test_healthz_is_ok_when_every_part_beat_recently(client):
    beat_all()
    assert (client.get("/healthz").status_code, client.get("/healthz").content) == (200, b"ok\n")


def test_a_worker_that_stopped_beating_is_late(client, token):
    beat_all()
    heartbeats.record("worker", at=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz", **token)
    assert response.status_code == 503
    assert "worker late 5 min ago" in response.content.decode()
    # This process can still serve pages: the load balancer keeps sending them.
    assert client.get("/readyz").status_code == 200


def test_daily_runs_overdue_make_healthz_unavailable(client, token):
    beat_all()
    heartbeats.record("reminders", at=timezone.now() - timedelta(hours=30))
    response = client.get("/healthz", **token)
    assert response.status_code == 503
    assert "reminders late 30 h ago" in response.content.decode()


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN, f"Token {TOKEN}"],
)
def test_a_wrong_token_gets_the_anonymous_answer(client, token, authorization):
    beat_all()
    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)
    assert response.content == b"ok\n"


def test_the_token_in_the_url_gives_nothing(client, token):
    beat_all()
    assert client.get(f"/healthz?token={TOKEN}").content == b"ok\n"


def test_without_a_configured_token_no_one_gets_the_detail(client, settings):
    settings.HAVEN_HEALTH_TOKEN = ""
    beat_all()
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer ").content == b"ok\n"
    assert client.get("/healthz", HTTP_AUTHORIZATION="Bearer  ").content == b"ok\n"


def test_the_token_gives_one_line_per_check(client, token):
    beat_all()
    lines = client.get("/healthz", **token).content.decode().splitlines()
    assert lines[0] == "ok"
    assert [line.split()[:2] for line in lines[1:]] == [
        ["database", "ok"],
        ["cache", "ok"],
        ["keyring", "ok"],
        ["static", "ok"],
        ["broker", "ok"],
        ["worker", "ok"],
        ["beat", "ok"],
        ["reminders", "ok"],
        ["nightly-backup", "ok"],
    ]


def test_a_server_without_collected_static_files_is_not_ready(client, settings, tmp_path, token):
    """The manifest storage without collectstatic: every page would answer 500."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/readyz", **token)
    assert response.status_code == 503
    assert "static failing" in response.content.decode()


def test_a_server_with_collected_static_files_is_ready(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)
    assert client.get("/readyz").status_code == 200


def test_a_keyring_that_is_not_loaded_fails(client, settings, token):
    from vault.keyring import Keyring

    settings.KEYRING = Keyring(keks={}, blind_index_key=b"", audit_key=b"")
    response = client.get("/readyz", **token)
    assert response.status_code == 503
    assert "keyring failing not loaded" in response.content.decode()


def test_a_check_that_raises_is_failing_with_the_class_only(monkeypatch):
    class Boom:
        def set(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("redis.internal:6379 refused, password hunter2")

    monkeypatch.setattr("django.core.cache.cache", Boom())
    result = checks.cache()
    assert result == checks.Result("cache", "failing", "ConnectionError")


def test_the_command_prints_one_line_per_check_and_exits_1_when_one_fails():
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("health", stdout=out)
    assert exit_.value.code == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 9 and "worker late never" in lines


def test_the_command_exits_0_when_all_are_well():
    beat_all()
    out = StringIO()
    call_command("health", stdout=out)
    assert out.getvalue().count(" ok") == 9


def test_the_command_ready_checks_only_this_process():
    out = StringIO()
    call_command("health", "--ready", stdout=out)
    assert [line.split()[0] for line in out.getvalue().splitlines()] == ["database", "cache", "keyring", "static"]


def test_the_500_handler_gives_the_plain_page_for_any_other_fault():
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("Ko Sentinel Faultname")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"Ko Sentinel" not in response.content


def test_the_500_handler_answers_503_for_a_database_error_without_touching_the_database(
    django_assert_max_num_queries,
):
    request = RequestFactory().post("/cases/new/", HTTP_ACCEPT_LANGUAGE="my")
    try:
        try:
            raise psycopg.OperationalError("connection to server at 10.0.0.5 failed")
        except psycopg.OperationalError as inner:
            raise OperationalError("connection to server at 10.0.0.5 failed") from inner
    except OperationalError:
        with django_assert_max_num_queries(0):
            response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Language"] == "my"
    assert b"10.0.0.5" not in response.content
    assert sys.exc_info() == (None, None, None)


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_the_checks_are_not_redirected_to_https(client, settings, path):
    """A load balancer probes over plain HTTP inside the network."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(path).status_code in (200, 503)
    assert client.get("/accounts/login/").status_code == 301


def test_the_500_page_for_a_fault_touches_no_database(django_assert_max_num_queries):
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        with django_assert_max_num_queries(0):
            assert server_error(request).status_code == 500


def test_a_postgresql_that_hangs_fails_the_database_check_within_seconds():
    """A stopped (SIGSTOP), not refused, server: the check gives up on its own, it does not wait forever."""
    import os
    import signal
    import time
    from pathlib import Path

    import psycopg

    from tests.services import own_postgres

    with own_postgres() as pg:
        params = {"host": "127.0.0.1", "port": pg.port, "user": "postgres", "dbname": "postgres"}
        checks.postgres_answers(params)  # answers while it runs
        pid = int(Path(f"/var/lib/postgresql/{pg.version}/{pg.cluster}/postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError):
                checks.postgres_answers(params)
            assert time.monotonic() - started < checks.DATABASE_TIMEOUT + 3
        finally:
            os.kill(pid, signal.SIGCONT)
