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


@pytest.fixture
def caseworker(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.CASEWORKER, username="cora")


@pytest.fixture
def cw(client_for, caseworker):  # type: ignore[no-untyped-def]
    return client_for(caseworker)


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
