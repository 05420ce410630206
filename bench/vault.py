"""Vault benchmark: what encryption costs, measured against plaintext in the same run.

    make bench          (or: the test environment's variables, then python bench/vault.py)

Prints per-field seal/open times for 100 B and 10 KB values, and the time to
load 50 records with 10 encrypted fields each against the same records in a
plaintext twin model, with the query count of each. Not part of the test suite.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from cryptography.fernet import Fernet  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from tests.vaultapp.models import PlainRecord, SealedRecord  # noqa: E402
from vault import crypto  # noqa: E402
from vault.keys import key_scope  # noqa: E402

RECORDS = 50


def per_call_us(fn: Callable[[], object], repeat: int = 2000) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        runs.append((time.perf_counter() - start) / repeat * 1e6)
    return min(runs)


def median_ms(fn: Callable[[], object], repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def field_costs() -> None:
    key, fernet = crypto.OpenKey.from_bytes(uuid.uuid4(), os.urandom(32)), Fernet(Fernet.generate_key())
    context = b"vaultapp_person|" + str(uuid.uuid4()).encode() + b"|full_name"
    print("Per field (best of 5 runs, µs per call)")
    print(f"{'size':>8} {'AES-GCM seal':>14} {'AES-GCM open':>14} {'Fernet enc':>12} {'Fernet dec':>12}")
    for size in (100, 10_000):
        data = os.urandom(size)
        sealed = crypto.seal(key, data, context)
        token = fernet.encrypt(data)
        seal_us = per_call_us(lambda data=data: crypto.seal(key, data, context))
        open_us = per_call_us(lambda sealed=sealed: crypto.open_sealed(key, sealed, context))
        fenc_us = per_call_us(lambda data=data: fernet.encrypt(data))
        fdec_us = per_call_us(lambda token=token: fernet.decrypt(token))
        print(f"{size:>7}B {seal_us:>14.1f} {open_us:>14.1f} {fenc_us:>12.1f} {fdec_us:>12.1f}")


def page_costs() -> None:
    values = {f"f{i}": f"value of field {i} for a realistic name or place" for i in range(1, 11)}
    with transaction.atomic():
        SealedRecord.objects.all().delete()
        PlainRecord.objects.all().delete()
        for _ in range(RECORDS):
            SealedRecord.objects.create(**values)
            PlainRecord.objects.create(**values)

    def load(model: type) -> int:
        with key_scope():  # as in a request: keys unwrapped once, forgotten after
            return sum(len(getattr(row, f"f{i}")) for row in model.objects.all() for i in range(1, 11))

    assert load(SealedRecord) == load(PlainRecord)
    counts = {}
    for model in (SealedRecord, PlainRecord):
        with CaptureQueriesContext(connection) as queries:
            load(model)
        counts[model] = len(queries)
    sealed_ms, plain_ms = median_ms(lambda: load(SealedRecord)), median_ms(lambda: load(PlainRecord))
    print(f"\nLoad {RECORDS} records x 10 fields, read every field (median of 30)")
    print(f"  encrypted: {sealed_ms:7.2f} ms, {counts[SealedRecord]} query")
    print(f"  plaintext: {plain_ms:7.2f} ms, {counts[PlainRecord]} query")
    print(f"  ratio:     {sealed_ms / plain_ms:7.2f}x (goal: at most 1.2x, same query count)")


if __name__ == "__main__":
    setup_test_environment()
    from django.db import connections
    from django.test.utils import get_runner  # noqa: F401

    # Run against a throwaway test database, never the configured one.
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        field_costs()
        page_costs()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        connections.close_all()
