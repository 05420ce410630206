"""A PostgreSQL cluster and a Redis server of a test's own, on free ports, to stop and start.

Tests that take a dependency away use these, never the shared servers on 5432 and 6379::

    with own_redis(tmp_path) as redis:        # redis.url(db) -> "redis://127.0.0.1:PORT/db"
        redis.stop(); ...; redis.start()      # same port, same (empty or kept) data
    with own_postgres() as pg:                # pg.url(name) -> "postgres://postgres@127.0.0.1:PORT/name"
        pg.createdb("haven"); pg.stop(); ...; pg.start()

Each is removed when the block ends, whatever happened inside it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, up: bool, timeout: float = 30.0) -> None:
    """Wait until 127.0.0.1:port accepts connections (``up``) or refuses them; TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            listening = sock.connect_ex(("127.0.0.1", port)) == 0
        if listening == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout} s")


@dataclass
class OwnRedis:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
                   "--save", "", "--appendonly", "no", "--protected-mode", "no"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, up=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        wait_for_port(self.port, up=False)


@contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    """A Redis server on a free port, its files in ``directory``; stopped when the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    redis = OwnRedis(port=free_port(), directory=directory)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def _version() -> str:
    return sorted(path.name for path in Path("/etc/postgresql").iterdir())[-1]


@dataclass
class OwnPostgres:
    port: int
    version: str
    cluster: str

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster, action, "-m", "fast"]
            if action == "stop"
            else ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.cluster, action],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl("start")
        wait_for_port(self.port, up=True)

    def stop(self) -> None:
        self._ctl("stop")
        wait_for_port(self.port, up=False)

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database, "-XAtqc", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def createdb(self, name: str) -> str:
        """Create database ``name``; returns its URL."""
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """A new PostgreSQL cluster (trust auth, 127.0.0.1) on a free port; dropped when the block ends."""
    if not shutil.which("pg_createcluster"):
        raise RuntimeError("pg_createcluster is missing: install postgresql-common")
    pg = OwnPostgres(port=free_port(), version=_version(), cluster=f"haven-test-{uuid.uuid4().hex[:8]}")
    try:
        subprocess.run(
            [
                "pg_createcluster",
                pg.version,
                pg.cluster,
                "-p",
                str(pg.port),
                "--start",
                "-o",
                "fsync=off",
                "-o",
                "full_page_writes=off",
                "--",
                "--auth=trust",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        wait_for_port(pg.port, up=True)
        yield pg
    finally:
        subprocess.run(["pg_dropcluster", "--stop", pg.version, pg.cluster], check=False, capture_output=True)
