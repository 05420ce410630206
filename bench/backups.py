"""Backup benchmark: Haven's backup and restore against what an administrator would do by hand.

    make bench-backups              (100,000 cases; make bench-backups CASES=5000 for a quick run)
    python bench/backups.py [CASES] [--keep] [--backup-only]
                                    (with the test environment's variables, as the Makefile sets
                                     them; --keep keeps the seeded database for the next run;
                                     --backup-only skips the restores)

Runs in a throwaway test database (test_<name>_bench_backups, created and
destroyed here), seeded with the demo generator's bulk path. Side by side, in
one run, on the same database:

- by hand: ``pg_dump -Fc | age -r KEY > file`` (pg_dump's default gzip), and
  the other pipelines the compression choice was made from (``-Z0`` through
  the ``zstd`` CLI at levels 1 and 3, and no compression at all);
- Haven's stream alone: ``pg_dump -Fc -Z0 | python -I backups/pipeline.py``
  (zstd level 1 and age in a lean process, no Django);
- Haven: ``manage.py backup`` (the same stream, started by Django, plus the
  keyring, fsyncs and the signed manifest).

Each is run as its own process tree; peak memory is the largest resident set
of any process in it (getrusage of the children: pg_dump, age or the stream
process for the pipelines, the Django process for Haven). Per process: the
stream process reports its own peak (VmHWM), and ``manage.py backup -v 2``
prints the Django process's. Time is compared with the by-hand
pipeline and with the floor (``pg_dump -Z0 | zstd -1 | age``) of the same run. Restores go into a fresh database
each: by hand ``age -d | pg_restore``; Haven's ``manage.py restore`` (verify,
decrypt and restore in a stream, then its checks) with the time of each step.
Throughput is database size (pg_database_size) over wall time. Not part of the
test suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Literal, overload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from pyrage import x25519  # noqa: E402

from accounts.models import User  # noqa: E402
from backups.streams import postgres_env  # noqa: E402
from defectors import demo  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


@overload
def measured(command: list[str], env: dict[str, str]) -> tuple[float, int]: ...
@overload
def measured(command: list[str], env: dict[str, str], output: Literal[True]) -> tuple[float, int, str]: ...
def measured(command: list[str], env: dict[str, str], output: bool = False) -> Any:
    """Run ``command`` in a fresh helper process; (wall seconds, peak RSS in KB of any process in its tree).

    With ``output``, also the command's standard output.
    """
    helper = (
        "import resource, subprocess, sys, time\n"
        "start = time.monotonic()\n"
        "code = subprocess.run(sys.argv[1:]).returncode\n"
        "print(time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([PYTHON, "-c", helper, *command], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)[:80]} failed:\n{result.stderr[-2000:]}")
    lines = result.stdout.strip().splitlines()
    seconds, peak = lines[-1].split()
    if output:
        return float(seconds), int(peak), "\n".join(lines[:-1])
    return float(seconds), int(peak)


def scratch_database(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


def drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def row(label: str, seconds: float, size: int, peak_kb: int, db_bytes: int) -> str:
    rate = db_bytes / seconds / 1e6
    return f"{label:<44} {seconds:8.1f} s {rate:8.1f} MB/s {size / 1e6:9.1f} MB {peak_kb / 1024:8.1f} MB"


def main(total: int, backup_only: bool = False) -> None:
    caseworkers = [
        User.objects.get_or_create(username=f"bench-caseworker{n}", defaults={"role": User.Role.CASEWORKER})[0]
        for n in range(3)
    ]
    start = time.monotonic()
    demo.seed(total, caseworkers)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT pg_database_size(current_database())")
        db_bytes = cursor.fetchone()[0]
    connections.close_all()
    print(f"{total:,} cases (seeded in {time.monotonic() - start:.0f} s); database size {db_bytes / 1e6:.1f} MB\n")

    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    work = Path(tempfile.mkdtemp(prefix="haven-bench-backups-"))
    identity_file = work / "identity.txt"
    identity_file.write_text(f"{identity}\n")
    db_env = postgres_env(connection.settings_dict)  # the bench database, password in the environment

    pipelines = {
        "by hand: pg_dump -Fc (gzip) | age": f"pg_dump -Fc | age -r {recipient} > {work}/hand.dump.age",
        "pg_dump -Fc -Z0 | age (no compression)": f"pg_dump -Fc -Z0 | age -r {recipient} > {work}/z0.age",
        "pg_dump -Fc -Z0 | zstd -1 | age": f"pg_dump -Fc -Z0 | zstd -q -1 | age -r {recipient} > {work}/zstd1.age",
        "pg_dump -Fc -Z0 | zstd -3 | age": f"pg_dump -Fc -Z0 | zstd -q -3 | age -r {recipient} > {work}/zstd3.age",
    }
    outputs = dict(zip(pipelines, ["hand.dump.age", "z0.age", "zstd1.age", "zstd3.age"], strict=True))
    print(f"{'backup':<44} {'time':>10} {'throughput':>13} {'size':>12} {'peak RSS':>11}")
    results = {}
    for label, pipeline in pipelines.items():
        seconds, peak = measured(["bash", "-o", "pipefail", "-c", pipeline], db_env)
        size = (work / outputs[label]).stat().st_size
        results[label] = (seconds, size, peak)
        print(row(label, seconds, size, peak, db_bytes))

    haven_env = {
        **os.environ,
        "DATABASE_URL": scratch_url_for(connection.settings_dict["NAME"]),
        "HAVEN_BACKUP_DIR": str(work / "haven"),
        "HAVEN_BACKUP_RECIPIENTS": recipient,
    }
    stream = f"pg_dump -Fc -Z0 | {PYTHON} -I {ROOT}/backups/pipeline.py {work}/stream.age {recipient}"
    seconds, peak = measured(["bash", "-o", "pipefail", "-c", f"{stream} > {work}/stream.jsonl"], db_env)
    size = (work / "stream.age").stat().st_size
    stream_peak = json.loads((work / "stream.jsonl").read_text().splitlines()[-1])["peak_kb"]
    label = "Haven's stream: pg_dump -Z0 | pipeline.py"
    results[label] = (seconds, size, peak)
    print(row(label, seconds, size, peak, db_bytes))

    seconds, peak, output = measured([PYTHON, str(ROOT / "manage.py"), "backup", "-v", "2"], haven_env, output=True)
    dump = next((work / "haven").glob("*.dump.zst.age"))
    size = dump.stat().st_size
    results["Haven"] = (seconds, size, peak)
    print(row("Haven: manage.py backup (zstd 1, pyrage)", seconds, size, peak, db_bytes))

    hand_seconds, hand_size, _ = results["by hand: pg_dump -Fc (gzip) | age"]
    floor_seconds = results["pg_dump -Fc -Z0 | zstd -1 | age"][0]
    print()
    for name, (seconds, size, _peak) in [("Haven's stream", results[label]), ("Haven", results["Haven"])]:
        print(
            f"{name} vs by hand: {hand_seconds / seconds:.1f}x faster, {size / hand_size:.2f}x the size; "
            f"vs the floor (zstd -1 | age): {seconds / floor_seconds:.2f}x its time"
        )
    print(f"peak memory by process: stream process (pipeline.py) {stream_peak / 1024:.1f} MB; ", end="")
    print("; ".join(line.strip() for line in output.splitlines() if line.strip().startswith("peak memory"))[12:])
    if backup_only:
        return

    print(f"\n{'restore':<44} {'time':>10}")
    scratch_database("haven_bench_restore_hand")
    start = time.monotonic()
    subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         f"age -d -i {identity_file} {work}/hand.dump.age | pg_restore --no-owner -d haven_bench_restore_hand"],
        env=db_env, check=True,
    )  # fmt: skip
    print(f"{'by hand: age -d | pg_restore':<44} {time.monotonic() - start:8.1f} s")
    drop_database("haven_bench_restore_hand")
    target = scratch_database("haven_bench_restore_haven")
    manifest = next((work / "haven").glob("*.manifest.json"))
    start = time.monotonic()
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), "restore", str(manifest), "--identity", str(identity_file),
         "--database", target],
        env=haven_env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        print(result.stdout, result.stderr)
    times = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("time:")]
    print(f"{'Haven: manage.py restore (with its checks)':<44} {elapsed:8.1f} s   {times[0] if times else ''}")
    drop_database("haven_bench_restore_haven")


def scratch_url_for(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{name}"


if __name__ == "__main__":
    keep = "--keep" in sys.argv  # keep the seeded database for the next run (seeding 100,000 takes minutes)
    backup_only = "--backup-only" in sys.argv
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    total = int(args[0] if args else os.environ.get("CASES", "100000"))
    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_backups"
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=keep, serialize=False)
    try:
        main(total, backup_only)
    finally:
        connections.close_all()
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        print(f"(peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)")
