"""The sentinel check, through the intake pages: nothing typed reaches the dump, the logs or Redis."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.test import Client

from accounts.models import User
from defectors.models import Case
from tests.conftest import login_with_mfa
from tests.factories import CaseFactory, UserFactory
from tests.vault.test_leaks import pg_dump, redis_contents

SENTINELS = {
    "full_name": "Sentinel Intake Name 71",
    "other_names": "Sentinel Alias 71",
    "service_number": "SENTINEL-SN-71",
    "unit": "Sentinel Unit 71",
    "circumstances": "Sentinel circumstances 71",
    "contact_channel": "Sentinel Signal 71",
    "current_location": "Sentinel Hideout 71",
    "family_name": "Sentinel Mother 71",
    "reveal_safe": "Sentinel Safety Plan 71",
}


@pytest.mark.django_db(transaction=True)
def test_intake_values_never_appear_in_the_clear(caplog):
    caplog.set_level(logging.DEBUG)
    client = login_with_mfa(Client(), UserFactory(role=User.Role.CASEWORKER))
    code = client.post("/cases/new/", {"token": str(uuid.uuid4())})["Location"].split("/")[2]
    base = f"/cases/{code}/intake"
    client.post(f"{base}/identity/", {"full_name": SENTINELS["full_name"], "other_names": SENTINELS["other_names"]})
    client.post(f"{base}/service/", {"service_number": SENTINELS["service_number"], "unit": SENTINELS["unit"]})
    client.post(f"{base}/defection/", {"circumstances": SENTINELS["circumstances"]})
    client.post(
        f"{base}/family/",
        {"family-TOTAL_FORMS": "1", "family-INITIAL_FORMS": "0", "family-0-relationship": "Mother",
         "family-0-name": SENTINELS["family_name"]},
    )  # fmt: skip
    client.post(f"{base}/risk/", {"threat_to_defector": "high", "safety_plan": SENTINELS["reveal_safe"]})
    client.post(f"{base}/contact/", {k: SENTINELS[k] for k in ("contact_channel", "current_location")})
    case = Case.objects.get(code=code)
    assert case.full_name == SENTINELS["full_name"] and case.family.get().name == SENTINELS["family_name"]
    page = client.post(f"/cases/{code}/reveal/", {"reason": "leak check"}).content.decode()
    assert SENTINELS["current_location"] in page  # the values are really there to be found

    dump, cache = pg_dump(), redis_contents()
    assert code in dump
    for value in SENTINELS.values():
        assert value not in dump, f"{value!r} is in the database dump"
        assert value not in caplog.text, f"{value!r} is in the logs"
        assert value.encode() not in cache, f"{value!r} is in Redis"


REASONS = {
    "reveal": "Sentinel reveal reason 93",
    "edit": "Sentinel edit reason 93",
    "close": "Sentinel closing reason 93",
    "shred": "Sentinel shred reason 93",
}


@pytest.mark.django_db(transaction=True)
def test_reasons_typed_into_every_reason_field_never_appear_in_the_clear(caplog):
    """Reasons are free text a person types and may name people: the audit trail keeps them sealed."""
    caplog.set_level(logging.DEBUG)
    supervisor = UserFactory(role=User.Role.SUPERVISOR)
    client = login_with_mfa(Client(), supervisor)
    case = CaseFactory(created_by=supervisor, assigned_to=UserFactory(role=User.Role.CASEWORKER))
    base = f"/cases/{case.code}"
    assert client.post(f"{base}/reveal/", {"reason": REASONS["reveal"]}).status_code == 200
    client.get(f"{base}/identity/edit/")
    edit = {"full_name": "Ko Edited", "date_of_birth": "1995-05-17", "change-reason": REASONS["edit"]}
    assert client.post(f"{base}/identity/edit/", edit).status_code == 302
    assert client.post(f"{base}/status/", {"status": "closed", "reason": REASONS["close"]}).status_code == 302
    client.post(f"{base}/status/", {"status": "active"})
    assert client.post(f"{base}/shred/", {"reason": REASONS["shred"]}).status_code == 302
    admin = login_with_mfa(Client(), UserFactory(role=User.Role.ADMIN))
    pending = admin.get("/cases/shred-requests/").context["pending"]
    decision = {"decision": "approve", "code": case.code}
    assert admin.post(f"/cases/shred-requests/{pending[0].pk}/decide/", decision).status_code == 302
    # The auditor reads them: the reasons are kept, only sealed.
    auditor = login_with_mfa(Client(), UserFactory(role=User.Role.AUDITOR))
    trail = auditor.get("/audit/", {"object_ref": case.code}).content.decode()
    for kind in ("reveal", "edit", "shred"):
        assert REASONS[kind] in trail, kind

    dump, cache = pg_dump(), redis_contents()
    assert case.code in dump
    for value in REASONS.values():
        assert value not in dump, f"{value!r} is in the database dump"
        assert value not in caplog.text, f"{value!r} is in the logs"
        assert value.encode() not in cache, f"{value!r} is in Redis"
