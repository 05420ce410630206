from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from pyrage import x25519


@pytest.fixture
def trustee(tmp_path, settings) -> tuple[Path, x25519.Identity]:
    """A trustee's age identity file; backups go to its public key, in a fresh directory."""
    identity = x25519.Identity.generate()
    path = tmp_path / "trustee-identity.txt"
    path.write_text(f"# public key: {identity.to_public()}\n{identity}\n")
    settings.BACKUP_RECIPIENTS = [str(identity.to_public())]
    settings.BACKUP_DIR = tmp_path / "backups"
    return path, identity


def _admin_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"] or None,
        dbname="postgres", autocommit=True,
    )  # fmt: skip


@pytest.fixture
def scratch_database() -> str:
    """An empty database on the same server, dropped afterwards; yields its URL."""
    name = f"haven_restore_{secrets.token_hex(4)}"
    db = connection.settings_dict
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    yield f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query_scratch(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as scratch:
        return scratch.execute(sql, params).fetchall()
