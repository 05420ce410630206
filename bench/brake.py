"""Exfiltration brake benchmark: a reveal with the brake against the same reveal without it, in one run.

    make bench-brake
    python bench/brake.py   (with the test environment's variables, as the Makefile sets them)

Runs in a throwaway test database (test_<name>_bench_brake). The reveal is the real view
(POST /cases/<code>/reveal/, defectors.views.cases.reveal) through Django's test Client as a
signed-in supervisor (both factors), every middleware, the service, the audit event and the
template. The baseline is the same request with ``accounts.brake.admit`` replaced by a function
that does nothing, measured in the same run, alternating with the braked one. The supervisor
works through 150 cases (distinct reads, then repeats); limits are raised so nothing trips.
The gate is also timed alone (beside one write committed on its own, the floor of any
transaction that writes) with the ledger holding 150 rows and then 300,000 (2,000 other
people): it reads one index range, so it must not grow. Times are medians of wall time.
Not part of the test suite.
"""

from __future__ import annotations

import datetime
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

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import brake  # noqa: E402
from accounts.models import IdentityRead, User  # noqa: E402
from bench.harness import bench_database  # noqa: E402
from bench.harness import median_ms as harness_median_ms  # noqa: E402
from tests.conftest import login_with_mfa  # noqa: E402
from tests.factories import CaseFactory, UserFactory  # noqa: E402

RUNS, WARM_UP = 150, 5
CASES = 150
OTHERS, ROWS_EACH = 2000, 150


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    return harness_median_ms(fn, runs=runs, warm_up=WARM_UP)


def main() -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="bench-supervisor")
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="bench-caseworker")
    cases = [CaseFactory(created_by=caseworker) for _n in range(CASES)]
    sup = login_with_mfa(Client(), supervisor)
    turn = {"n": 0}

    def reveal() -> None:
        case = cases[turn["n"] % CASES]
        turn["n"] += 1
        response = sup.post(f"/cases/{case.code}/reveal/", {"reason": "review backlog"})
        assert response.status_code == 200, response.status_code

    real_admit = brake.admit

    def without_brake() -> None:
        brake.admit = lambda **kwargs: None  # type: ignore[assignment]
        try:
            reveal()
        finally:
            brake.admit = real_admit

    # Alternate the two so that neither gets a warmer cache or a quieter machine.
    braked, baseline = [], []
    for _ in range(WARM_UP):
        reveal()
        without_brake()
    for _ in range(RUNS):
        for fn, times in ((reveal, braked), (without_brake, baseline)):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as with_queries:
        reveal()
    with CaptureQueriesContext(connection) as without_queries:
        without_brake()
    if os.environ.get("BENCH_SQL"):
        print("\n".join(q["sql"][:150] for q in with_queries.captured_queries))

    refs = [brake.CaseRead(pk=case.pk, assigned_to_id=caseworker.pk) for case in cases]

    def gate() -> None:
        brake.admit(by=supervisor, cases=[refs[turn["n"] % CASES]])
        turn["n"] += 1

    small = median_ms(gate)

    def one_commit() -> None:  # the floor: any write in a transaction of its own (the WAL flush)
        with transaction.atomic():
            IdentityRead.objects.filter(person=supervisor, case_id=cases[0].pk).update(last_at=timezone.now())

    commit = median_ms(one_commit)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [gate() for _ in range(100)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    people = UserFactory.create_batch(OTHERS, role=User.Role.SUPERVISOR)
    now = timezone.now()
    IdentityRead.objects.bulk_create(
        [
            IdentityRead(
                person=person, case_id=uuid.uuid4(), assigned=False, last_at=now - datetime.timedelta(minutes=n)
            )
            for person in people
            for n in range(ROWS_EACH)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_identityread")
    large = median_ms(gate)
    rows = IdentityRead.objects.count()

    with_ms, without_ms = statistics.median(braked), statistics.median(baseline)
    print(f"reveal (POST /cases/<code>/reveal/, {CASES} cases in turn), median of {RUNS}:")
    print(f"  without the brake: {without_ms:.2f} ms, {len(without_queries)} queries")
    print(
        f"  with the brake:    {with_ms:.2f} ms, {len(with_queries)} queries "
        f"(+{with_ms - without_ms:.2f} ms, x{with_ms / without_ms:.2f})"
    )
    print(f"the gate alone: {small:.2f} ms with {CASES} ledger rows, {large:.2f} ms with {rows:,} rows")
    print(f"for scale, one write committed on its own: {commit:.2f} ms")


if __name__ == "__main__":
    with bench_database("brake", BRAKE_OTHER_PER_HOUR=10**6, BRAKE_OTHER_PER_DAY=10**6):
        main()
