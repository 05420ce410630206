"""Support benchmark: the caseworker's and the supervisor's dashboard and the referral list
(its first page and a deep one, 50,000 rows down by cursor) at 100,000 cases, 300,000
referrals and 50,000 placements.

    make bench-support                 (100,000 cases; make bench-support CASES=2000 for a quick run)
    python bench/support.py [CASES]    (with the test environment's variables, as the Makefile sets them)

Runs in a throwaway test database (test_<name>_bench_support). Cases come from the
demo generator's bulk path (defectors/demo.py); each case gets three referrals
(one sent 30 days ago, so "waiting too long" is never empty), every second case a
placement (most checked out, some ending this week), every tenth an overdue task,
each case an assistance entry (every fiftieth awaiting a supervisor's approval).
Whole requests through Django's test Client, signed in with both factors, median
of RUNS; query counts at 10 cases and at the full count. No plaintext twin: these
pages read only plaintext columns (codes, statuses, dates, counts) and decrypt
nothing but shelter names (the organisation key) and, on the dashboard, up to ten
task titles, so a twin would measure the same queries. Not part of the test suite.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.harness import bench_database  # noqa: E402
from defectors import demo  # noqa: E402
from defectors.models import Case  # noqa: E402
from support.models import Assistance, Placement, Provider, Referral, ServiceType, Shelter, Task  # noqa: E402
from support.views.referrals import PAGE_SIZE, cursor_for  # noqa: E402
from tests.conftest import login_with_mfa  # noqa: E402
from tests.factories import UserFactory  # noqa: E402

SMALL = 10
RUNS = 30
WARM_UP = 3
CASEWORKERS = 20
SERVICES = [ServiceType.SHELTER, ServiceType.TRAINING, ServiceType.LEGAL]
DEEP = 2_000  # a deep page starts after this many pages (50,000 rows), or at the last full page


def add_support(cases: Sequence[Case], providers: Sequence[Provider], shelters: Sequence[Shelter]) -> None:
    """Three referrals a case, a placement every second case, an overdue task every tenth, assistance
    for every case (every fiftieth above the limit and awaiting approval, the rest within it)."""
    today = timezone.localdate()
    now = timezone.now()
    referrals, placements, tasks, assistance = [], [], [], []
    for n, case in enumerate(cases):
        for k, service in enumerate(SERVICES):
            status = (Referral.Status.SENT, Referral.Status.COMPLETED, Referral.Status.IN_PROGRESS)[k]
            referrals.append(
                Referral(
                    case=case,
                    provider=providers[(n + k) % len(providers)],
                    service_type=service,
                    status=status,
                    status_changed_at=now - datetime.timedelta(days=30 if k == 0 else 2),
                    created_by=case.created_by,
                )
            )
        if n % 2 == 0:
            open_stay = n % 40 == 0  # a few in a shelter now, the rest checked out
            placements.append(
                Placement(
                    case=case,
                    shelter=shelters[n % len(shelters)],
                    created_by=case.created_by,
                    checked_in_on=today - datetime.timedelta(days=60),
                    expected_end=today + datetime.timedelta(days=n % 14),
                    checked_out_on=None if open_stay else today - datetime.timedelta(days=10),
                )
            )
        if n % 10 == 0:
            tasks.append(
                Task(case=case, title="Call back", owner=case.assigned_to, due_on=today - datetime.timedelta(days=3))
            )
        waiting = n % 50 == 0
        assistance.append(
            Assistance(
                case=case,
                kind=Assistance.Kind.CASH,
                amount=Decimal(9000 if waiting else 1500),
                currency="THB",
                given_on=today - datetime.timedelta(days=n % 30),
                purpose="Rent",
                created_by=case.created_by,
                needs_approval=waiting,
            )
        )
    with transaction.atomic():
        Referral.objects.bulk_create(referrals, batch_size=demo.BATCH_SIZE)
        Placement.objects.bulk_create(placements, batch_size=demo.BATCH_SIZE)
        Task.objects.bulk_create(tasks, batch_size=demo.BATCH_SIZE)
        Assistance.objects.bulk_create(assistance, batch_size=demo.BATCH_SIZE)


def seed(total: int, workers: Sequence[User], providers: Sequence[Provider], shelters: Sequence[Shelter]) -> float:
    start = time.perf_counter()
    done = demo.seeded(workers).count()
    for first in range(done, total, demo.BATCH_SIZE):
        last = min(first + demo.BATCH_SIZE, total)
        cases = demo.write([demo.generate(index) for index in range(first, last)], workers)
        Case.objects.filter(pk__in=[c.pk for c in cases[::7]]).update(
            next_follow_up=timezone.localdate() - datetime.timedelta(days=1)
        )
        add_support(cases, providers, shelters)
        if last % 10_000 == 0 or last == total:
            print(f"  {last:,} cases ({time.perf_counter() - start:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        for model in (Case, Referral, Placement, Task, Assistance):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    return time.perf_counter() - start


def deep_link(user: User, status: str = "") -> str:
    """The list's "Older" link from page DEEP, or from the page before the last full one in a
    shorter list: the cursor of that page's last row (counted and found by OFFSET here, untimed)."""
    rows = Referral.objects.visible_to(user).order_by("-created_at", "-id").only("created_at")
    if status:
        rows = rows.filter(status=status)
    skipped = max(min(DEEP * PAGE_SIZE, rows.count() - PAGE_SIZE), 1)
    last = rows[skipped - 1 : skipped].first()
    assert last is not None
    query = f"status={status}&" if status else ""
    return f"/support/referrals/?{query}after={cursor_for(last)}"


