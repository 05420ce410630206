"""Forms sent by static/js/send.js (config/sending.py): a redirect is told, not made; a stale CSRF token is renewed.

The browser side (the page kept with what was typed) is tests/browser/test_kept_text.py.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from defectors.models import Case, CaseNote
from tests.conftest import login_with_mfa
from tests.defectors.test_kept_step import expire
from tests.factories import CaseFactory

SENT = {"HTTP_X_HAVEN_SEND": "1"}


def note(token: uuid.UUID, text: str = "Visited; settling in.") -> dict[str, str]:
    return {"kind": "visit", "happened_on": "2026-01-05", "text": text, "token": str(token)}


def test_a_sent_form_is_told_where_to_go_and_a_resent_one_saves_once(cw, case):  # type: ignore[no-untyped-def]
    url, token = f"/cases/{case.code}/notes/add/", uuid.uuid4()
    response = cw.post(url, note(token), **SENT)
    assert response.status_code == 204
    assert response["X-Haven-Location"] == case.get_absolute_url()
    assert not response.has_header("Location") and response.content == b""
    assert not response.has_header("X-Haven-Login")
    # The answer was lost on the way; the page sends the same form again: one note, the same place.
    again = cw.post(url, note(token), **SENT)
    assert (again.status_code, again["X-Haven-Location"]) == (204, case.get_absolute_url())
    assert CaseNote.objects.filter(case=case).count() == 1
    page = cw.get(case.get_absolute_url()).content.decode()
    assert "Note saved." in page  # not taken by a page the script fetched unseen
    # Without the script's header, as before; a page with errors stays a page.
    assert cw.post(url, note(uuid.uuid4()), **{}).status_code == 302
    assert cw.post(url, note(uuid.uuid4(), text=""), **SENT).status_code == 400
    assert cw.get(url, **SENT).status_code == 200


def test_a_sent_form_after_the_session_ended_is_told_to_log_in_and_nothing_is_kept_unless_said(  # type: ignore[no-untyped-def]
    cw, case, caseworker
) -> None:
    expire(cw)
    response = cw.post(f"/cases/{case.code}/notes/add/", note(uuid.uuid4()), **SENT)
    assert response.status_code == 204
    assert response["X-Haven-Location"].startswith("/accounts/login/?next=")
    assert response["X-Haven-Login"] == "1"
    assert not response.has_header("X-Haven-Kept")  # the page keeps the text: nothing was kept on the server
    assert not CaseNote.objects.exists()

    # An intake step is kept on the server: the script goes on to the login page, which says so.
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    fresh = login_with_mfa(Client(), caseworker)
    expire(fresh)
    step = {"circumstances": "Crossed at night.", "defection_place": "Kalay"}
    kept = fresh.post(f"/cases/{draft.code}/intake/defection/", step, **SENT)
    assert (kept.status_code, kept["X-Haven-Kept"]) == (204, "1")
    assert kept["X-Haven-Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("sent", [True, False])
def test_a_stale_csrf_token_is_renewed_only_for_a_sent_form(caseworker, case, sent: bool) -> None:  # type: ignore[no-untyped-def]
    client = login_with_mfa(Client(enforce_csrf_checks=True), caseworker)
    url = f"/cases/{case.code}/notes/add/"
    assert client.get(url).status_code == 200  # the CSRF cookie
    stale = {**note(uuid.uuid4()), "csrfmiddlewaretoken": "x" * 64}
    refused = client.post(url, stale, **({**SENT, "HTTP_X_HAVEN_PERSON": str(caseworker.pk)} if sent else {}))
    assert refused.status_code == 403
    assert not CaseNote.objects.exists()
    if not sent:
        assert not refused.has_header("X-Haven-Csrf")  # a plain form post learns no token
        return
    fresh = refused["X-Haven-Csrf"]
    again = client.post(url, {**stale, "csrfmiddlewaretoken": fresh}, **SENT)
    assert again.status_code == 204
    assert CaseNote.objects.filter(case=case).count() == 1


def test_a_fresh_token_is_not_given_to_a_page_shown_to_someone_else(caseworker, supervisor, case) -> None:  # type: ignore[no-untyped-def]
    """Cora's page, then Sam signs in on the same browser: her note is not sent again under his name."""
    client = login_with_mfa(Client(enforce_csrf_checks=True), supervisor)
    url = f"/cases/{case.code}/notes/add/"
    assert client.get(url).status_code == 200
    stale = {**note(uuid.uuid4()), "csrfmiddlewaretoken": "x" * 64}
    for person in (str(caseworker.pk), "", "0"):
        refused = client.post(url, stale, **SENT, HTTP_X_HAVEN_PERSON=person)
        assert refused.status_code == 403 and refused["X-Haven-Other-Person"] == "1"
        assert not refused.has_header("X-Haven-Csrf")
    assert not CaseNote.objects.exists()
