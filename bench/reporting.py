"""Donor reporting benchmark: a snapshot's aggregation and computation at 1,000,000 cases, against
the same aggregates as raw SQL measured in the same run, and the donor's snapshot page.

    make bench-reporting              (1,000,000 cases; make bench-reporting CASES=20000 for a quick run)
    python bench/reporting.py [CASES] [--drop]   (with the test environment's variables, as the Makefile sets them)

The database, test_<name>_bench_reporting, is kept after the run and reused when it
already holds the same number of cases seeded for the same last reportable quarter,
so that a re-run skips seeding; ``--drop`` drops it at the end. Snapshots and frozen
periods are deleted at the start of every run (an approved snapshot freezes its
quarters, which would change the next run's work).

Seeding bypasses the ORM: one ``INSERT ... SELECT generate_series`` per table fills only
the plaintext columns donor reports read (and the NOT NULL ones), every encrypted column
left NULL; each case gets its own data-key row (the key is one OneToOne per case), a copy
of one key made normally. Twelve quarters of intakes up to the last reportable one, and
a month or more after it (not yet reportable, so filtered out): per case three referrals
(about half completed), and for about every second case a placement, a training and
assistance; a debrief for one case in twenty, approved, with an incident and a consent to
testimony (one in twenty of these withdrawn since). Dimensions are skewed and partly
blank, as they are in practice: the navy's officers are a small cell in every quarter.

What is measured, medians of RUNS runs each, Haven and the baseline alternating:
(a) Haven's aggregation: compute.first_quarter_with_data, compute.count_atoms and
    compute.support_quantiles, as compute.compute() calls them;
(b) the baseline: the same aggregates (same groups, filters, bounds and time zone) as
    raw SQL ``GROUP BY`` written by hand, one statement per population as Haven has;
    the results are checked equal to Haven's;
(c) a whole snapshot computation the way the worker runs it (services.start_draft, the
    Celery task run eagerly in this process, services.run_computation), its
    compute_seconds and, separately, solver_seconds (disclosure control);
(d) the donor's page of that snapshot once proposed and approved (services.propose and
    services.approve by a supervisor and a different administrator): whole requests
    through Django's test Client as a signed-in donor (both factors), median of PAGE_RUNS,
    with the query count.
BENCH_EXPLAIN=1 prints EXPLAIN ANALYZE of Haven's and the baseline's slowest statements.
Not part of the test suite.
"""

from __future__ import annotations

import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from charts import svg  # noqa: E402
from config.celery import app as celery_app  # noqa: E402
from debriefing.models import DebriefSession, Incident  # noqa: E402
from defectors.models import Case, Consent  # noqa: E402
from reporting import compute, services  # noqa: E402
from reporting.models import PublishedPeriod, Snapshot  # noqa: E402
from reporting.tables import (  # noqa: E402
    POPULATIONS,
    TABLES,
    QuantileTable,
    last_closed_quarter,
    quarter_end,
    quarter_of,
    quarter_start,
    quarters_between,
)
from support.models import (  # noqa: E402
    Assistance,
    Placement,
    Provider,
    Referral,
    Shelter,
    TrainingEnrolment,
)
from tests.conftest import login_with_mfa  # noqa: E402
from tests.factories import UserFactory, standard_template  # noqa: E402
from vault.models import DataKey  # noqa: E402

RUNS = 5  # aggregation, Haven and raw SQL each
COMPUTE_RUNS = 3
PAGE_RUNS, WARM_UP = 50, 3
QUARTERS = 12
MARKER = "bench_reporting_seed"


# --- Seeding -------------------------------------------------------------------------------------


