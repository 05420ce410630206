"""seed_demo --support: a small demo of transition support, through the services, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import AuditEvent
from support.models import Assistance, Goal, Placement, Provider, Referral, Shelter, Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


def seed(**options: object) -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Shelter, Provider, Placement, Referral, Assistance, Goal, Task)
    }


def test_it_adds_a_directory_and_support_on_the_caseworkers_cases_once(debug):
    output = seed(cases=30, support=True)
    assert "Demo support ready: 2 shelters, 4 providers" in output
    assert counts() == {
        "Shelter": 2, "Provider": 4, "Placement": 2, "Referral": 4, "Assistance": 4, "Goal": 1, "Task": 1,
    }  # fmt: skip
    caseworker = User.objects.get(username="caseworker")
    assert set(Referral.objects.values_list("case__assigned_to", flat=True)) == {caseworker.pk}
    # Sent where the person consented to sharing, a draft where not; one entry awaits a supervisor.
    assert sorted(Referral.objects.values_list("status", flat=True)) == ["draft", "draft", "sent", "sent"]
    assert [a.awaiting_approval for a in Assistance.objects.all()].count(True) == 1
    assert AuditEvent.objects.filter(action="support.referral.status_changed").count() == 2  # the services ran
    assert "Demo support already there: none added." in seed(cases=30, support=True)
    assert counts()["Referral"] == 4 and counts()["Shelter"] == 2


def test_the_dashboards_show_it(debug, client_for):
    seed(cases=30, support=True)
    supervisor = client_for(User.objects.get(username="supervisor"))
    page = supervisor.get("/support/").content.decode()
    assert "River House (demo)" in page
    assert "Assistance awaiting approval: 1" in page


def test_without_cases_it_adds_the_directory_and_says_how_to_add_cases(debug):
    output = seed(support=True)
    assert "add --cases N" in output
    assert counts() == {
        "Shelter": 2, "Provider": 4, "Placement": 0, "Referral": 0, "Assistance": 0, "Goal": 0, "Task": 0,
    }  # fmt: skip


def test_without_the_option_it_adds_no_support(debug):
    seed(cases=30)
    assert not Shelter.objects.exists() and not Referral.objects.exists()
