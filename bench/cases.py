"""Case benchmark: the case list, a filtered page and a service-number search at 100,000 cases,
each against a plaintext twin measured in the same run.

    make bench-cases              (100,000 cases; make bench-cases CASES=2000 for a quick run)
    python bench/cases.py [CASES] (with the test environment's variables, as the Makefile sets them)

Runs in a throwaway test database (test_<name>_bench_cases, created and destroyed
here). Cases are seeded with the demo generator's bulk path (defectors/demo.py);
the twin, tests.vaultapp.PlainCase, gets the same values unencrypted, with an
ordinary index on service_number and on (full_name, date_of_birth).

What is measured: whole requests through Django's test Client, as a signed-in
supervisor (both factors), through every middleware, view and template. Haven's
pages are the real view (defectors.views.cases.case_list); the twin's are a copy
of that view over PlainCase (same form, filters, paginator, template, and the same
defectors.search functions), where ``matching`` is an ordinary ``filter(...)``. Times are medians of wall
time around ``client.get``/``client.post`` (server time plus the test client's
small overhead, the same for both). Query counts are taken at 10 cases and
again at the full count. Tables are VACUUM ANALYZEd after seeding, as
autovacuum would do. Not part of the test suite.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import sys
import time
import types
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.decorators import role_required  # noqa: E402
from accounts.models import User  # noqa: E402
from bench.harness import bench_database  # noqa: E402
from bench.harness import median_ms as harness_median_ms  # noqa: E402
from defectors import demo  # noqa: E402
from defectors.forms import CaseFilterForm, CaseSearchForm  # noqa: E402
from defectors.models import Case, DuplicateAlert  # noqa: E402
from defectors.search import filter_cases, search_cases  # noqa: E402
from defectors.views.cases import LIST_FIELDS, PAGE_SIZE  # noqa: E402
from tests.conftest import login_with_mfa  # noqa: E402
from tests.factories import UserFactory  # noqa: E402
from tests.vaultapp.models import PlainCase  # noqa: E402

SMALL = 10
RUNS = 40
WARM_UP = 3


# The twin: defectors.views.cases.case_list over PlainCase, line for line; the same filter and
# search functions, PlainCase's ``matching`` being a plain SQL equality.
@role_required(*User.CASE_ROLES)
def twin_case_list(request: Any) -> HttpResponse:
    filters = CaseFilterForm(request.GET or None)
    search = CaseSearchForm(request.POST or None)
    all_cases = request.user.role == User.Role.SUPERVISOR
    visible = PlainCase.objects.all() if all_cases else PlainCase.objects.filter(assigned_to=request.user)
    cases = visible.select_related("assigned_to").only(*LIST_FIELDS, "assigned_to__username")
    if request.method == "POST":
        found = [case.pk for case in search_cases(visible, **search.cleaned_data)] if search.is_valid() else []
        cases = cases.filter(pk__in=found)
    elif filters.is_bound:
        cases = filter_cases(cases, filters.cleaned_data) if filters.is_valid() else cases.none()
    page = Paginator(cases.order_by("-urgency", "-created_at"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    open_alerts = DuplicateAlert.objects.filter(resolved_at__isnull=True).count() if all_cases else 0
    context = {
        "form": filters,
        "search": search,
        "page": page,
        "query": query.urlencode(),
        "open_alerts": open_alerts,
        "all_cases": all_cases,
    }
    return render(request, "defectors/case_list.html", context)


def _urlconf() -> str:
    from config.urls import urlpatterns

    module = types.ModuleType("bench_cases_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("twin/cases/", twin_case_list),
        *urlpatterns,
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def write_twin(batch: Sequence[demo.DemoCase], caseworkers: Sequence[User]) -> None:
    rows = []
    for spec in batch:
        worker = caseworkers[spec.index % len(caseworkers)]
        rows.append(PlainCase(created_by=worker, assigned_to=worker, **spec.fields))
    with transaction.atomic(), demo.given_timestamps(PlainCase):
        PlainCase.objects.bulk_create(rows, batch_size=demo.BATCH_SIZE)


def seed_both(total: int, caseworkers: Sequence[User], *, verbose: bool) -> dict[str, float]:
    """Top both up to ``total`` from the same generated batches; time each part."""
    spent = {"generate": 0.0, "haven": 0.0, "twin": 0.0}
    start = demo.seeded(caseworkers).count()
    for first in range(start, total, demo.BATCH_SIZE):
        last = min(first + demo.BATCH_SIZE, total)
        t0 = time.perf_counter()
        batch = [demo.generate(index) for index in range(first, last)]
        t1 = time.perf_counter()
        demo.write(batch, caseworkers)
        t2 = time.perf_counter()
        write_twin(batch, caseworkers)
        t3 = time.perf_counter()
        spent["generate"] += t1 - t0
        spent["haven"] += t2 - t1
        spent["twin"] += t3 - t2
        if verbose and (last % 10_000 == 0 or last == total):
            print(f"  {last:,} cases ({sum(spent.values()):.0f} s)", flush=True)
    return spent


def vacuum() -> None:
    with connection.cursor() as cursor:
        for model in (Case, PlainCase):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    return harness_median_ms(fn, runs=runs, warm_up=WARM_UP)


SIDES = ("haven", "twin")


class Scenario:
    """One page or post, on each side that has it; results by phase, then side."""

    def __init__(self, label: str, **sides: Callable[[], HttpResponse]) -> None:
        self.label, self.sides = label, sides
        self.results: dict[str, dict[str, dict[str, Any]]] = {}

    def measure(self, phase: str, only: Sequence[str] = SIDES) -> None:
        results = self.results.setdefault(phase, {})
        for side, fn in self.sides.items():
            if side not in only:
                continue
            response = fn()
            assert response.status_code in (200, 302), (self.label, side, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                fn()
            results[side] = {"queries": len(queries), "sql": list(queries.captured_queries), "ms": median_ms(fn)}


def codes_on(response: HttpResponse) -> list[str]:
    return list(dict.fromkeys(re.findall(r"HV-[A-Z0-9]{4}-[A-Z0-9]{4}", response.content.decode())))


def main(total: int) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="bench-supervisor")
    caseworkers = [UserFactory(role=User.Role.CASEWORKER, username=f"bench-caseworker{n}") for n in range(1, 4)]
    seed_both(SMALL, caseworkers, verbose=False)
    vacuum()

    sup = login_with_mfa(Client(), supervisor)
    cw = login_with_mfa(Client(), caseworkers[0])
    specs = [demo.generate(index) for index in range(SMALL)]
    # A filter that matches at 10 cases too (an empty page would skip a query).
    sample = next(s for s in specs if s.fields["status"] == "active" and s.fields["branch"] == "army")
    filters = {"status": "active", "branch": "army", "intake_month": sample.fields["intake_month"].strftime("%Y-%m")}

    def search_target(cases: int) -> demo.DemoCase:
        # A case in the middle of the seeded range, its number typed in ASCII digits.
        index = cases // 2
        while not demo.generate(index).fields["service_number"].isascii():
            index += 1
        return demo.generate(index)

    target = {"search": search_target(SMALL)}

    def search() -> dict[str, str]:
        return {"service_number": target["search"].fields["service_number"]}

    # The intake: one draft, its identity and service steps (each with the duplicate check) posted again and again.
    draft_url = cw.post("/cases/new/", {"token": str(uuid.uuid4())})["Location"]  # /cases/<code>/intake/identity/
    # The draft is in Haven's list: give the twin the same row, so both list the same cases.
    draft = Case.objects.get(code=draft_url.split("/")[2])
    PlainCase.objects.create(
        code=draft.code, status=draft.status, created_by=caseworkers[0], assigned_to=caseworkers[0],
        intake_month=draft.intake_month, intake_token=draft.intake_token,
    )  # fmt: skip
    identity = {
        "full_name": "Bench Kyaw Min Htet", "other_names": "", "date_of_birth": "1994-07-12",
        "age_estimate": "", "sex": "male", "ethnicity": "Bamar", "religion": "Buddhist",
        "languages": "Burmese", "region_of_origin": "sagaing",
    }  # fmt: skip
    service = {
        "branch": "army", "rank": "Corporal", "rank_band": "nco", "unit": "Bench Battalion 1",
        "service_number": "BA-BENCH-1", "years_of_service": "5", "last_posting": "Monywa",
    }  # fmt: skip
    service_url = draft_url.replace("/identity/", "/service/")

    def pages(url: str, params: Callable[[], dict[str, str]] = dict) -> Callable[[], HttpResponse]:
        return lambda: sup.get(url, params())

    def searched(url: str) -> Callable[[], HttpResponse]:
        return lambda: sup.post(url, search())  # identifying search terms travel by POST

    scenarios = [
        Scenario(
            "case list, first page",
            haven=pages("/cases/"),
            twin=pages("/twin/cases/"),
        ),
        Scenario(
            f"filtered: active, army, {filters['intake_month']}",
            haven=pages("/cases/", lambda: filters),
            twin=pages("/twin/cases/", lambda: filters),
        ),
        Scenario(
            "search by service number",
            haven=searched("/cases/"),
            twin=searched("/twin/cases/"),
        ),
        Scenario("intake: post the identity step", haven=lambda: cw.post(draft_url, identity)),
        Scenario("intake: post the service step", haven=lambda: cw.post(service_url, service)),
    ]

    def check() -> None:
        # The same pages on every side, and the search finds exactly its case.
        for params in ({}, filters):
            expected = codes_on(sup.get("/twin/cases/", params))
            assert codes_on(sup.get("/cases/", params)) == expected, params
        assert codes_on(sup.post("/twin/cases/", search())) == codes_on(sup.post("/cases/", search()))
        assert codes_on(sup.post("/cases/", search())) == [target["search"].fields["code"]]
        # Saved, no duplicate: on to the next step. Both steps, so each later post sees the same draft.
        assert cw.post(draft_url, identity).status_code == 302
        assert cw.post(service_url, service).status_code == 302

    check()
    print(f"Measuring at {SMALL} cases...", flush=True)
    for scenario in scenarios:
        scenario.measure("small")

    print(f"Seeding up to {total:,} cases (Haven and the twin, same values)...", flush=True)
    spent = seed_both(total, caseworkers, verbose=True)
    vacuum()
    haven_seed = spent["generate"] + spent["haven"]
    per_100k = haven_seed / max(1, total - SMALL) * 100_000
    print(
        f"  generating {spent['generate']:.1f} s; writing Haven {spent['haven']:.1f} s (cases, keys, family, needs, "
        f"consents); writing the twin {spent['twin']:.1f} s (cases only)\n"
        f"  Haven seeding: {haven_seed:.1f} s for {total - SMALL:,} cases, {per_100k:.0f} s per 100,000 "
        f"(goal: under 300 s)",
        flush=True,
    )

    target["search"] = search_target(total)
    check()
    print(f"Measuring at {total:,} cases...", flush=True)
    for scenario in scenarios:
        scenario.measure("large")
    profiles = {s.label: profile(s.sides["haven"]) for s in scenarios[:3]}

    report(scenarios, total)
    analyse(scenarios, total, profiles)


def _cell(result: dict[str, Any] | None) -> str:
    return f"{result['ms']:8.1f}" if result else f"{'—':>8}"


def report(scenarios: list[Scenario], total: int) -> None:
    print(f"\nMedian of {RUNS} requests, ms (queries per request at {SMALL} / {total:,} cases)")
    print("haven: the real view; twin: the same view over the plaintext twin (ordinary index on service_number)")
    head = f"{'':36} {'haven':>8} {'twin':>8} {'ratio':>6}   {'queries haven':>13} {'queries twin':>12}"
    print(head)
    print("-" * len(head))
    for scenario in scenarios:
        small, large = scenario.results["small"], scenario.results["large"]
        haven, twin = large["haven"], large.get("twin")
        ratio = f"{haven['ms'] / twin['ms']:5.2f}x" if twin else ""
        haven_q = f"{small['haven']['queries']} / {haven['queries']}"
        twin_q = f"{small['twin']['queries']} / {twin['queries']}" if twin else "—"
        print(f"{scenario.label:36} {_cell(haven)} {_cell(twin)} {ratio:>6}   {haven_q:>13} {twin_q:>12}")
    print(
        f"At {SMALL} cases (haven / twin, ms): "
        + "; ".join(
            f"{s.label} {s.results['small']['haven']['ms']:.1f}"
            + (f" / {s.results['small']['twin']['ms']:.1f}" if "twin" in s.results["small"] else "")
            for s in scenarios
        )
    )
    print("Goals: list and search under 50 ms, at most 1.2x the twin, the same query count at 10 and 100,000 cases.")


def profile(fn: Callable[[], object], runs: int = 10) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        fn()
    profiler.disable()
    return pstats.Stats(profiler, stream=io.StringIO())


def breakdown(stats: pstats.Stats) -> str:
    """How a request's time splits: waiting on SQL, the vault (AES-GCM included), the rest of Python."""
    entries = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    sql = sum(
        v[3] for (file, _, func), v in entries.items() if file.endswith("db/backends/utils.py") and func == "_execute"
    )
    vault = sum(v[2] for (file, _, func), v in entries.items() if "/vault/" in file or "AESGCM" in func)
    return (
        f"SQL {sql / total:4.0%}, vault and AES-GCM {vault / total:4.0%}, other Python {1 - (sql + vault) / total:4.0%}"
        f" of {total * 100:.0f} ms a request (under the profiler)"
    )