def seeded_as(cases: int, last: str) -> bool:
    """Whether the database already holds this benchmark's data for ``cases`` and ``last``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(f"SELECT cases, last_quarter FROM {MARKER}")
        return cursor.fetchone() == (cases, last)


def people() -> dict[str, User]:
    """The benchmark's users, made once (with a TOTP authenticator each, as every Haven user has)."""
    roles = {
        "caseworker": User.Role.CASEWORKER,
        "supervisor": User.Role.SUPERVISOR,
        "admin": User.Role.ADMIN,
        "donor": User.Role.DONOR,
        "debriefer": User.Role.DEBRIEFER,
    }
    out: dict[str, User] = {}
    for name, role in roles.items():
        username = f"bench-{name}"
        out[name] = User.objects.filter(username=username).first() or UserFactory.create(role=role, username=username)
    return out


def _tables() -> dict[str, str]:
    models = {
        "key": DataKey, "case": Case, "consent": Consent, "referral": Referral, "placement": Placement,
        "training": TrainingEnrolment, "assistance": Assistance, "session": DebriefSession, "incident": Incident,
    }  # fmt: skip
    return {name: model._meta.db_table for name, model in models.items()}


# Skewed dimensions, as cumulative thresholds over one random number: (upper bound, value).
BRANCHES = [(0.58, "army"), (0.78, "police"), (0.85, "air_force"), (0.88, "navy"), (0.91, "other"), (1, "")]
RANK_BANDS = [(0.62, "enlisted"), (0.80, "nco"), (0.86, "officer"), (1, "")]
SERVICES = [
    (0.25, "shelter"), (0.45, "food_cash"), (0.60, "training"), (0.72, "mental_health"), (0.82, "medical"),
    (0.90, "legal"), (0.97, "livelihood"), (1, "family_protection"),
]  # fmt: skip
VIOLATIONS = [
    (0.30, "arbitrary_detention"), (0.50, "torture"), (0.62, "forced_displacement"), (0.74, "property_destruction"),
    (0.84, "attack_on_civilians"), (0.91, "killing"), (0.95, "sexual_violence"), (0.98, "child_soldiers"),
    (1, "other"),
]  # fmt: skip
# A referral's status by its position among the case's three: earlier ones are more often completed.
REFERRAL_STATUSES = [(0.55, "completed"), (0.70, "in_progress"), (0.80, "accepted"), (0.88, "sent"),
                     (0.94, "declined"), (1, "cancelled")]  # fmt: skip


def _pick(column: str, choices: list[tuple[float, str]]) -> str:
    """A SQL CASE giving the value whose band of [0, 1) holds ``column``."""
    whens = " ".join(f"WHEN {column} < {bound} THEN '{value}'" for bound, value in choices[:-1])
    return f"CASE {whens} ELSE '{choices[-1][1]}' END"


