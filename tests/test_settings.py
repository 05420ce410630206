"""Settings come from the environment and fail loudly and briefly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import config.settings as real_settings
from config.settings import database_from_url

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-like-secret-key-0123456789",
    "DJANGO_ALLOWED_HOSTS": "haven.example.org",
    "HAVEN_KEYRING_FILE": str(ROOT / "var" / "test-keyring.json"),
}


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "HAVEN_VAR_DIR": "/tmp/haven-settings-test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "HAVEN_KEYRING_FILE"])
def test_without_debug_a_missing_secret_stops_start_up_with_one_line_naming_it(missing):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = run_manage(env, "check")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert missing in lines[0]


def test_check_deploy_is_clean_with_debug_off():
    result = run_manage(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_a_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(PRODUCTION["DJANGO_SECRET_KEY"] + "\n")
    env = {**PRODUCTION, "DJANGO_SECRET_KEY_FILE": str(secret_file)}
    del env["DJANGO_SECRET_KEY"]
    assert run_manage(env, "check").returncode == 0


def test_debug_is_off_unless_asked_for():
    result = run_manage(PRODUCTION, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_a_malformed_boolean_is_named():
    result = run_manage({**PRODUCTION, "DJANGO_DEBUG": "maybe"}, "check")
    assert result.returncode == 1
    assert "DJANGO_DEBUG" in result.stderr


def test_passwords_are_hashed_with_argon2_first():
    assert real_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_need_twelve_characters():
    minimum = next(v for v in real_settings.AUTH_PASSWORD_VALIDATORS if "MinimumLength" in v["NAME"])
    assert minimum["OPTIONS"]["min_length"] == 12


def test_database_urls_are_parsed():
    pg = database_from_url("postgres://haven:p%40ss@db.internal:6432/haven_prod?sslmode=require")
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == (
        "haven",
        "p@ss",
        "db.internal",
        "6432",
        "haven_prod",
    )
    # A database that does not answer fails in seconds (the health check relies on it); the URL may say otherwise.
    assert pg["OPTIONS"] == {"sslmode": "require", "connect_timeout": "5"}
    assert database_from_url("postgres://h/db?connect_timeout=2")["OPTIONS"]["connect_timeout"] == "2"
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


def test_an_unknown_database_scheme_is_refused():
    with pytest.raises(SystemExit, match="DATABASE_URL"):
        database_from_url("mysql://root@localhost/haven")


def test_the_cache_is_redis_when_configured():
    # The suite runs with REDIS_URL set: rate limits and TOTP replay protection
    # are shared between processes only through it.
    assert real_settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize("variable", ["REDIS_URL", "CELERY_BROKER_URL"])
def test_without_debug_a_remote_redis_without_a_password_is_refused(variable):
    result = run_manage({**PRODUCTION, variable: "redis://redis.internal:6379/0"}, "check")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0], result.stderr


@pytest.mark.parametrize(
    "url", ["redis://:s3cret@redis.internal:6379/0", "redis://127.0.0.1:6379/0", "redis://localhost:6379/1"]
)
def test_redis_with_a_password_or_on_this_host_is_accepted(url):
    assert run_manage({**PRODUCTION, "REDIS_URL": url, "CELERY_BROKER_URL": url}, "check").returncode == 0, url


def test_the_cache_uses_the_json_serializer():
    assert real_settings.CACHES["default"]["OPTIONS"]["serializer"] == "config.cache.JSONSerializer"