def measure(fn: Callable[[], object]) -> tuple[float, int]:
    """(median ms, queries) of ``fn``."""
    connection.queries_log.clear()  # a full log (9,000 entries) would make the capture count 0
    with CaptureQueriesContext(connection) as queries:
        fn()
    count = len(queries)  # now: each request resets the log
    for _ in range(WARM_UP):
        fn()
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), count


def main(total: int) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="bench-supervisor")
    workers = [UserFactory(role=User.Role.CASEWORKER, username=f"bench-caseworker{n}") for n in range(CASEWORKERS)]
    providers = []
    for n in range(40):
        provider = Provider(name=f"Provider {n}", services=list(ServiceType.values), contact=f"Signal {n}")
        provider.save()
        providers.append(provider)
    shelters = []
    for n in range(12):
        shelter = Shelter(name=f"Shelter {n}", address="Somewhere", beds=100 + total // 400)
        shelter.save()
        shelters.append(shelter)
    sup = login_with_mfa(Client(), supervisor)
    cw = login_with_mfa(Client(), workers[0])

    def page(client: Client, url: str) -> Callable[[], object]:
        def get() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    def pages() -> dict[str, Callable[[], object]]:
        return {
            "caseworker dashboard": page(cw, "/support/"),
            "supervisor dashboard": page(sup, "/support/"),
            "referral list, supervisor, first page": page(sup, "/support/referrals/"),
            "referral list, supervisor, deep page": page(sup, deep_link(supervisor)),
            "referral list, status sent": page(sup, "/support/referrals/?status=sent"),
            "referral list, status sent, deep page": page(sup, deep_link(supervisor, Referral.Status.SENT)),
            "referral list, caseworker": page(cw, "/support/referrals/"),
            "referral list, caseworker, deep page": page(cw, deep_link(workers[0])),
        }

    seed(SMALL, workers, providers, shelters)
    small = {label: measure(fn) for label, fn in pages().items()}
    print(f"Seeding up to {total:,} cases...", flush=True)
    spent = seed(total, workers, providers, shelters)
    print(
        f"  {spent:.0f} s; {Referral.objects.count():,} referrals, {Placement.objects.count():,} placements, "
        f"{Task.objects.count():,} tasks, {Assistance.objects.count():,} assistance entries",
        flush=True,
    )
    large = {label: measure(fn) for label, fn in pages().items()}
    if os.environ.get("BENCH_SQL"):
        for label, fn in pages().items():
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                fn()
            print(f"\n{label}:")
            for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:4]:
                print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:300]}")
    print(f"\nMedian of {RUNS} requests, ms (queries at {SMALL} / {total:,} cases)")
    for label in large:
        print(f"  {label:40} {large[label][0]:7.1f} ms   queries {small[label][1]} / {large[label][1]}")


if __name__ == "__main__":
    total = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CASES", "100000"))
    if total < SMALL * 2:
        raise SystemExit(f"give at least {SMALL * 2} cases")
    with bench_database("support"):
        main(total)
