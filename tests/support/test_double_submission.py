"""Every support form that creates a row carries a one-time token, and needs it.

A double click writes one row. A post without the token (hand-made, or from a page
older than tokens) writes nothing and says why. The token is also no key to anyone
else's row: sent with another case, or by another person, it is refused and nothing
is written.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest

from audit.models import AuditEvent
from support.models import (
    Assistance,
    Goal,
    Placement,
    Provider,
    Referral,
    ReferralEvent,
    Shelter,
    SupportSession,
    Task,
    TrainingEnrolment,
)
from tests.factories import CaseFactory
from tests.support.conftest import with_token

TODAY = datetime.date.today().isoformat()
EXPIRED = "This form has expired or was not sent from Haven. Check what it says and save it again."
NAMES = ["referral", "assistance", "goal", "task", "placement", "training", "session"]
MANY = [name for name in NAMES if name != "placement"]  # a case is in one shelter at a time


def forms(provider: Any, owner: Any, shelter: Any) -> dict[str, tuple[str, type, str, dict[str, Any]]]:
    """Name -> (path, model, audit action, body without the token) for each case form that creates a row."""
    return {
        "referral": ("refer/", Referral, "support.referral.created",
                     {"referral-service_type": "shelter", "referral-provider": provider.pk,
                      "referral-note": "Needs a bed"}),
        "assistance": ("assistance/", Assistance, "support.assistance.created",
                       {"assistance-kind": "cash", "assistance-amount": "500", "assistance-currency": "THB",
                        "assistance-given_on": TODAY, "assistance-purpose": "Rent"}),
        "goal": ("goals/", Goal, "support.goal.created", {"goal-title": "Find work", "goal-target_date": TODAY}),
        "task": ("tasks/", Task, "support.task.created",
                 {"task-title": "Call the garage", "task-owner": owner.username, "task-due_on": TODAY}),
        "placement": ("place/", Placement, "support.placement.created",
                      {"placement-shelter": shelter.pk, "placement-checked_in_on": TODAY}),
        "training": ("training/", TrainingEnrolment, "support.training.created",
                     {"training-programme": "Welding", "training-provider": provider.pk, "training-starts_on": TODAY}),
        "session": ("sessions/", SupportSession, "support.session.created",
                    {"session-provider": provider.pk, "session-planned_on": TODAY}),
    }  # fmt: skip


def url(case: Any, path: str) -> str:
    return f"/support/cases/{case.code}/{path}"


@pytest.fixture
def form(request, provider, caseworker, shelter):  # type: ignore[no-untyped-def]
    return forms(provider, caseworker, shelter)[request.param]


@pytest.mark.parametrize("form", NAMES, indirect=True)
def test_posting_the_same_form_twice_writes_one_row_and_one_event(cw, case, form):
    path, model, action, body = form
    token = uuid.uuid4()
    first = cw.post(url(case, path), with_token(body, token))
    second = cw.post(url(case, path), with_token(body, token))
    assert first.status_code == second.status_code == 302
    assert model.objects.filter(case=case).count() == 1
    assert model.objects.get(case=case).token == token
    assert AuditEvent.objects.filter(action=action, object_ref=case.code).count() == 1
    if model is Referral:
        assert ReferralEvent.objects.count() == 1


@pytest.mark.parametrize("form", NAMES, indirect=True)
def test_a_post_without_a_token_writes_nothing_and_says_why(cw, case, form):
    path, model, action, body = form
    response = cw.post(url(case, path), body)
    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert "Hidden field" not in response.content.decode()  # said plainly, not as a field the person cannot see
    assert not model.objects.exists()
    assert not AuditEvent.objects.filter(action=action).exists()


@pytest.mark.parametrize("form", MANY, indirect=True)
def test_a_new_token_writes_a_second_row(cw, case, form):
    path, model, _action, body = form
    cw.post(url(case, path), with_token(body, uuid.uuid4()))
    cw.post(url(case, path), with_token(body, uuid.uuid4()))
    assert model.objects.filter(case=case).count() == 2


def test_the_page_hands_out_a_fresh_token_for_each_form(cw, case, provider, shelter):
    first = cw.get(url(case, "")).content.decode()
    second = cw.get(url(case, "")).content.decode()
    for name in NAMES:
        assert f'name="{name}-token"' in first
    assert first != second  # new tokens each time the page is shown


@pytest.mark.parametrize("form", NAMES, indirect=True)
def test_a_token_from_another_case_is_refused(cw, case, caseworker, form):
    path, model, action, body = form
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(body, token))
    other = CaseFactory(created_by=caseworker)
    response = cw.post(url(other, path), with_token(body, token))
    assert response.status_code == 403
    assert model.objects.filter(case=other).count() == 0
    assert model.objects.count() == 1
    assert AuditEvent.objects.filter(action=action).count() == 1


@pytest.mark.parametrize("form", NAMES, indirect=True)
def test_a_token_sent_by_another_person_is_refused(cw, sup, case, form):
    path, model, action, body = form
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(body, token))
    row = model.objects.get()
    response = sup.post(url(case, path), with_token(body, token))
    assert response.status_code == 403
    assert model.objects.count() == 1
    assert model.objects.get().pk == row.pk
    assert AuditEvent.objects.filter(action=action).count() == 1


def test_an_outsider_with_the_token_gets_404(client_for, outsider, cw, case, caseworker, provider, shelter):
    path, model, _action, body = forms(provider, caseworker, shelter)["goal"]
    token = uuid.uuid4()
    cw.post(url(case, path), with_token(body, token))
    response = client_for(outsider).post(url(case, path), with_token(body, token))
    assert response.status_code == 404
    assert model.objects.count() == 1


def test_a_malformed_token_is_refused_with_nothing_written(cw, case, caseworker, provider, shelter):
    path, model, _action, body = forms(provider, caseworker, shelter)["goal"]
    response = cw.post(url(case, path), {**body, "goal-token": "not-a-uuid"})
    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert not model.objects.exists()


DIRECTORY = {
    "provider": ("/support/providers/new/", Provider, {"name": "Forged", "services": "legal", "availability": "open"}),
    "shelter": ("/support/shelters/new/", Shelter, {"name": "Hill house", "beds": 4}),
}


@pytest.mark.parametrize("name", DIRECTORY)
def test_a_directory_entry_is_added_once_and_only_with_its_token(sup, name):
    path, model, body = DIRECTORY[name]
    refused = sup.post(path, body)
    assert refused.status_code == 200  # the form again, with the reason
    assert EXPIRED in refused.content.decode()
    assert not model.objects.exists()
    token = str(uuid.uuid4())
    assert sup.post(path, {**body, "token": token}).status_code == 302
    assert sup.post(path, {**body, "token": token}).status_code == 302
    assert model.objects.count() == 1
    assert AuditEvent.objects.filter(action=f"support.{name}.created").count() == 1
    assert 'name="token"' in sup.get(path).content.decode()


@pytest.mark.parametrize("name", DIRECTORY)
def test_editing_a_directory_entry_needs_no_token(sup, provider, shelter, name):
    row = provider if name == "provider" else shelter
    path = f"/support/{name}s/{row.pk}/"
    _new, model, body = DIRECTORY[name]
    assert 'name="token"' not in sup.get(path).content.decode()
    assert sup.post(path, body).status_code == 302
    assert model.objects.get(pk=row.pk).name == body["name"]


def test_the_form_comes_back_with_a_fresh_token_and_saving_it_again_works(cw, case, caseworker, provider, shelter):
    path, model, _action, body = forms(provider, caseworker, shelter)["goal"]
    page = cw.post(url(case, path), body).content.decode()
    token = re.search(r'name="goal-token" value="([0-9a-f-]{36})"', page)
    assert token is not None and 'value="Find work"' in page  # what was typed is kept
    assert cw.post(url(case, path), {**body, "goal-token": token.group(1)}).status_code == 302
    assert model.objects.filter(case=case).count() == 1
