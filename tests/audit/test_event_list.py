"""The auditor's view of the trail: filters, pagination, nothing for anyone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import log_event


def rows(response) -> int:  # type: ignore[no-untyped-def]
    return response.content.decode().count("<code>")


def test_an_auditor_sees_events_newest_first(auditor_client, admin):
    log_event(action="accounts.user.role_changed", actor=admin, object_ref="bob", reason="caseworker -> supervisor")
    log_event(action="accounts.user.deactivated", actor=admin, object_ref="bob")
    page = auditor_client.get("/audit/").content.decode()
    assert page.index("accounts.user.deactivated") < page.index("accounts.user.role_changed")
    assert "caseworker -&gt; supervisor" in page


def test_filters_narrow_by_actor_action_object_and_date(auditor_client, admin, make_user):
    other = make_user(User.Role.ADMIN, username="brenda")
    log_event(action="accounts.user.deactivated", actor=admin, object_ref="bob")
    log_event(action="accounts.user.deactivated", actor=other, object_ref="carl")
    log_event(action="accounts.invitation.sent", actor=other, object_ref="dee")
    assert rows(auditor_client.get("/audit/", {"actor": "brenda"})) == 2
    assert rows(auditor_client.get("/audit/", {"action": "accounts.user"})) == 2
    assert rows(auditor_client.get("/audit/", {"object_ref": "dee"})) == 1
    today = timezone.localdate()
    assert rows(auditor_client.get("/audit/", {"since": today, "until": today})) >= 3
    assert rows(auditor_client.get("/audit/", {"since": today + timedelta(days=1)})) == 0


def test_a_backwards_date_range_is_explained(auditor_client):
    response = auditor_client.get("/audit/", {"since": "2026-02-01", "until": "2026-01-01"})
    assert "must be on or before" in response.content.decode()


def test_a_malformed_date_is_explained(auditor_client):
    response = auditor_client.get("/audit/", {"since": "yesterday-ish"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.content.decode()


def test_the_list_is_paginated_and_keeps_filters(auditor_client):
    for n in range(120):
        log_event(action="tests.thing.done", object_ref=f"HV-{n}")
    first = auditor_client.get("/audit/", {"action": "tests"})
    assert rows(first) == 50
    assert "action=tests&amp;page=2" in first.content.decode()
    last = auditor_client.get("/audit/", {"action": "tests", "page": 3})
    assert rows(last) == 20


def test_the_page_runs_a_constant_number_of_queries(auditor_client, django_assert_num_queries):
    log_event(action="tests.thing.done")
    # session, the organisation key (sessions are sealed), user, MFA check, the known action
    # names, count, page of events, open brakes (the banner); no session save (renewed less than a
    # minute ago)
    with django_assert_num_queries(8) as few:
        auditor_client.get("/audit/")
    for _n in range(60):
        log_event(action="tests.thing.done", reason="sealed, opened with one organisation key")
    with django_assert_num_queries(len(few.captured_queries)):
        auditor_client.get("/audit/")


@pytest.mark.parametrize("role", ["admin", "supervisor", "caseworker", "debriefer", "donor"])
def test_every_other_role_is_refused(client_for, make_user, role):
    log_event(action="tests.thing.done", object_ref="HV-SECRET")
    response = client_for(make_user(role)).get("/audit/")
    assert response.status_code == 403
    assert "HV-SECRET" not in response.content.decode()


def test_events_hold_no_field_contents(client, admin_client, make_user):
    """Role changes and failed logins record who and what, not what was typed."""
    client.post("/accounts/login/", {"login": "U Kyaw Zin Oo", "password": "hunter2-secret"})
    assert not any("hunter2" in event.reason for event in AuditEvent.objects.all())
    assert not AuditEvent.objects.filter(object_ref__icontains="Kyaw").exists()


def test_the_action_filter_suggests_known_actions_and_matches_part_of_a_name(auditor_client, admin):
    log_event(action="accounts.user.deactivated", actor=admin, object_ref="bob")
    log_event(action="defectors.case.identity_revealed", actor=admin, object_ref="HV-AAAA-BBBB")
    page = auditor_client.get("/audit/").content.decode()
    assert '<datalist id="audit-actions">' in page
    assert '<option value="defectors.case.identity_revealed">' in page and 'list="audit-actions"' in page
    assert rows(auditor_client.get("/audit/", {"action": "identity_revealed"})) == 1
    assert rows(auditor_client.get("/audit/", {"action": "deactivated"})) == 1
