"""PostgreSQL and Redis stopped under a real server: 503 pages that say which, honest health checks.

A gunicorn process (debug off, static files collected) runs on a PostgreSQL cluster and a
Redis server of the test's own (tests/services.py); the test stops and starts them and
reads what the server answers and what it logs.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.services import OwnPostgres, OwnRedis, free_port, own_postgres, own_redis, wait_for_port

TOKEN = "health-token-for-tests-only-0123456789abcdef"
SESSION_COOKIE = "__Host-haven-session"
CSRF_COOKIE = "__Host-haven-csrf"
# A well-formed session key: the session middleware looks it up in the database.
SOME_SESSION_KEY = "abcdefgh12345678abcdefgh12345678"
MARK = "Unavailable (503)"


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: str


@dataclass
class Server:
    port: int
    log: Path
    pg: OwnPostgres
    redis: OwnRedis

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, body: str = "") -> Answer:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body or None, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        answer = Answer(response.status, response.headers, response.read().decode())
        conn.close()
        return answer

    def log_lines(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.strip()]


def _env(pg: OwnPostgres, redis: OwnRedis, var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "HAVEN_VAR_DIR": str(var),
        "DATABASE_URL": pg.url("haven"),
        "REDIS_URL": redis.url(1),
        "CELERY_BROKER_URL": redis.url(0),
        "HAVEN_HEALTH_TOKEN": TOKEN,
        "HAVEN_KEYRING_FILE": str(Path(os.environ["HAVEN_KEYRING_FILE"]).resolve()),
        "HAVEN_EXTRA_APPS": "",
        "HAVEN_AUDIT_CHECKPOINT_FILE": str(var / "audit-checkpoints.jsonl"),
    }


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("deps")
    with own_postgres() as pg, own_redis(tmp / "redis") as redis:
        pg.createdb("haven")
        env = _env(pg, redis, tmp / "var")
        for step in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
            done = _manage(env, *step)
            assert done.returncode == 0, done.stderr
        port = free_port()
        log = tmp / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "2",
                    "--no-control-socket",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_for_port(port, up=True, timeout=60)
                yield Server(port=port, log=log, pg=pg, redis=redis)
            finally:
                process.terminate()
                process.wait(timeout=30)


def _csrf(server: Server) -> str:
    """A CSRF cookie from the login page (while everything is up)."""
    answer = server.request("GET", "/accounts/login/")
    assert answer.status == 200, answer.body
    cookie = SimpleCookie()
    for header in answer.headers.get_all("Set-Cookie") or []:
        cookie.load(header)
    return cookie[CSRF_COOKIE].value


def _login_post(server: Server, csrf: str, **headers: str) -> Answer:
    body = urlencode({"csrfmiddlewaretoken": csrf, "login": "someone", "password": "not-the-password-0000"})
    return server.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{CSRF_COOKIE}={csrf}",
            **headers,
        },
    )


def _assert_unavailable(answer: Answer, part: str, language: str = "en") -> None:
    assert answer.status == 503, answer.body
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.headers["Content-Language"] == language
    assert f'<html lang="{language}">' in answer.body
    if language == "en":
        assert f"Haven cannot reach {part} just now." in answer.body
    assert "Traceback" not in answer.body and "127.0.0.1" not in answer.body


def _new_lines(server: Server, before: int) -> list[str]:
    return server.log_lines()[before:]


def _wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)


def _record_heartbeats(pg: OwnPostgres) -> None:
    pg.psql(
        "INSERT INTO health_heartbeat (name, at, since) SELECT part, now(), now() "
        "FROM unnest(ARRAY['worker', 'beat', 'reminders', 'nightly-backup']) AS part "
        "ON CONFLICT (name) DO UPDATE SET at = excluded.at",
        database="haven",
    )


def test_database_down_pages_answer_503_naming_it_and_come_back_without_a_restart(server):
    csrf = _csrf(server)
    before = len(server.log_lines())
    server.pg.stop()
    try:
        # A view that queries (the login form checks the account): the middleware's path.
        posted = _login_post(server, csrf)
        _assert_unavailable(posted, "the database")
        assert "What you sent was not saved." in posted.body
        # A page whose session is looked up before any view: the 500 handler's path.
        cookie = {"Cookie": f"{SESSION_COOKIE}={SOME_SESSION_KEY}"}
        page = server.request("GET", "/", headers=cookie)
        _assert_unavailable(page, "the database")
        assert "saved" not in page.body
        # A form sent by someone signed in (the debrief's autosave too): the session fails first.
        signed_in_post = _login_post(server, csrf, Cookie=f"{CSRF_COOKIE}={csrf}; {SESSION_COOKIE}={SOME_SESSION_KEY}")
        _assert_unavailable(signed_in_post, "the database")
        assert "What you sent was not saved." in signed_in_post.body
        burmese = server.request("GET", "/", headers={**cookie, "Accept-Language": "my"})
        _assert_unavailable(burmese, "the database", language="my")
        posted_in_burmese = _login_post(server, csrf, **{"Accept-Language": "my,en;q=0.5"})
        _assert_unavailable(posted_in_burmese, "the database", language="my")
        # The language cookie wins over Accept-Language, as on every other page.
        chosen = server.request(
            "GET", "/", headers={"Cookie": f"{SESSION_COOKIE}={SOME_SESSION_KEY}; django_language=my"}
        )
        _assert_unavailable(chosen, "the database", language="my")
        # A fetch caller that asks for JSON gets JSON.
        as_json = _login_post(server, csrf, Accept="application/json")
        assert as_json.status == 503 and as_json.headers["Retry-After"]
        assert as_json.headers["Content-Type"] == "application/json"
        assert '"saved": false' in as_json.body
        assert server.request("GET", "/readyz").status == 503
        _wait_until(lambda: len(_new_lines(server, before)) >= 8)
        lines = _new_lines(server, before)
        # One line per request, a warning naming the part, and no traceback anywhere.
        unavailable = [line for line in lines if MARK in line]
        assert len(unavailable) == 7, lines
        assert all("WARNING" in line and "the database is unreachable" in line for line in unavailable)
        assert "Traceback" not in server.log.read_text()
        assert not [line for line in lines if MARK not in line and "health.checks" not in line], lines
    finally:
        server.pg.start()
    # Back without restarting the server.
    _wait_until(lambda: server.request("GET", "/accounts/login/").status == 200)
    assert server.request("GET", "/", headers={"Cookie": f"{SESSION_COOKIE}={SOME_SESSION_KEY}"}).status == 302
    assert server.request("GET", "/readyz").status == 200


def test_redis_down_login_answers_503_naming_the_cache_and_both_checks_say_unavailable(server):
    csrf = _csrf(server)
    _record_heartbeats(server.pg)
    assert server.request("GET", "/readyz").body == "ok\n"
    assert server.request("GET", "/healthz").body == "ok\n"
    before = len(server.log_lines())
    server.redis.stop()
    try:
        posted = _login_post(server, csrf)
        _assert_unavailable(posted, "the cache and task queue")
        assert "What you sent was not saved." in posted.body
        for path in ("/readyz", "/healthz"):
            answer = server.request("GET", path)
            assert (answer.status, answer.body) == (503, "unavailable\n"), path
            assert answer.headers["Retry-After"]
        detail = server.request("GET", "/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
        assert detail.status == 503
        assert "cache failing" in detail.body and "broker failing" in detail.body
        assert "database ok" in detail.body
        _wait_until(lambda: any(MARK in line for line in _new_lines(server, before)))
        unavailable = [line for line in _new_lines(server, before) if MARK in line]
        assert len(unavailable) == 1 and "cache/broker" in unavailable[0]
        assert "Traceback" not in server.log.read_text()
    finally:
        server.redis.start()
    _wait_until(lambda: server.request("GET", "/readyz").status == 200)
    assert server.request("GET", "/healthz").status == 200
    assert _login_post(server, _csrf(server)).status == 200  # the form again, "wrong password"


def test_health_detail_only_with_the_token(server):
    _record_heartbeats(server.pg)
    anonymous = server.request("GET", "/healthz")
    assert (anonymous.status, anonymous.body) == (200, "ok\n")
    for wrong in (f"Bearer {TOKEN[:-1]}x", "Bearer ", f"Basic {TOKEN}", TOKEN):
        answer = server.request("GET", "/healthz", headers={"Authorization": wrong})
        assert answer.body == "ok\n", wrong
    assert server.request("GET", f"/healthz?token={TOKEN}").body == "ok\n"
    detail = server.request("GET", "/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert detail.status == 200
    names = [line.split()[0] for line in detail.body.splitlines()[1:]]
    assert names == [
        "database",
        "cache",
        "keyring",
        "static",
        "broker",
        "worker",
        "beat",
        "reminders",
        "nightly-backup",
    ]
    ready = server.request("GET", "/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
    assert [line.split()[0] for line in ready.body.splitlines()[1:]] == ["database", "cache", "keyring", "static"]
