"""The vault inside requests: keys remembered for one request only; damaged records get a plain page."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings

from audit.models import AuditEvent
from tests.test_settings import PRODUCTION, ROOT, run_manage
from tests.vaultapp.models import Person
from vault import keys
from vault.keys import key_scope


@pytest.fixture
def person_client(client_for, make_user):  # type: ignore[no-untyped-def]
    with override_settings(ROOT_URLCONF="tests.vaultapp.urls"):
        yield client_for(make_user())


@pytest.mark.django_db
def test_a_damaged_record_shows_a_plain_page_and_is_audited(person_client, caplog):
    person = Person.objects.create(full_name="Damaged Name 9931", narrative="Story 9931")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vaultapp_person SET narrative = full_name WHERE id = %s", [person.pk])
    response = person_client.get(f"/person/{person.pk}/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "This record is damaged" in page
    assert "9931" not in page and "Traceback" not in page
    event = AuditEvent.objects.get(action="vault.record.damaged")
    assert event.object_ref == f"vaultapp.Person:{person.pk}" and event.reason == "narrative"
    assert "9931" not in caplog.text


@pytest.mark.django_db
def test_a_healthy_record_reads_in_a_request(person_client):
    person = Person.objects.create(full_name="Healthy", narrative="Fine")
    assert person_client.get(f"/person/{person.pk}/").content.decode() == "Healthy / Fine"


@pytest.mark.django_db
def test_a_key_is_unwrapped_once_per_scope_and_forgotten_after(monkeypatch):
    person = Person.objects.create(full_name="Scoped")
    calls: list[object] = []
    real = keys.unwrap_bytes
    monkeypatch.setattr(keys, "unwrap_bytes", lambda *args: calls.append(args) or real(*args))
    with key_scope():
        for _ in range(3):
            assert Person.objects.get(pk=person.pk).full_name == "Scoped"
    assert len(calls) == 1
    with key_scope():
        Person.objects.get(pk=person.pk).full_name  # noqa: B018
    assert len(calls) == 2  # a new scope (a new request) unwraps again


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "not valid JSON"),
        ('{"format": "haven-keyring-1"}', "no key-encryption key"),
    ],
)
def test_a_bad_keyring_stops_start_up_with_one_line(tmp_path, content, message):
    path = tmp_path / "keyring.json"
    if content is not None:
        path.write_text(content)
    result = run_manage({**PRODUCTION, "HAVEN_KEYRING_FILE": str(path)}, "check")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(path) in lines[0]


def test_generate_keyring_runs_before_any_keyring_exists(tmp_path):
    env = {key: value for key, value in PRODUCTION.items() if key != "HAVEN_KEYRING_FILE"}
    result = run_manage(env, "generate_keyring", str(tmp_path / "new.json"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.json").exists()


def test_the_keyring_module_runs_without_django(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "vault.keyring", "generate", str(tmp_path / "k.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
