"""Canonical forms (vault/normalise.py): how many a second, and rebuilding every blind index.

    python bench/normalise.py [CASES]   (with the test environment's variables, as `make bench` sets them;
                                         CASES defaults to 100,000; 0 skips the rebuild)

Names are the synthetic ones of the pair table (tests/vault/test_name_pairs.py):
Burmese names in Unicode, their Zawgyi forms, their visual-order forms, and
Latin names; identifiers are service numbers with separators. Each set is run
once to warm up, then timed over at least 20,000 values (best of three).

The rebuild runs ``rebuild_blind_indexes`` over CASES demo cases (seeded with
defectors/demo.py's bulk path) in a throwaway test database
(test_<name>_bench_normalise, created and destroyed here): every case's
service-number and name tags, and its name-tag rows (full name and aliases):
once with nothing to change, once with every tag changing (a new tag length).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.models import User  # noqa: E402
from defectors import demo  # noqa: E402
from defectors.models import CaseNameIndex  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.vault.test_name_pairs import names, visual_order, zawgyi  # noqa: E402
from vault.normalise import canonical_identifier, canonical_name  # noqa: E402
from vault.services import rebuild_blind_indexes  # noqa: E402

AT_LEAST = 20_000


def rate(function: Callable[[str], str], values: list[str]) -> float:
    """Values a second, best of three runs over at least AT_LEAST values."""
    values = values * -(-AT_LEAST // len(values))
    for value in values[:1000]:
        function(value)
    best = float("inf")
    for _run in range(3):
        started = time.perf_counter()
        for value in values:
            function(value)
        best = min(best, time.perf_counter() - started)
    return len(values) / best


def forms_per_second() -> None:
    burmese = ["".join(syllables) for syllables in names(2000)]
    sets = {
        "names, Burmese Unicode": (canonical_name, burmese),
        "names, Burmese Zawgyi": (canonical_name, [zawgyi(name) for name in burmese]),
        "names, Burmese in visual order": (canonical_name, [visual_order(name) for name in burmese]),
        "names, Latin": (canonical_name, [f"Kyaw Zin Htet {n}" for n in range(2000)]),
        "identifiers": (canonical_identifier, [f"BC-{n:05d}" if n % 2 else f"bc {n:05d}" for n in range(2000)]),
    }
    print("Canonical forms a second (one core):")
    for label, (function, values) in sets.items():
        print(f"  {label:32} {rate(function, values):>10,.0f}")


def rebuild(total: int) -> None:
    caseworkers = [UserFactory(role=User.Role.CASEWORKER, username=f"bench-caseworker{n}") for n in range(1, 4)]
    started = time.perf_counter()
    demo.seed(total, caseworkers)
    print(f"\nSeeded {total:,} demo cases in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    for label in ("nothing to change", "every tag changes (HAVEN_BLIND_INDEX_BITS 12 -> 13)"):
        if label.startswith("every"):
            settings.BLIND_INDEX_BITS = 13
        started = time.perf_counter()
        rows = rebuild_blind_indexes()
        spent = time.perf_counter() - started
        print(
            f"rebuild_blind_indexes, {label}: {rows:,} rows ({CaseNameIndex.objects.count():,} name tags) "
            f"in {spent:.1f} s, {rows / spent:,.0f} rows a second"
        )


if __name__ == "__main__":
    forms_per_second()
    total = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CASES", "100000"))
    if total:
        setup_test_environment()
        # A test database of its own: never the configured one, nor the test suite's.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = (
            f"test_{connection.settings_dict['NAME']}_bench_normalise"
        )
        old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
        try:
            rebuild(total)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
            connections.close_all()