def seed(cases: int, last: str, who: dict[str, User]) -> dict[str, int]:
    """Fill the reports' plaintext columns with ``cases`` cases; returns rows written per table."""
    tz = settings.TIME_ZONE
    t = _tables()
    first_day = quarter_start(quarters_back(last, QUARTERS - 1))
    # Intakes run to today: the months after ``last`` are not reportable yet (the bounds leave them out).
    now = timezone.now()
    span = now - datetime.datetime.combine(first_day, datetime.time(), tzinfo=timezone.get_current_timezone())
    template = standard_template()
    provider = Provider(name="Bench provider", services=["shelter", "training"], contact="Signal")  # type: ignore[misc]
    provider.save()
    shelter = Shelter(name="Bench shelter", address="Somewhere", beds=1000)
    shelter.save()
    key = DataKey.objects.organisation()
    assert key.wrapped is not None
    params: dict[str, Any] = {
        "n": cases,
        "start": datetime.datetime.combine(first_day, datetime.time(), tzinfo=timezone.get_current_timezone()),
        "seconds": span.total_seconds(),
        "kek": key.kek_id,
        "wrapped": bytes(key.wrapped),
        "user": who["caseworker"].pk,
        "debriefer": who["debriefer"].pk,
        "supervisor": who["supervisor"].pk,
        "provider": provider.pk,
        "shelter": shelter.pk,
        "template": template.pk,
        "tz": tz,
        "today": timezone.localdate(),
    }
    local = "AT TIME ZONE %(tz)s"
    statements = {
        "keys": f"""
            INSERT INTO {t["key"]} (id, purpose, kek_id, wrapped, created_at)
            SELECT md5('bench-key-' || n)::uuid, 'owner', %(kek)s, %(wrapped)s, now()
            FROM generate_series(1, %(n)s) n""",
        # One in a hundred is a draft intake: not taken in yet, so not counted.
        "cases": f"""
            INSERT INTO {t["case"]} (
                id, data_key_id, code, status, urgency, assigned_to_id, created_by_id, created_at, updated_at,
                intake_submitted_at, intake_steps_saved, intake_month, branch, rank_band, region_of_origin, sex,
                threat_to_defector, threat_to_family)
            SELECT md5('bench-case-' || n)::uuid, md5('bench-key-' || n)::uuid, 'RB' || lpad(n::text, 9, '0'),
                CASE WHEN draft THEN 'intake' ELSE 'active' END, 'normal', %(user)s, %(user)s, at, at,
                CASE WHEN draft THEN NULL ELSE at END, '[]', date_trunc('month', at {local})::date,
                {_pick("r_branch", BRANCHES)}, {_pick("r_rank", RANK_BANDS)}, '', '', '', ''
            FROM (
                SELECT n, random() < 0.01 AS draft, random() AS r_branch, random() AS r_rank,
                    %(start)s::timestamptz + sqrt(random()) * %(seconds)s * interval '1 second' AS at
                FROM generate_series(1, %(n)s) n
            ) s""",
        "referrals": f"""
            INSERT INTO {t["referral"]} (
                id, case_id, provider_id, service_type, status, version, status_changed_at, created_by_id,
                created_at, shared_fields)
            SELECT gen_random_uuid(), id, %(provider)s, {_pick("r_service", SERVICES)},
                {_pick("r_status * (0.6 + 0.2 * k)", REFERRAL_STATUSES)}, 1,
                least(now(), at + (k * 10 + random() * 200) * interval '1 day'), %(user)s, at, '[]'
            FROM (
                SELECT c.id, c.intake_submitted_at AS at, k, random() AS r_service, random() AS r_status
                FROM {t["case"]} c, generate_series(1, 3) k WHERE c.intake_submitted_at IS NOT NULL
            ) s""",
        # Most stays are over; one in twenty is open (at most one open stay per case).
        "placements": f"""
            INSERT INTO {t["placement"]} (
                id, case_id, shelter_id, checked_in_on, expected_end, checked_out_on, created_by_id, created_at)
            SELECT gen_random_uuid(), id, %(shelter)s, day, day + 90,
                CASE WHEN random() < 0.05 THEN NULL ELSE least(%(today)s, day + (10 + random() * 110)::int) END,
                %(user)s, now()
            FROM (
                SELECT id, least(%(today)s, (intake_submitted_at {local})::date + (random() * 60)::int) AS day
                FROM {t["case"]} WHERE intake_submitted_at IS NOT NULL AND random() < 0.5
            ) s""",
        "trainings": f"""
            INSERT INTO {t["training"]} (
                id, case_id, provider_id, starts_on, ends_on, completed, certificate_received, created_by_id)
            SELECT gen_random_uuid(), id, %(provider)s, day, ends,
                coalesce(ends <= %(today)s, false) AND random() < 0.8, false, %(user)s
            FROM (
                SELECT id, day, CASE WHEN random() < 0.1 THEN NULL ELSE day + (30 + random() * 60)::int END AS ends
                FROM (
                    SELECT id, (intake_submitted_at {local})::date + (30 + random() * 170)::int AS day
                    FROM {t["case"]} WHERE intake_submitted_at IS NOT NULL AND random() < 0.5
                ) d
            ) s""",
        # One in ten needed a supervisor's approval; half of those were approved.
        "assistance": f"""
            INSERT INTO {t["assistance"]} (
                id, case_id, kind, amount, currency, given_on, created_by_id, needs_approval, approved_by_id,
                approved_at)
            SELECT gen_random_uuid(), id, 'cash', 100, 'USD',
                least(%(today)s, (intake_submitted_at {local})::date + (random() * 90)::int), %(user)s,
                r < 0.1, CASE WHEN r < 0.05 THEN %(supervisor)s END,
                CASE WHEN r < 0.05 THEN intake_submitted_at + interval '100 days' END
            FROM (
                SELECT id, intake_submitted_at, random() AS r
                FROM {t["case"]} WHERE intake_submitted_at IS NOT NULL AND random() < 0.5
            ) s""",
        # One case in twenty debriefed and approved, one in a hundred still under way.
        "debriefs": f"""
            INSERT INTO {t["session"]} (
                id, case_id, template_id, debriefer_id, scheduled_by_id, scheduled_for, status, created_at,
                submitted_at, approved_at, answered, questions)
            SELECT gen_random_uuid(), id, %(template)s, %(debriefer)s, %(supervisor)s, (at {local})::date,
                CASE WHEN approved THEN 'approved' ELSE 'in_progress' END, at, CASE WHEN approved THEN at END,
                CASE WHEN approved THEN least(now(), at + random() * interval '60 days') END, 0, 0
            FROM (
                SELECT id, intake_submitted_at + interval '20 days' AS at, random() < 5 / 6.0 AS approved
                FROM {t["case"]} WHERE intake_submitted_at IS NOT NULL AND random() < 0.06
            ) s""",
        "incidents": f"""
            INSERT INTO {t["incident"]} (id, session_id, violation, created_by_id, created_at)
            SELECT gen_random_uuid(), id, {_pick("random()", VIOLATIONS)}, %(debriefer)s, now()
            FROM {t["session"]} WHERE status = 'approved'""",
        "consents": f"""
            INSERT INTO {t["consent"]} (case_id, kind, given_on, method, recorded_by_id, withdrawn_on)
            SELECT case_id, 'testimony', scheduled_for, 'verbal', %(user)s,
                CASE WHEN random() < 0.05 THEN scheduled_for + 30 END
            FROM {t["session"]} WHERE status = 'approved'""",
    }
    written = {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.13)")
        for label, sql in statements.items():
            started = time.perf_counter()
            cursor.execute(sql, params)
            written[label] = cursor.rowcount
            print(f"  {label:12} {cursor.rowcount:>10,} rows  {time.perf_counter() - started:6.1f} s", flush=True)
        for table in t.values():
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(f"CREATE TABLE {MARKER} (cases integer, last_quarter text)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s, %s)", [cases, last])
    return written


