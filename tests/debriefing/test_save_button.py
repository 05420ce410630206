"""The section form's Save button without the page's script: a save that writes nothing shows the
page again with every typed word in its field, never a redirect that loses them."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from audit.models import AuditEvent
from debriefing import services
from debriefing.models import DebriefSession, SectionAnswers
from defectors.models import Consent
from defectors.record import withdraw_consent
from tests.debriefing.conftest import save

pytestmark = pytest.mark.django_db
TYPED = "Sentinel typed words 6620: the convoy left at dawn"
SAVED = "Sentinel saved elsewhere 1187"


def press_save(client: Client, session: DebriefSession, version: str = "0"):  # type: ignore[no-untyped-def]
    body = {"unit_name": "Battalion 52", "command_chain": TYPED, "version": version, "save_token": str(uuid.uuid4())}
    return client.post(f"/debriefing/{session.pk}/unit/", body)


def saves() -> int:
    return AuditEvent.objects.filter(action="debriefing.session.section_saved").count()


def test_newer_answers_from_another_window_keep_the_typed_words_on_the_page(dbc, session):
    save(session, "unit", {"command_chain": SAVED})
    response = press_save(dbc, session, version="0")
    page = response.content.decode()
    assert response.status_code == 409
    assert TYPED in page and "Battalion 52" in page
    assert "Newer answers were saved from another window" in page and "Nothing on this page was saved" in page
    assert 'name="version" value="0"' in page  # pressing Save again cannot overwrite the newer answers
    assert SectionAnswers.objects.get(session=session, section="unit").answers == {"command_chain": SAVED}
    assert saves() == 1


def test_invalid_answers_keep_the_typed_words_on_the_page(dbc, session):
    body = {"command_chain": TYPED, "unit_strength": "300-400", "version": "0", "save_token": str(uuid.uuid4())}
    response = dbc.post(f"/debriefing/{session.pk}/unit/", body)
    assert response.status_code == 400 and TYPED in response.content.decode()
    assert not SectionAnswers.objects.filter(session=session).exists() and saves() == 0


def test_a_form_without_its_version_keeps_the_typed_words_on_the_page(dbc, session):
    response = press_save(dbc, session, version="")
    assert response.status_code == 400 and TYPED in response.content.decode()
    assert "The form is incomplete" in response.content.decode()
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_a_submitted_debrief_shows_the_typed_words_unsaved_to_copy(dbc, session):
    save(session, "background", {"service_years": 6, "service_branch": "army"})
    save(session, "unit", {"unit_name": SAVED})
    save(session, "operations", {"took_part": "no"})
    save(session, "violations", {"witnessed": "no"})
    save(session, "wellbeing", {"feeling": "tired"})
    services.submit_session(session=session, by=session.debriefer)
    response = press_save(dbc, session, version="2")
    page = response.content.decode()
    assert response.status_code == 400
    assert TYPED in page
    assert "submitted or approved" in page and "copy it before leaving" in page
    assert SectionAnswers.objects.get(session=session, section="unit").answers == {"unit_name": SAVED}
    assert saves() == 5


def test_a_withdrawn_consent_shows_the_typed_words_unsaved(dbc, session, case, caseworker):
    withdraw_consent(case=case, by=caseworker, kind=Consent.Kind.DEBRIEFING)
    response = press_save(dbc, session)
    assert response.status_code == 400 and TYPED in response.content.decode()
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_a_save_that_is_written_still_redirects(dbc, session):
    response = press_save(dbc, session)
    assert response.status_code == 302 and response["Location"] == session.get_absolute_url()
    assert SectionAnswers.objects.get(session=session, section="unit").answers["command_chain"] == TYPED


def test_another_debriefer_gets_404_and_sees_nothing_typed(client_for, outsider_debriefer, session):
    response = press_save(client_for(outsider_debriefer), session)
    assert response.status_code == 404 and TYPED not in response.content.decode()
    assert not SectionAnswers.objects.filter(session=session).exists()


def test_a_section_that_cannot_be_changed_offers_nothing_to_type_into(dbc, session, case, caseworker):
    save(session, "unit", {"unit_name": "Battalion 52"})
    page = dbc.get(f"/debriefing/{session.pk}/unit/").content.decode()
    assert "data-autosave " in page and "disabled" not in page  # editable: typed into and autosaved

    withdraw_consent(case=case, by=caseworker, kind=Consent.Kind.DEBRIEFING)
    page = dbc.get(f"/debriefing/{session.pk}/unit/").content.decode()
    assert "no debriefing consent" in page
    assert "data-autosave " not in page  # debrief.js sends nothing from this page
    assert ">Save<" not in page and 'name="more"' not in page
    assert 'value="Battalion 52"' in page  # the stored answers are still shown
    fields = re.findall(r'<(?:input|textarea|select)[^>]*name="(?!csrfmiddlewaretoken|version|save_token)[^>]*>', page)
    assert fields and all("disabled" in tag for tag in fields)
