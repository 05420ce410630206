"""Which versions wrote a backup, and whether this machine can restore it (README, "Backups").

The manifest records the database server's version, ``pg_dump``'s version and
the archive format (``versions`` in its signed body). Before anything is
decrypted, a restore checks PostgreSQL's documented rules:

- ``pg_restore`` reads archives written by its own or an older ``pg_dump``, never
  a newer one's (a newer archive format, or SQL an older tool does not know);
- a dump loads into a server of the same or a newer major version, not an older
  one (``pg_dump``'s output is not guaranteed to load into an older server).

A manifest written before versions were recorded restores with a warning.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from typing import Any

from backups.streams import BackupError, postgres_env, tool_version

ARCHIVE_MAGIC = b"PGDMP"


def parse_version(text: str) -> tuple[int, int] | None:
    """(major, minor) of "pg_dump (PostgreSQL) 15.20 (Debian ...)", "15.20" or "17beta1"; None if none."""
    match = re.search(r"(?:PostgreSQL\)\s*)?\b(\d+)(?:\.(\d+))?", text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def from_server_number(number: int) -> str:
    """150020 -> "15.20" (PostgreSQL 10 and later)."""
    return f"{number // 10000}.{number % 10000}"


def archive_version(database: dict[str, Any]) -> str:
    """The custom-format archive version this ``pg_dump`` writes against this server ("1.14").

    Read from the header of a tiny schema-only archive (one table), so it is what
    the tool really writes, not a table of guesses.
    """
    try:
        probe = subprocess.run(
            ["pg_dump", "--format=custom", "--schema-only", "--table=django_migrations", "--no-password"],  # noqa: S607
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=postgres_env(database),
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        raise BackupError("pg_dump did not answer when asked for its archive format") from None
    head = probe.stdout[:8]
    if probe.returncode != 0 or not head.startswith(ARCHIVE_MAGIC) or len(head) < 8:
        raise BackupError(f"pg_dump failed when asked for its archive format (exit {probe.returncode})")
    return f"{head[5]}.{head[6]}"


def postgres_versions(database: dict[str, Any], server_number: int) -> dict[str, str]:
    """What the manifest records for a PostgreSQL backup."""
    dump = parse_version(tool_version("pg_dump"))
    return {
        "server": from_server_number(server_number),
        "pg_dump": f"{dump[0]}.{dump[1]}" if dump else "",
        "archive": f"custom {archive_version(database)}",
    }


@dataclass
class Compatibility:
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_postgres(body: dict[str, Any], *, pg_restore: str, target_server: int) -> Compatibility:
    """Can this ``pg_restore`` (its --version line) restore ``body``'s backup into a server of ``target_server``?"""
    result = Compatibility()
    versions = body.get("versions") or {}
    source_dump, source_server = versions.get("pg_dump", ""), versions.get("server", "")
    archive = versions.get("archive", "")
    if not source_dump or not source_server:
        result.warnings.append(
            "the manifest does not record which PostgreSQL and pg_dump wrote this backup (an older backup): "
            "compatibility was not checked"
        )
    restore = parse_version(pg_restore)
    dumped = parse_version(source_dump) if source_dump else None
    if dumped and restore and restore[0] < dumped[0]:
        result.refusals.append(
            f"this backup was written by pg_dump {source_dump}"
            + (f" (archive format {archive.removeprefix('custom ')})" if archive else "")
            + f"; this machine's pg_restore is {restore[0]}.{restore[1]}, which cannot read it: "
            f"restore with PostgreSQL {dumped[0]}'s client tools or newer"
        )
    server = parse_version(source_server) if source_server else None
    target = (target_server // 10000, target_server % 10000)
    if server and target[0] < server[0]:
        result.refusals.append(
            f"this backup is of a PostgreSQL {source_server} server; the target server is PostgreSQL "
            f"{target[0]}.{target[1]}, older: restore into PostgreSQL {server[0]} or newer"
        )
    elif dumped and target[0] < dumped[0]:
        result.warnings.append(
            f"pg_dump {source_dump} wrote this backup and the target server is PostgreSQL {target[0]}.{target[1]}: "
            "loading into a server older than the pg_dump is not guaranteed"
        )
    return result