def quarters_back(quarter: str, n: int) -> str:
    """The quarter ``n`` quarters before ``quarter``."""
    day = quarter_start(quarter)
    for _ in range(n):
        day = quarter_start(quarter_of(day - datetime.timedelta(days=1)))
    return quarter_of(day)


# --- (a) Haven's aggregation and (b) the same aggregates by hand --------------------------------


def quantile_years(quarters: list[str]) -> list[str]:
    """The years compute() asks quantiles for: those whose four quarters are all covered."""
    declared = next(table for table in TABLES if isinstance(table, QuantileTable))
    return list(compute._periods(declared, quarters))


def haven_aggregates(last: str) -> tuple[str, dict[str, int], dict[str, tuple[int, list[float]]]]:
    """What compute.compute() asks the database, in its order."""
    first = compute.first_quarter_with_data(last) or last
    counts = compute.count_atoms(first, last)
    quantiles = compute.support_quantiles(quantile_years(quarters_between(first, last)))
    return first, counts, quantiles


# The baseline, written by hand: the same populations, filters, bounds (local midnight for
# timestamps, as reporting.compute._bounds) and quarters (in the local time zone, as
# TruncQuarter under USE_TZ). {name} are table names, %(...)s parameters.
FIRST_SUPPORT = """
    SELECT c.intake_submitted_at AS intake, f.first
    FROM (SELECT case_id, min(status_changed_at) AS first FROM {referral} WHERE status = 'completed' GROUP BY case_id) f
    JOIN {case} c ON c.id = f.case_id
    WHERE c.intake_submitted_at IS NOT NULL AND f.first >= %(start)s AND f.first < %(end)s"""
