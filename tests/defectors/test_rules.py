"""Rules stated once: the page that offers an action and the service that performs it cannot disagree."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from defectors import services
from defectors.models import Case
from tests.factories import CaseFactory


def offered_statuses(page: str) -> set[str]:
    return set(re.findall(r'name="status" value="([a-z]+)"', page))


def accepted_statuses(case: Case, by: User) -> set[str]:
    """Every status the service moves this case to (each tried, then rolled back)."""
    accepted = set()
    for status in Case.Status.values:
        if status == case.status:
            continue  # resending the current status is a no-op, not a change
        try:
            with transaction.atomic():
                services.change_status(case=case, by=by, status=status, reason="a reason")
                accepted.add(status)
                transaction.set_rollback(True)
        except ValidationError:
            pass
    return accepted


@pytest.mark.parametrize("status", Case.Status.values)
@pytest.mark.parametrize("shredded", [False, True])
def test_the_case_page_offers_exactly_the_status_changes_the_service_accepts(cw, caseworker, status, shredded):
    case = CaseFactory(created_by=caseworker, status=status)
    if shredded:
        Case.objects.filter(pk=case.pk).update(shredded_at=datetime.datetime.now(datetime.UTC))
        case.refresh_from_db()
    page = cw.get(case.get_absolute_url()).content.decode()
    offered = offered_statuses(page)
    assert offered == accepted_statuses(case, caseworker)
    assert offered == set(case.next_statuses())
    assert Case.objects.get(pk=case.pk).status == status  # the tries were rolled back


def test_every_status_but_intake_can_be_left():
    """The table covers every status: a new one added to Status without a rule fails here."""
    for status in Case.Status.values:
        case = Case(status=status)
        assert bool(case.next_statuses()) is (status != Case.Status.INTAKE), status


SEARCHES = [
    ({"service_number": "BA-000001"}, {"HV-AAAA-AAA3"}),
    ({"full_name": "Aung Min", "date_of_birth": datetime.date(1990, 1, 2)}, {"HV-AAAA-AAA3", "HV-AAAA-AAA4"}),
    (
        {"service_number": "BA-000002", "full_name": "Aung Min", "date_of_birth": datetime.date(1990, 1, 2)},
        {"HV-AAAA-AAA4"},
    ),
    ({"service_number": "BA-000003", "full_name": "Aung Min", "date_of_birth": datetime.date(1990, 1, 2)}, set()),
    ({"full_name": "Aung Min", "date_of_birth": datetime.date(1990, 1, 3)}, set()),
]


@pytest.fixture
def same_people_twice(caseworker):  # type: ignore[no-untyped-def]
    """Three people as Haven's cases and as the benchmark's plaintext twin rows."""
    from tests.vaultapp.models import PlainCase

    people = [
        ("HV-AAAA-AAA3", "BA-000001", "Aung Min", datetime.date(1990, 1, 2)),
        ("HV-AAAA-AAA4", "BA-000002", "Aung Min", datetime.date(1990, 1, 2)),
        ("HV-AAAA-AAA6", "BA-000003", "Su Su", datetime.date(1990, 1, 2)),
    ]
    for code, number, name, born in people:
        values = {"service_number": number, "full_name": name, "date_of_birth": born}
        CaseFactory(created_by=caseworker, code=code, **values)
        PlainCase.objects.create(created_by=caseworker, code=code, intake_month=datetime.date(2024, 1, 1), **values)
    return PlainCase


@pytest.mark.parametrize(("criteria", "expected"), SEARCHES)
def test_the_case_list_and_the_benchmark_twin_search_by_one_rule(cw, same_people_twice, criteria, expected):
    from defectors.search import search_cases

    assert {case.code for case in search_cases(Case.objects.all(), **criteria)} == expected
    assert {case.code for case in search_cases(same_people_twice.objects.all(), **criteria)} == expected
    sent = {name: str(value) for name, value in criteria.items()}
    page = cw.post("/cases/", sent).content.decode()
    assert set(re.findall(r"HV-AAAA-AAA\d", page)) == expected


def test_the_view_and_the_benchmark_call_the_shared_search_and_filters():
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in (root / "defectors/views/cases.py", root / "bench/cases.py"):
        tree = ast.parse(path.read_text())
        called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and hasattr(node.func, "id")}
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert {"search_cases", "filter_cases"} <= called, path
        assert not {name for name in defined if name.startswith(("_twin_", "_search", "_filter"))}, path


def still_needed_on(page: str) -> list[str]:
    listed = re.search(r"<ul data-still-needed>(.*?)</ul>", page, re.S)
    return re.findall(r"<li>(.*?)</li>", listed.group(1)) if listed else []


@pytest.mark.parametrize(
    ("values", "consent", "withdrawn"),
    [
        ({"full_name": "", "other_names": ""}, False, False),
        ({"full_name": "Aung Min", "other_names": ""}, False, False),
        ({"full_name": "", "other_names": ""}, True, False),
        ({"full_name": "", "other_names": "Ko Aung"}, True, False),
        ({"full_name": "Aung Min", "other_names": ""}, True, True),
        ({"full_name": "Aung Min", "other_names": ""}, True, False),
    ],
)
def test_the_review_page_lists_exactly_what_stops_the_service_opening_the_intake(
    cw, caseworker, values, consent, withdrawn
):
    case = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE, consent=consent, **values)
    if withdrawn:
        case.consents.update(withdrawn_on=datetime.date.today())
    listed = still_needed_on(cw.get(f"/cases/{case.code}/intake/review/").content.decode())
    try:
        with transaction.atomic():
            services.submit_intake(case=case, by=caseworker)
            transaction.set_rollback(True)
        refused: list[str] = []
    except ValidationError as error:
        refused = error.messages
    assert listed == refused
    assert bool(refused) is not (bool(values["full_name"] or values["other_names"]) and consent and not withdrawn)
