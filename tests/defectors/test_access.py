"""Access helpers: the one way to fetch each object of a case; 404 to anyone who may not see it.

The access walk (tests/test_access.py) checks every view through the client; these
check the helpers themselves, for the personas that role checks would stop first.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from defectors.access import get_alert_for_user, get_case_for_user, get_shred_request_for_user
from defectors.models import Case, DuplicateAlert, ShredRequest
from tests.factories import CaseFactory

EVERYONE = ["admin", "supervisor", "caseworker", "outsider", "debriefer", "donor", "auditor"]


@pytest.fixture
def shred_request(case, supervisor) -> ShredRequest:  # type: ignore[no-untyped-def]
    return ShredRequest.objects.create(case=case, requested_by=supervisor)


@pytest.fixture
def alert(case, caseworker) -> DuplicateAlert:  # type: ignore[no-untyped-def]
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    return DuplicateAlert.objects.create(
        case=draft, matched_case=case, matched_on=DuplicateAlert.MatchedOn.SERVICE_NUMBER, raised_by=caseworker
    )


@pytest.mark.parametrize("persona", EVERYONE)
def test_a_case_is_found_only_by_its_caseworker_and_supervisors(request, case, persona):
    user = request.getfixturevalue(persona)
    if persona in ("caseworker", "supervisor"):
        assert get_case_for_user(user, case.code) == case
    else:
        with pytest.raises(Http404):
            get_case_for_user(user, case.code)


@pytest.mark.parametrize("persona", EVERYONE)
def test_a_shred_request_is_found_only_by_administrators_and_supervisors(request, shred_request, persona):
    user = request.getfixturevalue(persona)
    if persona in ("admin", "supervisor"):
        assert get_shred_request_for_user(user, shred_request.pk) == shred_request
    else:
        with pytest.raises(Http404):
            get_shred_request_for_user(user, shred_request.pk)


@pytest.mark.parametrize("persona", EVERYONE)
def test_a_duplicate_alert_is_found_only_by_supervisors(request, alert, persona):
    """Not even by the caseworker who raised it: the matched case may be someone else's."""
    user = request.getfixturevalue(persona)
    if persona == "supervisor":
        assert get_alert_for_user(user, alert.pk) == alert
    else:
        with pytest.raises(Http404):
            get_alert_for_user(user, alert.pk)


def test_an_object_that_does_not_exist_is_not_found(admin, supervisor, shred_request, alert):
    with pytest.raises(Http404):
        get_shred_request_for_user(admin, shred_request.pk + 1000)
    with pytest.raises(Http404):
        get_alert_for_user(supervisor, alert.pk + 1000)


def test_an_administrator_deciding_a_request_that_does_not_exist_gets_404(admin_client, shred_request):
    response = admin_client.post(f"/cases/shred-requests/{shred_request.pk + 1000}/decide/", {"decision": "approve"})
    assert response.status_code == 404
    assert ShredRequest.objects.get().decided_at is None


def test_a_supervisor_resolving_an_alert_that_does_not_exist_gets_404(sup, alert):
    assert sup.post(f"/cases/tasks/{alert.pk + 1000}/resolve/").status_code == 404
    assert DuplicateAlert.objects.get().resolved_at is None
