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
from defectors.models import Case, DuplicateAlert
from support.models import ServiceType
from support.services import create_referral
from tests.debriefing.test_export import approved_session, reauthenticated
from tests.debriefing.test_sessions import SECRET_ANSWER
from tests.factories import CaseFactory
from tests.support.conftest import give_sharing_consent

World = dict[str, Any]
MATCHING = {"branch": "army", "service_number": "BA-424242"}  # the service number of the world's case
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
    "debrief submit confirmation": Path("debriefer", lambda c, w: c.get(f"/debriefing/{w['session'].pk}/submit/")),
    "partner export": Path("supervisor", lambda c, w: reauthenticated(c).get("/debriefing/export/csv/")),
    # The case's free text: notes and the follow-up's purpose on request, the forms that show them.
    "case page texts": Path("caseworker", lambda c, w: c.get(case_url(w, "?texts=show"))),
    "need form": Path("caseworker", lambda c, w: c.get(case_url(w, f"needs/{w['need'].pk}/"))),
    "need post": Path("caseworker", lambda c, w: c.post(case_url(w, f"needs/{w['need'].pk}/"), {})),
    "note form": Path("caseworker", lambda c, w: c.get(case_url(w, f"notes/{w['note'].pk}/"))),
    "follow-up form": Path("caseworker", lambda c, w: c.get(case_url(w, "follow-up/"))),
    "intake needs step": Path("caseworker", lambda c, w: c.get(f"/cases/{w['draft'].code}/intake/needs/")),
    "intake risk step": Path("caseworker", lambda c, w: c.get(f"/cases/{w['draft'].code}/intake/risk/")),
    "support page": Path("caseworker", lambda c, w: c.get(f"/support/cases/{w['case'].code}/")),
    "support form with errors": Path("caseworker", lambda c, w: c.post(f"/support/cases/{w['case'].code}/goals/", {})),
    "intake submit refused": Path("caseworker", lambda c, w: c.post(f"/cases/{w['unconsented'].code}/intake/submit/")),
    "training form": Path(
        "caseworker",
        lambda c, w: c.get(f"/support/cases/{w['case'].code}/training/{w['training'].pk}/"),
    ),
    "referral page": Path("caseworker", lambda c, w: c.get(referral_url(w).removesuffix("transition/"))),
    # Matching by identifying values: each confirmed match is counted (here the case above).
    "duplicate check": Path("caseworker", lambda c, w: c.post(f"/cases/{w['draft'].code}/intake/service/", MATCHING)),
    "search": Path("supervisor", lambda c, w: c.post("/cases/", {"service_number": "BA-424242"})),
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
        # A draft that cannot be opened yet (no consent to data processing): its review comes back.
        "unconsented": CaseFactory(created_by=caseworker, status=Case.Status.INTAKE, consent=False),
        "member": record.add_family_member(
            case=case, by=caseworker, fields={"relationship": "Mother"}, reason="intake"
        ),
        "referral": referral,
        "need": record.add_need(case=case, by=caseworker, kind="shelter", urgency="high", note="Near the market"),
        "note": record.add_note(case=case, by=caseworker, kind="call", happened_on=timezone.localdate(), text="Rang"),
        "session": session,
        "training": _training(case, caseworker),
        "people": people,
        "clients": {name: client_for(person) for name, person in people.items()},
    }


def _provider() -> Any:
    from support.models import Provider

    provider = Provider(name="Partner", services=list(ServiceType.values))
    provider.save()
    return provider


def _training(case: Case, caseworker: Any) -> Any:
    from support.models import TrainingEnrolment

    enrolment = TrainingEnrolment(
        case=case,
        provider=_provider(),
        programme="Sewing at the Mae Sot centre",
        starts_on=timezone.localdate(),
        created_by=caseworker,
    )
    enrolment.save()
    return enrolment


def read_case(name: str, world: World) -> Case:
    if name == "intake submit refused":
        return world["unconsented"]
    return world["draft"] if name.startswith("intake") else world["case"]


def other_cases(*service_numbers: str) -> list[Case]:
    """Cases of other caseworkers', one with each of ``service_numbers``."""
    return [CaseFactory(service_number=number) for number in service_numbers]


def braked(person: Any) -> None:
    Brake.objects.create(person=person, tripped_at=timezone.now(), window="hour", assigned=False, limit=25)


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
    assert case.notes.count() == 2  # the world's note and this one
    assert "Called" not in cw.get(f"/cases/{case.code}/").content.decode()  # its text waits for the brake's lift