TESTIMONY_HOLDS = """EXISTS (SELECT 1 FROM {consent} k WHERE k.case_id = s.case_id AND k.kind = 'testimony'
    AND k.withdrawn_on IS NULL)"""
# population: (period column, kind of column, FROM and WHERE without the period's bounds, dimensions, counted)
RAW_POPULATIONS: dict[str, tuple[str, str, str, list[str], str]] = {
    "cases": ("intake_month", "date", "{case} WHERE intake_submitted_at IS NOT NULL", ["branch", "rank_band"],
              "count(*)"),
    "referrals": ("status_changed_at", "datetime", "{referral} WHERE status = 'completed'", ["service_type"],
                  "count(*)"),
    "placed": ("checked_in_on", "date", "{placement} WHERE true", [], "count(DISTINCT case_id)"),
    "trained": ("ends_on", "date", "{training} WHERE completed AND ends_on IS NOT NULL", [], "count(DISTINCT case_id)"),
    "assisted": ("given_on", "date", "{assistance} WHERE (NOT needs_approval OR approved_at IS NOT NULL)", [],
                 "count(DISTINCT case_id)"),
    "debriefs": ("approved_at", "datetime", "{session} WHERE status = 'approved'", [], "count(*)"),
    "incidents": ("s.approved_at", "datetime",
                  "{incident} i JOIN {session} s ON s.id = i.session_id "
                  "WHERE s.status = 'approved' AND " + TESTIMONY_HOLDS,
                  ["i.violation"], "count(*)"),
}  # fmt: skip


def _raw_bounds(kind: str, first: str, last: str) -> dict[str, Any]:
    start, end = quarter_start(first), quarter_end(last) + datetime.timedelta(days=1)
    if kind == "datetime":
        tz = timezone.get_current_timezone()
        return {
            "start": datetime.datetime.combine(start, datetime.time(), tzinfo=tz),
            "end": datetime.datetime.combine(end, datetime.time(), tzinfo=tz),
        }
    return {"start": start, "end": end}


def _quarter_sql(column: str, kind: str) -> str:
    local = f"{column} AT TIME ZONE %(tz)s" if kind == "datetime" else column
    return f"date_trunc('quarter', {local})::date"


def raw_first_quarter(cursor: Any, last: str) -> str | None:
    t = _tables()
    firsts = []
    for column, kind, source, _dims, _counted in RAW_POPULATIONS.values():
        cursor.execute(
            f"SELECT min({column}) FROM {source.format(**t)} AND {column} >= %(start)s AND {column} < %(end)s",
            _raw_bounds(kind, "1900-Q1", last),
        )
        firsts.append((cursor.fetchone()[0], kind))
    # Not first support: its rows are completed referrals, which start no earlier (as Haven reasons).
    days = [timezone.localtime(value).date() if kind == "datetime" else value for value, kind in firsts if value]
    return quarter_of(min(days)) if days else None


def raw_counts(cursor: Any, first: str, last: str) -> dict[str, int]:
    t = _tables()
    counts: dict[str, int] = {}
    statements = {
        name: (
            f"SELECT {_quarter_sql(column, kind)}, {''.join(d + ', ' for d in dims)}{counted} "
            f"FROM {source.format(**t)} AND {column} >= %(start)s AND {column} < %(end)s "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(dims) + 1))}",
            kind,
        )
        for name, (column, kind, source, dims, counted) in RAW_POPULATIONS.items()
    }
    for name, (sql, kind) in statements.items():
        cursor.execute(sql, {**_raw_bounds(kind, first, last), "tz": settings.TIME_ZONE})
        for quarter, *values, n in cursor.fetchall():
            counts["|".join([name, quarter_of(quarter), *[value or "" for value in values]])] = n
    return counts


