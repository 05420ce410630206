"""The supervisor's workload per caseworker and the dashboard's counts, at any number of cases.

They are counted live, from partial indexes alone (no table rows read), so they can never
drift from the cases and tasks: each change below is followed by a fresh recount in Python.
"""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from defectors import record as case_services_record
from defectors import services as case_services
from defectors.models import Case
from support import services
from support.dashboard import OPEN, Workload, dashboard
from tests.factories import CaseFactory

TODAY = datetime.date.today()
COUNTED = ("defectors_case", "support_task", "support_placement", "support_assistance")


def recount(day: datetime.date) -> tuple[list[Workload], dict[str, int]]:
    """The workload table and the dashboard's counts, from every row, one by one."""
    cases = list(Case.objects.all())
    tasks = list(services.Task.objects.all())
    live = [case for case in cases if case.status in OPEN and case.shredded_at is None]
    rows = [
        Workload(
            worker.username,
            sum(case.assigned_to_id == worker.pk for case in live),
            sum(
                case.assigned_to_id == worker.pk and bool(case.next_follow_up) and case.next_follow_up < day
                for case in live
            ),
            sum(task.owner_id == worker.pk and task.done_at is None and task.due_on < day for task in tasks),
        )
        for worker in User.objects.filter(role=User.Role.CASEWORKER, is_active=True)
    ]
    counts = {
        "urgent": sum(
            case.urgency == Case.Urgency.URGENT and case.status in [*OPEN, Case.Status.INTAKE] and not case.shredded_at
            for case in cases
        ),
        "overdue": sum(bool(case.next_follow_up) and case.next_follow_up < day for case in live),
    }
    return sorted(rows, key=lambda row: (-row.open_cases, row.username)), counts


def shown(supervisor: User, day: datetime.date) -> tuple[list[Workload], dict[str, int]]:
    context = dashboard(supervisor, today=day)
    return context["workload"], context["counts"]


def test_the_workload_matches_a_recount_after_every_kind_of_change(supervisor, caseworker, outsider):
    first = CaseFactory(created_by=caseworker, urgency=Case.Urgency.URGENT)
    second = CaseFactory(created_by=caseworker)
    CaseFactory(created_by=outsider, status=Case.Status.INTAKE, urgency=Case.Urgency.URGENT)
    steps = {
        "start": lambda: None,
        "assign": lambda: case_services.assign_case(case=second, by=supervisor, caseworker=outsider),
        "reassign": lambda: case_services.assign_case(case=second, by=supervisor, caseworker=caseworker),
        "close": lambda: case_services.change_status(case=first, by=supervisor, status="closed", reason="Settled"),
        "reopen": lambda: case_services.change_status(case=first, by=supervisor, status="reopened"),
        "follow-up": lambda: case_services_record.set_follow_up(case=second, by=caseworker, on=TODAY),
        "add a task": lambda: services.add_task(
            case=second, by=caseworker, fields={"title": "Call", "owner": caseworker, "due_on": TODAY}
        ),
        "complete it": lambda: services.complete_task(task=services.Task.objects.get(), by=caseworker),
        "another task": lambda: services.add_task(
            case=first, by=caseworker, fields={"title": "Visit", "owner": caseworker, "due_on": TODAY}
        ),
    }
    for step, change in steps.items():
        change()
        for day in (TODAY, TODAY + datetime.timedelta(days=2)):  # today, and after a daily run or two
            services.create_reminders(today=day)
            assert shown(supervisor, day) == recount(day), f"after {step}, on {day}"
    workload, counts = shown(supervisor, TODAY + datetime.timedelta(days=2))
    assert workload[0] == Workload(caseworker.username, 2, 1, 1)  # the second case's follow-up, the visit
    assert counts == {"urgent": 2, "overdue": 1}


def test_a_shredded_case_leaves_the_workload(supervisor, admin, caseworker):
    case = CaseFactory(created_by=caseworker, next_follow_up=TODAY - datetime.timedelta(days=1))
    assert shown(supervisor, TODAY)[0][0] == Workload(caseworker.username, 1, 1, 0)
    request = case_services.request_shred(case=case, by=supervisor, reason="Raid")
    case_services.decide_shred(shred_request=request, by=admin, approve=True)
    assert shown(supervisor, TODAY) == recount(TODAY)
    assert shown(supervisor, TODAY)[0][0] == Workload(caseworker.username, 0, 0, 0)


def test_every_count_on_the_dashboard_reads_an_index_alone(sup, supervisor, caseworker, case, shelter):
    """No count reads table rows: with sequential and bitmap scans off, each plan is an index-only scan.

    Counting ``id`` instead of rows (``COUNT(id)``) would make PostgreSQL fetch every row
    (about 80 ms at 100,000 cases, README); the partial indexes hold what the counts need.
    """
    with CaptureQueriesContext(connection) as captured:
        assert sup.get("/support/").status_code == 200
    counts = [
        query["sql"]
        for query in captured.captured_queries
        if "COUNT(" in query["sql"] and any(table in query["sql"] for table in COUNTED)
    ]
    assert len(counts) >= 5  # urgent, overdue, workload (cases, tasks), occupancy, assistance awaiting approval
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for sql in counts:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # The shelters themselves are read (a dozen rows); what is counted is not.
            scans = [line for line in plan.splitlines() if " Scan " in line and " on support_shelter" not in line]
            assert scans and all("Index Only Scan" in line for line in scans), f"{sql}\n{plan}"