class TestTheDuplicateCheck:
    """The duplicate check tells whether a person is registered: its matches are counted as reads."""

    def test_other_caseworkers_matches_count_as_other_cases_and_trip_the_brake(self, world, caseworker, settings):
        settings.BRAKE_OTHER_PER_HOUR = 2
        other_cases("SN-1", "SN-2", "SN-3")
        cw, draft = world["clients"]["caseworker"], world["draft"]
        for number in ("SN-1", "SN-2"):
            page = cw.post(f"/cases/{draft.code}/intake/service/", {"branch": "army", "service_number": number})
            assert "Possible duplicate" in page.content.decode()
        assert IdentityRead.objects.filter(person=caseworker, assigned=False).count() == 2
        response = cw.post(f"/cases/{draft.code}/intake/service/", {"branch": "army", "service_number": "SN-3"})
        page = response.content.decode()
        assert response.status_code == 403
        assert "Identities are paused for your account" in page and "Possible duplicate" not in page
        assert "What you typed is saved." in page and "Saved, but not checked for duplicates" in page
        assert Case.objects.get(pk=draft.pk).service_number == "SN-3"  # what was typed is kept
        assert Brake.objects.get(person=caseworker).assigned is False
        assert DuplicateAlert.objects.filter(case=draft).count() == 2  # none for the refused check

    def test_a_braked_caseworkers_step_is_saved_and_not_checked(self, world, caseworker):
        braked(caseworker)
        cw, draft = world["clients"]["caseworker"], world["draft"]
        response = cw.post(f"/cases/{draft.code}/intake/service/", MATCHING)
        assert response.status_code == 403
        page = response.content.decode()
        assert "Identities are paused for your account" in page and "What you typed is saved." in page
        assert "A case with the same details" not in page and world["case"].code not in page
        assert Case.objects.get(pk=draft.pk).service_number == "BA-424242"
        assert not DuplicateAlert.objects.filter(case=draft).exists()
        assert not IdentityRead.objects.filter(person=caseworker).exists()

    def test_a_braked_caseworkers_invalid_step_is_shown_again_with_what_they_typed(self, world, caseworker):
        braked(caseworker)
        typed = {"full_name": "Ko Typed Again", "date_of_birth": "not a date"}
        response = world["clients"]["caseworker"].post(f"/cases/{world['draft'].code}/intake/identity/", typed)
        assert response.status_code == 403
        page = response.content.decode()
        assert "Not saved" in page and "Ko Typed Again" in page and "Identities are paused" in page
        assert "Ko Secret Name" not in page  # the stored values are never read


class TestTheSearch:
    def test_each_match_is_counted_and_the_search_stops_past_the_limit(self, world, supervisor, settings):
        settings.BRAKE_OTHER_PER_HOUR = 2
        first, second, third = other_cases("SN-1", "SN-2", "SN-3")
        sup = world["clients"]["supervisor"]
        for case in (first, second):
            assert case.code in sup.post("/cases/", {"service_number": case.service_number}).content.decode()
        response = sup.post("/cases/", {"service_number": "SN-3"})
        assert response.status_code == 403 and third.code not in response.content.decode()
        assert Brake.objects.filter(person=supervisor).exists()

    def test_a_braked_person_gets_no_answer_not_even_nothing_found(self, world, supervisor):
        braked(supervisor)
        response = world["clients"]["supervisor"].post("/cases/", {"service_number": "NOBODY-1"})
        assert response.status_code == 403
        assert "Identities are paused for your account" in response.content.decode()

    def test_a_search_that_finds_nothing_counts_nothing(self, world, supervisor):
        world["clients"]["supervisor"].post("/cases/", {"service_number": "NOBODY-1"})
        assert not IdentityRead.objects.filter(person=supervisor).exists()


def test_the_case_page_shows_the_notes_texts_only_on_request(world, caseworker):
    cw, case = world["clients"]["caseworker"], world["case"]
    page = cw.get(f"/cases/{case.code}/").content.decode()
    assert "Rang" not in page and "Show the texts" in page
    assert not IdentityRead.objects.filter(person=caseworker).exists()
    assert "Rang" in cw.get(f"/cases/{case.code}/?texts=show").content.decode()
