"""Every page that decrypts an identity or an identifying section goes through the exfiltration brake.

``PATHS`` is the list: each entry is a request that reads one case's identity (or its debrief
content, or its referral packet). Each is counted (the ledger holds the case for the person
after it), and each is refused with the plain page while the person's brake is on. A new page
that shows identities is added here; one that forgets ``brake.admit`` fails both tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from accounts.models import Brake, IdentityRead
from debriefing.models import IntelligenceItem
from defectors import record
from defectors.models import Case
from support.models import ServiceType
from support.services import create_referral
from tests.debriefing.test_export import approved_session, reauthenticated
from tests.debriefing.test_sessions import SECRET_ANSWER
from tests.factories import CaseFactory
from tests.support.conftest import give_sharing_consent

World = dict[str, Any]
SECRETS = ("Ko Secret Name", "BA-424242", SECRET_ANSWER)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Path:
    persona: str  # who takes it: "caseworker", "supervisor" or "debriefer"
    go: Callable[[Client, World], HttpResponse]


def case_url(world: World, tail: str) -> str:
    return f"/cases/{world['case'].code}/{tail}"


def referral_url(world: World) -> str:
    return f"/support/cases/{world['case'].code}/referrals/{world['referral'].pk}/transition/"


PATHS: dict[str, Path] = {
    "reveal": Path("caseworker", lambda c, w: c.post(case_url(w, "reveal/"), {"reason": "follow-up call"})),
    "identity edit form": Path("caseworker", lambda c, w: c.get(case_url(w, "identity/edit/"))),
    "identity edit post": Path("caseworker", lambda c, w: c.post(case_url(w, "identity/edit/"), {})),
    "service section": Path("caseworker", lambda c, w: c.get(case_url(w, "edit/service/"))),
    "defection section": Path("caseworker", lambda c, w: c.get(case_url(w, "edit/defection/"))),
    "contact section": Path("caseworker", lambda c, w: c.get(case_url(w, "edit/contact/"))),
    "risk section": Path("caseworker", lambda c, w: c.get(case_url(w, "edit/risk/"))),
    "section post": Path("caseworker", lambda c, w: c.post(case_url(w, "edit/service/"), {})),
    "family": Path("caseworker", lambda c, w: c.get(case_url(w, "family/"))),
    "family member form": Path("caseworker", lambda c, w: c.get(case_url(w, f"family/{w['member'].pk}/"))),
    "family member post": Path("caseworker", lambda c, w: c.post(case_url(w, f"family/{w['member'].pk}/"), {})),
    "summary with identity": Path("supervisor", lambda c, w: c.post(case_url(w, "summary/"), {"reason": "print"})),
    "intake step": Path("caseworker", lambda c, w: c.get(f"/cases/{w['draft'].code}/intake/identity/")),
    "intake step post": Path("caseworker", lambda c, w: c.post(f"/cases/{w['draft'].code}/intake/identity/", {})),
    "referral packet": Path("caseworker", lambda c, w: c.post(referral_url(w), {"to": "sent", "version": 1})),
    "debrief review": Path("supervisor", lambda c, w: c.get(w["session"].get_absolute_url())),
    "debrief page": Path("debriefer", lambda c, w: c.get(w["session"].get_absolute_url())),
    "debrief section": Path("debriefer", lambda c, w: c.get(f"/debriefing/{w['session'].pk}/unit/")),
    "debrief section post": Path("debriefer", lambda c, w: c.post(f"/debriefing/{w['session'].pk}/unit/", {})),
    "partner export": Path("supervisor", lambda c, w: reauthenticated(c).get("/debriefing/export/csv/")),
}


@pytest.fixture
def world(case, caseworker, supervisor, debriefer, client_for) -> World:  # type: ignore[no-untyped-def]
    give_sharing_consent(case)
    referral = create_referral(case=case, by=caseworker, provider=_provider(), service_type=ServiceType.LEGAL)
    session = approved_session(case=case, debriefer=debriefer, supervisor=supervisor, summary="x", consent=True)
    people = {"caseworker": caseworker, "supervisor": supervisor, "debriefer": debriefer}
    return {
        "case": case,
        "draft": CaseFactory(created_by=caseworker, status=Case.Status.INTAKE),
        "member": record.add_family_member(
            case=case, by=caseworker, fields={"relationship": "Mother"}, reason="intake"
        ),
        "referral": referral,
        "session": session,
        "people": people,
        "clients": {name: client_for(person) for name, person in people.items()},
    }


def _provider() -> Any:
    from support.models import Provider

    provider = Provider(name="Partner", services=list(ServiceType.values))
    provider.save()
    return provider


def read_case(name: str, world: World) -> Case:
    return world["draft"] if name.startswith("intake") else world["case"]


@pytest.mark.parametrize("name", PATHS)
def test_each_path_is_counted(world, name):
    path = PATHS[name]
    person = world["people"][path.persona]
    response = path.go(world["clients"][path.persona], world)
    assert response.status_code in (200, 302, 400), response.status_code
    assert IdentityRead.objects.filter(person=person, case_id=read_case(name, world).pk).exists()


@pytest.mark.parametrize("name", PATHS)
def test_each_path_is_refused_with_the_plain_page_while_a_brake_is_on(world, name):
    path = PATHS[name]
    person = world["people"][path.persona]
    Brake.objects.create(person=person, tripped_at=timezone.now(), window="hour", assigned=False, limit=25)
    response = path.go(world["clients"][path.persona], world)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Identities are paused for your account" in page
    assert "Ask another supervisor or an administrator" in page
    assert not any(secret in page for secret in SECRETS)
    assert not IdentityRead.objects.filter(person=person).exists()


def test_the_debrief_home_withholds_the_urgent_items_summaries_while_braked(world, supervisor, debriefer):
    session = world["session"]
    IntelligenceItem.objects.create(
        session=session, category="unit", summary="Urgent sentinel 5521", urgent=True, reliability="B",
        credibility="2", created_by=debriefer,
    )  # fmt: skip
    sup = world["clients"]["supervisor"]
    assert "Urgent sentinel 5521" in sup.get("/debriefing/").content.decode()
    Brake.objects.create(person=supervisor, tripped_at=timezone.now(), window="hour", assigned=False, limit=25)
    response = sup.get("/debriefing/")
    assert response.status_code == 200  # the list of debriefs keeps working
    assert "Urgent sentinel 5521" not in response.content.decode()
    assert "Identities are paused" in response.content.decode()


def test_a_refused_autosave_answers_json_the_sections_script_shows(world, debriefer):
    Brake.objects.create(person=debriefer, tripped_at=timezone.now(), window="hour", assigned=True, limit=60)
    response = world["clients"]["debriefer"].post(f"/debriefing/{world['session'].pk}/unit/", {}, HTTP_X_AUTOSAVE="1")
    assert response.status_code == 403
    assert "Ask another supervisor or an administrator" in response.json()["error"]


def test_the_export_counts_every_case_its_rows_come_from(world, supervisor, debriefer, settings):
    second = CaseFactory(full_name="Ko Second")
    approved_session(case=second, debriefer=debriefer, supervisor=supervisor, summary="y", consent=True)
    settings.BRAKE_OTHER_PER_HOUR = 1
    response = reauthenticated(world["clients"]["supervisor"]).get("/debriefing/export/csv/")
    assert response.status_code == 403  # two cases' rows: past a limit of one
    assert Brake.objects.get(person=supervisor).limit == 1


def test_a_braked_caseworker_keeps_every_other_page(world, caseworker):
    Brake.objects.create(person=caseworker, tripped_at=timezone.now(), window="hour", assigned=True, limit=60)
    cw, case = world["clients"]["caseworker"], world["case"]
    for url in ["/cases/", f"/cases/{case.code}/", f"/cases/{case.code}/summary/", "/support/", "/support/referrals/"]:
        assert cw.get(url).status_code == 200, url
    response = cw.post(
        f"/cases/{case.code}/notes/add/",
        {"kind": "call", "happened_on": timezone.localdate().isoformat(), "text": "Called", "token": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert case.notes.count() == 1