def raw_quantiles(cursor: Any, years: list[str]) -> dict[str, tuple[int, list[float]]]:
    if not years:
        return {}
    days = "EXTRACT(epoch FROM first - intake) / 86400.0"
    # The year in the local time zone, as Haven's (ExtractYear under USE_TZ).
    cursor.execute(
        "SELECT EXTRACT(YEAR FROM first AT TIME ZONE %(tz)s), count(*), "
        + ", ".join(f"percentile_cont({q}) WITHIN GROUP (ORDER BY {days})" for q in compute.QUANTILES)
        + f" FROM ({FIRST_SUPPORT.format(**_tables())}) p GROUP BY 1",
        {**_raw_bounds("datetime", f"{min(years)}-Q1", f"{max(years)}-Q4"), "tz": settings.TIME_ZONE},
    )
    return {str(int(year)): (n, list(values)) for year, n, *values in cursor.fetchall()}


def raw_aggregates(last: str) -> tuple[str, dict[str, int], dict[str, tuple[int, list[float]]]]:
    with connection.cursor() as cursor:
        first = raw_first_quarter(cursor, last) or last
        counts = raw_counts(cursor, first, last)
        quantiles = raw_quantiles(cursor, quantile_years(quarters_between(first, last)))
    return first, counts, quantiles


def same(haven: tuple[str, dict[str, int], dict[str, tuple[int, list[float]]]], raw: tuple[Any, ...]) -> None:
    """The baseline computes exactly what Haven does (else the comparison means nothing)."""
    assert haven[0] == raw[0], (haven[0], raw[0])
    if haven[1] != raw[1]:
        differ = sorted(k for k in haven[1].keys() | raw[1].keys() if haven[1].get(k) != raw[1].get(k))
        examples = [(k, haven[1].get(k), raw[1].get(k)) for k in differ[:5]]
        raise AssertionError(f"{len(differ)} atoms differ, for example {examples}")
    assert haven[2].keys() == raw[2].keys(), (haven[2], raw[2])
    for year, (people, values) in haven[2].items():
        assert people == raw[2][year][0], (year, people, raw[2][year])
        assert all(abs(a - b) < 1e-6 for a, b in zip(values, raw[2][year][1], strict=True)), (
            year,
            values,
            raw[2][year],
        )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def statements(fn: Callable[[], Any]) -> list[dict[str, str]]:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return list(queries.captured_queries)


def statement_labels() -> list[str]:
    """What each of the 17 statements is, in the order both sides run them."""
    return [
        *(f"first date: {name}" for name, population in POPULATIONS.items() if not population.within),
        *(f"counts: {name}" for name in POPULATIONS),
        "quartiles: first_support",
    ]


def breakdown(haven: list[dict[str, str]], raw: list[dict[str, str]]) -> None:
    """Each statement's time on each side, one run (as Django's debug cursor timed them)."""
    labels = statement_labels()
    if not len(haven) == len(raw) == len(labels):
        print(f"\n{len(haven)} statements (Haven) and {len(raw)} (raw SQL): not the expected {len(labels)}")
        return
    print("\nStatements, one run each, ms:")
    print(f"  {'':32} {'Haven':>8} {'raw SQL':>8}")
    for label, ours, theirs in zip(labels, haven, raw, strict=True):
        print(f"  {label:32} {float(ours['time']) * 1000:8.0f} {float(theirs['time']) * 1000:8.0f}")
    total = [sum(float(q["time"]) for q in side) * 1000 for side in (haven, raw)]
    print(f"  {'sum':32} {total[0]:8.0f} {total[1]:8.0f}")