def _shape(query: dict[str, str]) -> str:
    """A statement without its values, to compare what runs at two sizes."""
    return re.sub(r"'[^']*'(::\w+)?|\b\d+\b|\"s\d+_x\d+\"", "?", query["sql"])


def analyse(scenarios: list[Scenario], total: int, profiles: dict[str, pstats.Stats]) -> None:
    """Where the time goes: the slowest statements, the list query's plans, a profile of each page."""
    print(f"\nSlowest statements at {total:,} cases (one request; ms as Django's debug cursor timed them)")
    for scenario in scenarios[:3]:
        for side in ("haven", "twin"):
            captured = scenario.results["large"][side]["sql"]
            for query in sorted(captured, key=lambda q: float(q["time"]), reverse=True)[:2]:
                print(f"  {scenario.label} [{side}] {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}...")
    for scenario in scenarios:
        small, large = scenario.results["small"]["haven"], scenario.results["large"]["haven"]
        if small["queries"] != large["queries"]:
            print(
                f"  {scenario.label} [haven]: {small['queries']} queries at {SMALL} cases, "
                f"{large['queries']} at {total:,}:"
            )
            before, after = Counter(map(_shape, small["sql"])), Counter(map(_shape, large["sql"]))
            for shape in sorted(set(before) | set(after)):
                if before[shape] != after[shape]:
                    print(f"    {before[shape]:3} -> {after[shape]:3} x  {shape[:150]}...")

    scenario = scenarios[0]
    for side in ("haven", "twin"):
        slowest = max(scenario.results["large"][side]["sql"], key=lambda q: float(q["time"]))
        print(f"\nEXPLAIN ANALYZE, {scenario.label} [{side}]:\n  {slowest['sql'][:200]}...")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            for (line,) in cursor.fetchall():
                print("   ", line)

    print("\nProfiles, haven side, 10 requests each:")
    for label, stats in profiles.items():
        print(f"  {label}: {breakdown(stats)}")
    label = max(profiles, key=lambda name: profiles[name].total_tt)  # type: ignore[attr-defined]
    out = io.StringIO()
    profiles[label].stream = out  # type: ignore[attr-defined]
    profiles[label].sort_stats("tottime").print_stats(10)
    print(f"\nTop functions by own time, {label} (haven):")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


if __name__ == "__main__":
    total = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CASES", "100000"))
    if total < SMALL * 2:
        raise SystemExit(f"give at least {SMALL * 2} cases")
    with bench_database("cases", ROOT_URLCONF=_urlconf()):
        main(total)
