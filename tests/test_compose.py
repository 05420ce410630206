"""docker-compose.yml: valid, with health checks, and nothing reachable from outside the host.

Runs Debian's docker-compose (v1, Python) against the repository's compose file
and .env.example. No Docker engine and no database are needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")


def run_compose(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        message = "docker-compose is not installed (apt-get install docker-compose)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # A scratch project directory with .env.example as its .env: a developer's
    # real .env is never read (nor its secrets printed in a failure), and a
    # clean environment keeps `make test`'s variables out of interpolation.
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    shutil.copyfile(REPO / ".env.example", project / ".env")
    return subprocess.run(
        [binary, "--file", str(REPO / "docker-compose.yml"), "--project-directory", str(project), *args],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)},
        timeout=120,
        check=False,
    )


def parse_services(config: str) -> dict[str, dict[str, list[str]]]:
    """Each service's keys, with the lines under each key (indented relative to the key).

    PyYAML is not a dependency of the project and compose v1 has no JSON output,
    so this reads the one shape `docker-compose config` prints: block YAML,
    two-space indents, list items at the same indent as their key.
    """
    services: dict[str, dict[str, list[str]]] = {}
    in_services = False
    service: dict[str, list[str]] = {}
    key = ""
    for line in config.splitlines():
        text = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            in_services = text == "services:"
        elif not in_services or not text:
            continue
        elif indent == 2:
            service = services.setdefault(text.rstrip(":"), {})
        elif indent == 4 and not text.startswith("- "):
            key, _, value = text.partition(":")
            service[key] = [value.strip()] if value.strip() else []
        else:
            service[key].append(line[4:])
    return services


def host_ip(item: list[str]) -> str:
    """The host address of one published port; 0.0.0.0 when none is given."""
    if ": " in item[0] or item[0].endswith(":"):  # long syntax: a mapping
        fields = dict(line.strip().split(": ", 1) for line in item if ": " in line)
        return fields.get("host_ip", "0.0.0.0").strip("'\"")
    parts = item[0].strip("'\"").split("/")[0].rsplit(":", 2)
    return parts[0] if len(parts) == 3 else "0.0.0.0"


def published_ports(lines: list[str]) -> list[list[str]]:
    items: list[list[str]] = []
    for line in lines:
        if line.startswith("- "):
            items.append([line[2:]])
        elif items:
            items[-1].append(line)
    return items


@pytest.fixture
def services(tmp_path: Path) -> dict[str, dict[str, list[str]]]:
    result = run_compose(tmp_path, "config")
    assert result.returncode == 0, result.stderr
    return parse_services(result.stdout)


def test_compose_file_is_valid(tmp_path: Path) -> None:
    result = run_compose(tmp_path, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_file_defines_every_service(tmp_path: Path) -> None:
    result = run_compose(tmp_path, "config", "--services")
    assert result.returncode == 0, result.stderr
    assert {"postgres", "redis", "migrate", *APP_SERVICES} <= set(result.stdout.split())


def test_the_parser_sees_what_compose_sees(tmp_path: Path, services: dict[str, dict[str, list[str]]]) -> None:
    # Guards the checks below against a change in the printed shape.
    listed = run_compose(tmp_path, "config", "--services").stdout.split()
    assert sorted(services) == sorted(listed)
    assert services["web"]["ports"] == ["- 127.0.0.1:8000:8000/tcp"]


@pytest.mark.parametrize("name", ["postgres", "redis", "web"])
def test_service_has_a_health_check(services: dict[str, dict[str, list[str]]], name: str) -> None:
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert "disable: true" not in [line.strip() for line in healthcheck]
    assert any(line.strip() == "test:" or line.strip().startswith("test: ") for line in healthcheck)


def test_no_port_is_published_beyond_localhost(services: dict[str, dict[str, list[str]]]) -> None:
    exposed = [
        (name, item)
        for name, service in services.items()
        for item in published_ports(service.get("ports", []))
        if host_ip(item) != "127.0.0.1"
    ]
    assert exposed == []


@pytest.mark.parametrize(
    ("item", "address"),
    [
        (["127.0.0.1:8000:8000/tcp"], "127.0.0.1"),
        (["'8000:8000'"], "0.0.0.0"),
        (["8000"], "0.0.0.0"),
        (["0.0.0.0:5432:5432/tcp"], "0.0.0.0"),
        (["host_ip: 127.0.0.1", "  published: 8000", "  target: 8000"], "127.0.0.1"),
        (["published: 8000", "  target: 8000"], "0.0.0.0"),
    ],
)
def test_a_port_is_read_with_the_address_docker_would_bind_it_to(item: list[str], address: str) -> None:
    assert host_ip(item) == address


def test_no_service_shares_the_host_network(services: dict[str, dict[str, list[str]]]) -> None:
    # With the host's network, a service listens on every interface whatever `ports` says.
    assert [name for name, service in services.items() if service.get("network_mode") == ["host"]] == []


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_migrations(services: dict[str, dict[str, list[str]]], name: str) -> None:
    depends_on = [line.strip() for line in services[name].get("depends_on", [])]
    assert "migrate:" in depends_on, f"{name} does not depend on migrate"
    assert depends_on[depends_on.index("migrate:") + 1] == "condition: service_completed_successfully"


def test_redis_is_not_published_on_the_host(services: dict[str, dict[str, list[str]]]) -> None:
    # Anyone who can write to Redis can poison the cache and the broker: only the
    # project's own network reaches it.
    assert services["redis"].get("ports", []) == []


def test_redis_requires_a_password_and_every_client_gives_it(services: dict[str, dict[str, list[str]]]) -> None:
    command = " ".join(line.strip() for line in services["redis"]["command"])
    assert "--requirepass" in command
    for name in APP_SERVICES:
        environment = {
            key.strip(): value.strip()
            for key, _, value in (line.strip().partition(":") for line in services[name]["environment"])
        }
        for variable in ("CELERY_BROKER_URL", "REDIS_URL"):
            assert environment[variable].startswith("redis://:"), (name, variable)
            assert "@redis:6379/" in environment[variable], (name, variable)


def test_the_example_env_names_the_redis_password() -> None:
    lines = (REPO / ".env.example").read_text().splitlines()
    assert "REDIS_PASSWORD=" in lines  # empty on purpose: compose refuses to start without one


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_sees_the_backup_volume(services: dict[str, dict[str, list[str]]], name: str) -> None:
    """The worker writes backups, the web lists and verifies them: both see the same directory."""
    environment = {
        key.strip(): value.strip()
        for key, _, value in (line.strip().partition(":") for line in services[name]["environment"])
    }
    assert environment["HAVEN_BACKUP_DIR"] == "/var/lib/haven-backups"
    assert any("/var/lib/haven-backups" in line for line in services[name]["volumes"])


def test_the_image_has_pg_dump_and_the_example_env_names_the_trustees() -> None:
    assert "postgresql-client" in (REPO / "Dockerfile").read_text()
    assert "HAVEN_BACKUP_RECIPIENTS=" in (REPO / ".env.example").read_text().splitlines()


def test_redis_keeps_the_queue_across_a_restart(services: dict[str, dict[str, list[str]]]) -> None:
    """A task a killed worker took is delivered again from the broker: a restart of Redis must not lose it."""
    redis = services["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--dir /data" in command
    assert any(":/data" in line for line in redis["volumes"]), redis["volumes"]


def test_beats_schedule_survives_a_restart_of_beat(services: dict[str, dict[str, list[str]]]) -> None:
    """On a volume, not /tmp: a restart neither forgets when the day's work ran nor postpones it."""
    beat = services["beat"]
    command = " ".join(beat["command"])
    assert "/var/lib/haven-beat/celerybeat-schedule" in command
    assert any(":/var/lib/haven-beat" in line for line in beat["volumes"]), beat["volumes"]
    assert "/var/lib/haven-beat" in (REPO / "Dockerfile").read_text()