def explain(label: str, captured: list[dict[str, str]], top: int) -> None:
    for query in sorted(captured, key=lambda q: -float(q["time"]))[:top]:
        print(f"\nEXPLAIN ANALYZE, {label}, {float(query['time']) * 1000:.0f} ms:\n  {query['sql'][:400]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall():
                print("   ", line)


# --- (c) the snapshot and (d) the donor's page -------------------------------------------------


def computed_snapshot(supervisor: User) -> tuple[float, Snapshot]:
    """A draft the worker's way: start_draft queues the task, run eagerly here (run_computation).

    The chart renderer's cache is emptied first: each run renders its charts, as a new draft would.
    """
    svg._render.cache_clear()
    seconds, snapshot = timed(lambda: services.start_draft(by=supervisor))
    snapshot.refresh_from_db()
    assert snapshot.status == Snapshot.Status.DRAFT, (snapshot.status, snapshot.error)
    return seconds, snapshot


def median_ms(fn: Callable[[], object], runs: int) -> float:
    for _ in range(WARM_UP):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(total: int, last: str) -> None:
    with connection.cursor() as cursor:
        # Earlier runs' snapshots: an approved one froze its quarters.
        cursor.execute(f"DELETE FROM {PublishedPeriod._meta.db_table}")
        cursor.execute(f"DELETE FROM {Snapshot._meta.db_table}")
    who = people()
    if seeded_as(total, last):
        print(f"Reusing the database seeded with {total:,} cases up to {last}.", flush=True)
    else:
        print(f"Seeding {total:,} cases over {QUARTERS} quarters up to {last} and the months since...", flush=True)
        spent, _rows = timed(lambda: seed(total, last, who))
        print(f"  seeded in {spent:.0f} s (VACUUM ANALYZE included)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    rows = {
        "cases": Case.objects.filter(intake_submitted_at__isnull=False).count(),
        "referrals": Referral.objects.count(),
        "completed referrals": Referral.objects.filter(status=Referral.Status.COMPLETED).count(),
        "placements": Placement.objects.count(),
        "trainings": TrainingEnrolment.objects.count(),
        "assistance": Assistance.objects.count(),
        "approved debriefs": DebriefSession.objects.filter(status=DebriefSession.Status.APPROVED).count(),
        "incidents": Incident.objects.count(),
    }
    print("  " + ", ".join(f"{n:,} {label}" for label, n in rows.items()) + f"; database {size}", flush=True)

    # (a) and (b), alternating, the first round a warm-up (and the check that both agree).
    haven, raw = haven_aggregates(last), raw_aggregates(last)
    same(haven, raw)
    print(
        f"\nAggregates agree: {len(haven[1]):,} atoms with a count, quarters {haven[0]} to {last}, "
        f"quantile years {sorted(haven[2])}",
        flush=True,
    )
    haven_s, raw_s = [], []
    for _ in range(RUNS):
        haven_s.append(timed(lambda: haven_aggregates(last))[0])
        raw_s.append(timed(lambda: raw_aggregates(last))[0])
    haven_captured, raw_captured = statements(lambda: haven_aggregates(last)), statements(lambda: raw_aggregates(last))

    # (c): each run a new draft (nothing published yet, so each run does the same work).
    runs = [computed_snapshot(who["supervisor"]) for _ in range(COMPUTE_RUNS)]
    snapshot = runs[-1][1]
    wall = statistics.median(seconds for seconds, _s in runs)
    compute_s = statistics.median(s.compute_seconds or 0.0 for _w, s in runs)
    solver_s = statistics.median(s.solver_seconds or 0.0 for _w, s in runs)
    suppressed = sum(1 for _key, _atoms, state, _value in snapshot.cells if state in ("primary", "complementary"))
    # Part of compute_seconds: every table's chart in every language (vl-convert), rendered once per snapshot.
    svg._render.cache_clear()
    charts_s = timed(lambda: [compute._charts(snapshot, language) for language, _name in settings.LANGUAGES])[0]

    # (d): published by a supervisor and a different administrator, read by a donor.
    services.propose(snapshot=snapshot, by=who["supervisor"])
    services.approve(snapshot=snapshot, by=who["admin"])
    donor = login_with_mfa(Client(), who["donor"])
    url = reverse("reporting:report", args=[snapshot.pk])

    def page() -> object:
        response = donor.get(url)
        assert response.status_code == 200, response.status_code
        return response

    size_kb = len(page().content) / 1024  # type: ignore[attr-defined]
    page_queries = len(statements(page))
    page_ms = median_ms(page, PAGE_RUNS)

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [page() for _ in range(20)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)

    h, r = statistics.median(haven_s), statistics.median(raw_s)
    print(f"\nAt {total:,} cases, medians ({RUNS} runs of the aggregation, {COMPUTE_RUNS} computations):")
    print(f"  (a) Haven's aggregation (first quarter, count_atoms, quantiles) {h:8.2f} s   "
          f"{len(haven_captured)} statements   runs {', '.join(f'{s:.2f}' for s in haven_s)}")  # fmt: skip
    print(f"  (b) the same as raw SQL GROUP BY by hand                         {r:8.2f} s   "
          f"{len(raw_captured)} statements   runs {', '.join(f'{s:.2f}' for s in raw_s)}")  # fmt: skip
    print(f"      ratio (a) / (b): {h / r:.2f}x (goal: at most 1.2x)")
    print(
        f"  (c) a snapshot computed: {compute_s:.2f} s (compute_seconds; {wall:.2f} s from start_draft to the "
        f"saved draft), of which the disclosure-control solver {solver_s:.2f} s; {len(snapshot.cells):,} cells, "
        f"{suppressed:,} suppressed; its charts take {charts_s:.2f} s of it"
    )
    print(
        f"      goal: at most 1.2 x raw SQL + solver = {1.2 * r + solver_s:.2f} s: "
        f"{'met' if compute_s <= 1.2 * r + solver_s else 'NOT met'}; without rendering the charts "
        f"{compute_s - charts_s:.2f} s: {'met' if compute_s - charts_s <= 1.2 * r + solver_s else 'NOT met'}"
    )
    print(f"  (d) the donor's page of the published snapshot: {page_ms:.1f} ms median of {PAGE_RUNS}, "
          f"{page_queries} queries, {size_kb:.0f} KB (goal: under 20 ms)")  # fmt: skip

    breakdown(haven_captured, raw_captured)
    if os.environ.get("BENCH_EXPLAIN"):
        explain("Haven", haven_captured, 3)
        explain("raw SQL", raw_captured, 2)


def open_database(total: int, last: str) -> str:
    """Switch to the benchmark's database: reused when seeded as asked, else made anew; the old name."""
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{connection.settings_dict['NAME']}_bench_reporting"
    # serialize=False: Django would otherwise read the whole (reused) database into memory.
    old_name = connection.creation.create_test_db(verbosity=0, serialize=False, keepdb=True)
    if not seeded_as(total, last):
        connection.creation.destroy_test_db(old_name, verbosity=0)
        old_name = connection.creation.create_test_db(verbosity=0, serialize=False)
    return old_name


if __name__ == "__main__":
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    drop = "--drop" in sys.argv[1:]
    total = int(args[0] if args else 1_000_000)
    if total < 1000:
        raise SystemExit("give at least 1,000 cases")
    last = last_closed_quarter(timezone.localdate(), lag_months=settings.HAVEN_REPORT_LAG_MONTHS)
    setup_test_environment()
    old_name = open_database(total, last)
    # The worker's task runs here, in this process: start_draft's on_commit runs run_computation.
    celery_app.conf.task_always_eager = True
    overrides = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    overrides.enable()
    try:
        main(total, last)
    finally:
        overrides.disable()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=not drop)
        connections.close_all()
        print(f"\nDatabase {'dropped' if drop else 'kept for the next run (--drop drops it)'}.")
