"""Intake: saved step by step on the server, validated, idempotent, encrypted, duplicate-checked."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection

from audit.models import AuditEvent
from defectors.models import Case, Consent, DuplicateAlert, FamilyMember, Need
from tests.factories import CaseFactory

TODAY = datetime.date.today()
IDENTITY = {
    "full_name": "Ko Sentinel Htet",
    "other_names": "Htet Htet",
    "date_of_birth": "1996-04-12",
    "sex": "male",
    "ethnicity": "Bamar",
    "region_of_origin": "sagaing",
}


def start(client) -> Case:  # type: ignore[no-untyped-def]
    response = client.post("/cases/new/", {"token": str(uuid.uuid4())})
    assert response.status_code == 302
    code = response["Location"].split("/")[2]
    return Case.objects.get(code=code)


def step(client, case: Case, name: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(f"/cases/{case.code}/intake/{name}/", data)


def consent_data(**given: bool) -> dict:
    data = {}
    for kind in Consent.Kind.values:
        if given.get(kind):
            data.update({f"{kind}_given": "on", f"{kind}_on": TODAY.isoformat(), f"{kind}_method": "verbal"})
    return data


def family_data(*members: dict) -> dict:
    data = {"family-TOTAL_FORMS": str(len(members)), "family-INITIAL_FORMS": "0", "family-MIN_NUM_FORMS": "0"}
    data["family-MAX_NUM_FORMS"] = "20"
    for n, member in enumerate(members):
        data.update({f"family-{n}-{key}": value for key, value in member.items()})
    return data


def test_a_caseworker_takes_a_full_intake_and_opens_the_case(cw, caseworker):
    case = start(cw)
    assert case.assigned_to == caseworker and case.status == Case.Status.INTAKE
    assert step(cw, case, "identity", IDENTITY)["Location"].endswith("/intake/service/")
    service = {
        "branch": "army",
        "rank": "Corporal",
        "rank_band": "nco",
        "unit": "LIB 123",
        "service_number": "BA-551234",
    }
    assert step(cw, case, "service", {**service, "years_of_service": "6"}).status_code == 302
    defection = {"defection_date": "2022-03-01", "defection_place": "Near the river", "circumstances": "Left at night."}
    assert step(cw, case, "defection", {**defection, "was_armed": "false"}).status_code == 302
    member = {"relationship": "Mother", "name": "Daw Sentinel Mya", "location": "Home village", "at_risk": "true"}
    assert step(cw, case, "family", family_data(member)).status_code == 302
    needs = {"shelter_urgency": "high", "shelter_note": "Needs a safe house", "mental_health_urgency": "medium"}
    assert step(cw, case, "needs", needs).status_code == 302
    risk = {"threat_to_defector": "critical", "threat_to_family": "high", "safety_plan": "Move twice a week"}
    assert step(cw, case, "risk", risk).status_code == 302
    assert step(cw, case, "consents", consent_data(data_processing=True, debriefing=True)).status_code == 302
    assert step(cw, case, "contact", {"contact_channel": "Signal", "current_location": "Town"}).status_code == 302
    response = cw.post(f"/cases/{case.code}/intake/submit/")
    assert response["Location"] == f"/cases/{case.code}/"

    case = Case.objects.get(pk=case.pk)
    assert case.status == Case.Status.ACTIVE and case.urgency == Case.Urgency.URGENT  # critical threat
    assert (case.full_name, case.service_number, case.years_of_service) == ("Ko Sentinel Htet", "BA-551234", 6)
    assert (case.branch, case.rank_band, case.region_of_origin, case.sex) == ("army", "nco", "sagaing", "male")
    assert case.intake_month == TODAY.replace(day=1)
    assert FamilyMember.objects.get(case=case).at_risk is True
    assert set(Need.objects.filter(case=case).values_list("kind", flat=True)) == {"shelter", "mental_health"}
    assert Consent.objects.filter(case=case).count() == 2
    page = cw.get(f"/cases/{case.code}/").content.decode()
    assert case.code in page and "Sentinel" not in page  # identity stays hidden until revealed


def test_identifying_values_reach_the_database_only_encrypted(cw):
    case = start(cw)
    step(cw, case, "identity", IDENTITY)
    step(cw, case, "service", {"service_number": "SENTINEL-SN-1"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name, service_number, branch FROM defectors_case WHERE id = %s", [case.pk])
        full_name, service_number, _branch = cursor.fetchone()
    assert b"Sentinel" not in bytes(full_name) and b"SENTINEL" not in bytes(service_number)


def test_starting_twice_with_the_same_token_opens_one_draft(cw):
    token = str(uuid.uuid4())
    first = cw.post("/cases/new/", {"token": token})
    second = cw.post("/cases/new/", {"token": token})
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_an_intake_token_read_from_the_database_reaches_no_one_elses_draft(cw, client_for, outsider):
    """A form token is no credential (issue 17): only the person whose form it was gets their draft back."""
    case = start(cw)
    stolen = Case.objects.values_list("intake_token", flat=True).get(pk=case.pk)
    response = client_for(outsider).post("/cases/new/", {"token": str(stolen)})
    assert response.status_code == 403 and case.code not in response.content.decode()
    assert Case.objects.count() == 1


def test_a_forged_token_still_opens_one_draft(cw):
    assert cw.post("/cases/new/", {"token": "<script>"}).status_code == 302
    assert Case.objects.count() == 1


def test_a_resent_step_leaves_no_duplicates(cw):
    case = start(cw)
    members = family_data({"relationship": "Father"}, {"relationship": "Sister", "name": "Ma Aye"})
    step(cw, case, "family", members)
    step(cw, case, "family", members)
    step(cw, case, "needs", {"food_urgency": "low"})
    step(cw, case, "needs", {"food_urgency": "low"})
    assert FamilyMember.objects.filter(case=case).count() == 2
    assert Need.objects.filter(case=case).count() == 1


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("identity", {**IDENTITY, "date_of_birth": "2099-01-01"}, "in the future"),
        ("identity", {**IDENTITY, "date_of_birth": "1890-01-01"}, "check the year"),
        ("identity", {**IDENTITY, "date_of_birth": "31/31/1990"}, "Enter a valid date"),
        ("identity", {**IDENTITY, "full_name": "x" * 201}, "at most 200 characters"),
        ("identity", {"full_name": "", "other_names": ""}, "Give a name"),
        ("identity", {**IDENTITY, "age_estimate": "7"}, "between 14 and 90"),
        ("identity", {**IDENTITY, "sex": "robot"}, "Select a valid choice"),
        ("service", {"years_of_service": "99"}, "between 0 and 60"),
        ("service", {"service_number": "9" * 41}, "at most 40 characters"),
        ("defection", {"defection_date": "2099-01-01"}, "in the future"),
        ("defection", {"circumstances": "x" * 50_001}, "at most 50000 characters"),
        ("consents", {"data_processing_given": "on"}, "Give the date"),
        ("needs", {"food_urgency": "apocalyptic"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_explained_and_what_was_typed_is_kept(cw, name, data, message):
    case = start(cw)
    step(cw, case, "identity", IDENTITY)
    response = step(cw, case, name, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    if name == "identity" and data.get("ethnicity"):
        assert 'value="Bamar"' in page  # nothing typed is lost
    assert Case.objects.get(pk=case.pk).full_name == IDENTITY["full_name"]  # the stored step is untouched


def test_html_in_any_text_is_shown_escaped(cw):
    case = start(cw)
    step(cw, case, "identity", {**IDENTITY, "full_name": "<script>alert(1)</script>"})
    page = cw.get(f"/cases/{case.code}/intake/identity/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_a_case_cannot_be_opened_without_consent_to_data_processing(cw):
    case = start(cw)
    step(cw, case, "identity", IDENTITY)
    step(cw, case, "consents", consent_data(debriefing=True))
    response = cw.post(f"/cases/{case.code}/intake/submit/")
    assert response.status_code == 400
    assert "Consent to data processing is needed" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.INTAKE


def test_submitting_twice_opens_the_case_once(cw):
    case = start(cw)
    step(cw, case, "identity", IDENTITY)
    step(cw, case, "consents", consent_data(data_processing=True))
    cw.post(f"/cases/{case.code}/intake/submit/")
    cw.post(f"/cases/{case.code}/intake/submit/")
    assert AuditEvent.objects.filter(action="defectors.case.intake_submitted").count() == 1


def test_a_forged_assignee_field_is_ignored(cw, caseworker, outsider):
    case = start(cw)
    step(cw, case, "identity", {**IDENTITY, "assigned_to": outsider.pk, "status": "closed", "code": "HV-AAAA-AAAA"})
    case = Case.objects.get(pk=case.pk)
    assert (case.assigned_to, case.status) == (caseworker, Case.Status.INTAKE)
    assert case.code != "HV-AAAA-AAAA"


def test_opening_an_intake_form_with_identity_is_audited(cw):
    case = start(cw)
    cw.get(f"/cases/{case.code}/intake/identity/")
    event = AuditEvent.objects.get(action="defectors.case.intake_opened")
    assert (event.object_ref, event.reason) == (case.code, "identity")


def test_a_duplicate_the_caseworker_may_see_is_linked(cw, caseworker):
    first = CaseFactory(created_by=caseworker, service_number="BA-777001")
    case = start(cw)
    response = step(cw, case, "service", {"service_number": "ba-777001"})
    page = response.content.decode()
    assert response.status_code == 200 and "A case with the same details already exists" in page
    assert f'href="/cases/{first.code}/"' in page and "same service number" in page


def test_a_duplicate_in_zawgyi_is_found_by_name_and_date_of_birth(cw, caseworker):
    first = CaseFactory(created_by=caseworker, full_name="အောင်အောင်", date_of_birth=datetime.date(1990, 1, 2))
    case = start(cw)
    page = step(cw, case, "identity", {"full_name": "ေအာင္ေအာင္", "date_of_birth": "1990-01-02"}).content.decode()
    assert first.code in page


def test_a_duplicate_the_caseworker_may_not_see_reveals_nothing_and_tasks_a_supervisor(cw, outsider, sup):
    theirs = CaseFactory(created_by=outsider, service_number="BA-888002", full_name="Hidden Person")
    case = start(cw)
    page = step(cw, case, "service", {"service_number": "BA-888002"}).content.decode()
    assert "Possible duplicate: ask your supervisor" in page
    assert theirs.code not in page and "Hidden" not in page
    alert = DuplicateAlert.objects.get()
    assert (alert.case, alert.matched_case) == (case, theirs)
    step(cw, case, "service", {"service_number": "BA-888002"})  # resent: still one task
    assert DuplicateAlert.objects.count() == 1
    tasks = sup.get("/cases/tasks/").content.decode()
    assert case.code in tasks and theirs.code in tasks


def test_no_duplicate_warning_without_a_match(cw):
    CaseFactory(service_number="BA-000111")
    case = start(cw)
    assert step(cw, case, "service", {"service_number": "BA-000112"}).status_code == 302


def test_a_draft_is_discarded_by_its_caseworker_and_becomes_unreadable(cw):
    case = start(cw)
    step(cw, case, "identity", IDENTITY)
    response = cw.post(f"/cases/{case.code}/intake/discard/", follow=True)
    assert "The intake was discarded" in response.content.decode()
    case = Case.objects.get(pk=case.pk)
    assert case.status == Case.Status.CLOSED and case.shredded_at is not None
    assert str(case.full_name) == "[shredded]"
    assert case.code not in cw.get("/cases/new/").content.decode()  # no longer an unfinished intake
    assert AuditEvent.objects.filter(action="defectors.case.intake_discarded", object_ref=case.code).exists()


def test_an_opened_case_cannot_be_discarded(cw, caseworker):
    case = CaseFactory(created_by=caseworker)
    response = cw.post(f"/cases/{case.code}/intake/discard/", follow=True)
    assert "Only an unfinished intake can be discarded" in response.content.decode()
    assert Case.objects.get(pk=case.pk).full_name != "[shredded]"
    assert Case.objects.get(pk=case.pk).shredded_at is None


def test_a_recorded_family_member_can_be_removed_and_empty_rows_offer_no_removal(cw):
    case = start(cw)
    step(cw, case, "family", family_data({"relationship": "Father"}))
    page = cw.get(f"/cases/{case.code}/intake/family/").content.decode()
    assert page.count("Remove this person") == 1  # the stored row only, not the two empty ones
    data = family_data({"relationship": "Father", "DELETE": "on"})
    data["family-INITIAL_FORMS"] = "1"
    step(cw, case, "family", data)
    assert not FamilyMember.objects.filter(case=case).exists()


def test_a_forged_family_form_count_is_refused_quickly_and_saves_nothing(cw):
    """TOTAL_FORMS=100000 must not make the server build a thousand forms, nor save any of them."""
    import time

    case = start(cw)
    data = family_data(*[{"relationship": "Brother", "name": f"Sentinel {n}"} for n in range(25)])
    data["family-TOTAL_FORMS"] = "100000"
    began = time.monotonic()
    response = step(cw, case, "family", data)
    assert time.monotonic() - began < 2
    assert response.status_code in (200, 400)
    assert "20" in response.content.decode()  # the limit is named
    assert not FamilyMember.objects.filter(case=case).exists()
