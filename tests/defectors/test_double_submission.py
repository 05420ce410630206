"""Every defectors form that adds a row carries a one-time token, and needs it (defectors.once).

A double click or a retried post writes one row and one audit event, and the second post is
answered as the first was. A post without the token, or with a broken one, writes nothing and
says why. The token is no key to anyone else's row: sent with another case, or by another
person, it is refused and nothing is written.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest

from audit.models import AuditEvent
from defectors.models import CaseNote, Consent, FamilyMember, Need
from tests.factories import CaseFactory

TODAY = datetime.date.today().isoformat()
EXPIRED = "This form has expired or was not sent from Haven. Check what it says and save it again."

# Name -> (path under the case, model, extra filter of its rows, audit action, body without the token,
# where a saved form goes: "" for the case page, else a path under the case).
FORMS: dict[str, tuple[str, type, dict[str, str], str, dict[str, str], str]] = {
    "family": ("family/add/", FamilyMember, {}, "defectors.case.family_member_added",
               {"relationship": "Brother", "name": "Ko Secret Brother", "change-reason": "met him"}, "family/"),
    "need": ("needs/add/", Need, {}, "defectors.case.need_added", {"kind": "food", "urgency": "high"}, ""),
    "note": ("notes/add/", CaseNote, {}, "defectors.case.note_added",
             {"kind": "call", "happened_on": TODAY, "text": "Called"}, ""),
    "consent": ("consents/testimony/give/", Consent, {"kind": "testimony"}, "defectors.case.consent_given",
                {"given_on": TODAY, "method": "verbal"}, ""),
}  # fmt: skip
NAMES = list(FORMS)


def url(case: Any, path: str) -> str:
    return f"/cases/{case.code}/{path}"


def rows(name: str, **where: Any) -> Any:
    _path, model, kind, *_rest = FORMS[name]
    return model.objects.filter(**kind, **where)


def events(name: str) -> int:
    return AuditEvent.objects.filter(action=FORMS[name][3]).count()


@pytest.mark.parametrize("name", NAMES)
def test_posting_the_same_form_twice_writes_one_row_and_one_event(cw, case, name):
    path, _model, _kind, _action, body, done = FORMS[name]
    token = uuid.uuid4()
    first = cw.post(url(case, path), {**body, "token": str(token)})
    second = cw.post(url(case, path), {**body, "token": str(token)})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == url(case, done)  # answered as if it succeeded
    assert rows(name, case=case).count() == 1
    assert rows(name, case=case).get().token == token
    assert events(name) == 1


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("token", [None, "not-a-uuid", ""])
def test_a_post_without_a_good_token_writes_nothing_and_comes_back_with_a_fresh_one(cw, case, name, token):
    path, _model, _kind, _action, body, _done = FORMS[name]
    response = cw.post(url(case, path), body if token is None else {**body, "token": token})
    page = response.content.decode()
    assert response.status_code == 400
    assert EXPIRED in page
    assert "Hidden field" not in page  # said plainly, not as a field the person cannot see
    assert re.search(r'name="token" value="[0-9a-f-]{36}"', page)
    assert not rows(name, case=case).exists()
    assert events(name) == 0


def test_the_form_that_came_back_saves_with_its_fresh_token(cw, case):
    path, _model, _kind, _action, body, _done = FORMS["family"]
    page = cw.post(url(case, path), body).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert token is not None and 'value="Ko Secret Brother"' in page  # what was typed is kept
    assert cw.post(url(case, path), {**body, "token": token.group(1)}).status_code == 302
    assert FamilyMember.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("name", NAMES)
def test_each_page_hands_out_a_fresh_token(cw, case, name):
    path = FORMS[name][0]
    first, second = cw.get(url(case, path)).content.decode(), cw.get(url(case, path)).content.decode()
    tokens = [re.search(r'name="token" value="([0-9a-f-]{36})"', page) for page in (first, second)]
    assert tokens[0] and tokens[1] and tokens[0].group(1) != tokens[1].group(1)


@pytest.mark.parametrize("name", NAMES)
def test_a_token_from_another_case_is_refused(cw, case, caseworker, name):
    path, _model, _kind, _action, body, _done = FORMS[name]
    token = str(uuid.uuid4())
    cw.post(url(case, path), {**body, "token": token})
    other = CaseFactory(created_by=caseworker)
    response = cw.post(url(other, path), {**body, "token": token})
    assert response.status_code == 403
    assert not rows(name, case=other).exists()
    assert rows(name).count() == 1
    assert events(name) == 1


@pytest.mark.parametrize("name", NAMES)
def test_a_token_sent_by_another_person_is_refused(cw, sup, case, name):
    path, _model, _kind, _action, body, _done = FORMS[name]
    token = str(uuid.uuid4())
    cw.post(url(case, path), {**body, "token": token})
    row = rows(name).get()
    response = sup.post(url(case, path), {**body, "token": token})
    assert response.status_code == 403
    assert "Ko Secret Brother" not in response.content.decode()
    assert rows(name).get().pk == row.pk
    assert events(name) == 1


@pytest.mark.parametrize("name", NAMES)
def test_another_caseworker_replaying_the_token_gets_404_and_nothing(client_for, outsider, cw, case, name):
    path, _model, _kind, _action, body, _done = FORMS[name]
    token = str(uuid.uuid4())
    cw.post(url(case, path), {**body, "token": token})
    response = client_for(outsider).post(url(case, path), {**body, "token": token})
    assert response.status_code == 404
    assert rows(name).count() == 1
    assert events(name) == 1


def test_editing_a_note_or_a_family_member_needs_no_token(cw, case):
    cw.post(url(case, "notes/add/"), {**FORMS["note"][4], "token": str(uuid.uuid4())})
    cw.post(url(case, "family/add/"), {**FORMS["family"][4], "token": str(uuid.uuid4())})
    note, member = CaseNote.objects.get(case=case), FamilyMember.objects.get(case=case)
    assert 'name="token"' not in cw.get(url(case, f"notes/{note.pk}/")).content.decode()
    assert 'name="token"' not in cw.get(url(case, f"family/{member.pk}/")).content.decode()
    edited = cw.post(url(case, f"notes/{note.pk}/"), {"kind": "call", "happened_on": TODAY, "text": "Called again"})
    assert edited.status_code == 302
    assert CaseNote.objects.get(pk=note.pk).text == "Called again"


def test_a_consent_form_s_token_sent_to_another_consent_records_nothing_and_says_so(cw, caseworker):
    case = CaseFactory(created_by=caseworker, consent=False)
    token = str(uuid.uuid4())
    body = {"given_on": TODAY, "method": "verbal", "token": token}
    assert cw.post(url(case, "consents/testimony/give/"), body).status_code == 302
    response = cw.post(url(case, "consents/referral_sharing/give/"), body)
    assert response.status_code == 400
    assert EXPIRED in response.content.decode()
    assert not Consent.objects.filter(case=case, kind="referral_sharing").exists()
    assert Consent.objects.filter(case=case, kind="testimony").count() == 1
