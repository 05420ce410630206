"""A double click on a support form writes one row: each form carries a one-time token.

The token is also no key to anyone else's row: sent with another case, or by another
person, it is refused and nothing is written.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from audit.models import AuditEvent
from support.models import Assistance, Goal, Referral, ReferralEvent, Task
from tests.factories import CaseFactory

TODAY = datetime.date.today().isoformat()


def forms(provider: Any, owner: Any) -> list[tuple[str, type, str, dict[str, str]]]:
    """(path, model, audit action, body without the token) for each form that creates a row."""
    return [
        ("refer/", Referral, "support.referral.created",
         {"referral-service_type": "shelter", "referral-provider": str(provider.pk), "referral-note": "Needs a bed"}),
        ("assistance/", Assistance, "support.assistance.created",
         {"assistance-kind": "cash", "assistance-amount": "500", "assistance-currency": "THB",
          "assistance-given_on": TODAY, "assistance-purpose": "Rent"}),
        ("goals/", Goal, "support.goal.created", {"goal-title": "Find work", "goal-target_date": TODAY}),
        ("tasks/", Task, "support.task.created",
         {"task-title": "Call the garage", "task-owner": owner.username, "task-due_on": TODAY}),
    ]  # fmt: skip


def url(case: Any, path: str) -> str:
    return f"/support/cases/{case.code}/{path}"


def with_token(path: str, body: dict[str, str], token: uuid.UUID) -> dict[str, str]:
    prefix = next(iter(body)).split("-")[0]
    return {**body, f"{prefix}-token": str(token)}


@pytest.mark.parametrize("index", range(4), ids=["referral", "assistance", "goal", "task"])
def test_posting_the_same_form_twice_writes_one_row_and_one_event(cw, case, caseworker, provider, index):
    path, model, action, body = forms(provider, caseworker)[index]
    token = uuid.uuid4()
    first = cw.post(url(case, path), with_token(path, body, token))
    second = cw.post(url(case, path), with_token(path, body, token))
    assert first.status_code == second.status_code == 302
    assert model.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action=action, object_ref=case.code).count() == 1
    if model is Referral:
        assert ReferralEvent.objects.count() == 1


@pytest.mark.parametrize("index", range(4), ids=["referral", "assistance", "goal", "task"])
def test_a_new_token_writes_a_second_row(cw, case, caseworker, provider, index):
    path, model, _action, body = forms(provider, caseworker)[index]
    cw.post(url(case, path), with_token(path, body, uuid.uuid4()))
    cw.post(url(case, path), with_token(path, body, uuid.uuid4()))
    assert model.objects.filter(case=case).count() == 2


def test_the_page_hands_out_a_fresh_token_for_each_form(cw, case, provider):
    first = cw.get(url(case, "")).content.decode()
    second = cw.get(url(case, "")).content.decode()
    for name in ("referral-token", "assistance-token", "goal-token", "task-token"):
        assert f'name="{name}"' in first
    assert first != second  # new tokens each time the page is shown


@pytest.mark.parametrize("index", range(4), ids=["referral", "assistance", "goal", "task"])
def test_a_token_from_another_case_is_refused(cw, case, caseworker, provider, index):
    path, model, action, body = forms(provider, caseworker)[index]
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(path, body, token))
    other = CaseFactory(created_by=caseworker)
    response = cw.post(url(other, path), with_token(path, body, token))
    assert response.status_code == 403
    assert model.objects.filter(case=other).count() == 0
    assert model.objects.count() == 1
    assert AuditEvent.objects.filter(action=action).count() == 1


@pytest.mark.parametrize("index", range(4), ids=["referral", "assistance", "goal", "task"])
def test_a_token_sent_by_another_person_is_refused(cw, sup, case, caseworker, provider, index):
    path, model, action, body = forms(provider, caseworker)[index]
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(path, body, token))
    row = model.objects.get()
    response = sup.post(url(case, path), with_token(path, body, token))
    assert response.status_code == 403
    assert model.objects.count() == 1
    assert model.objects.get().pk == row.pk
    assert AuditEvent.objects.filter(action=action).count() == 1


def test_an_outsider_with_the_token_gets_404(client_for, outsider, cw, case, caseworker, provider):
    path, model, _action, body = forms(provider, caseworker)[2]
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(path, body, token))
    response = client_for(outsider).post(url(case, path), with_token(path, body, token))
    assert response.status_code == 404
    assert model.objects.count() == 1


def test_a_malformed_token_is_refused_with_nothing_written(cw, case, caseworker, provider):
    path, model, _action, body = forms(provider, caseworker)[2]
    response = cw.post(url(case, path), {**body, "goal-token": "not-a-uuid"})
    assert response.status_code == 400
    assert not model.objects.exists()
