"""An incident is testimony only while its case's consent record says so, read when exporting and counting."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection

from debriefing import services
from debriefing.models import DebriefSession, Incident
from defectors.models import Consent
from defectors.record import withdraw_consent
from reporting.tables import POPULATIONS
from tests.debriefing.test_export import reauthenticated
from tests.debriefing.test_sessions import complete
from tests.factories import give_consent

pytestmark = pytest.mark.django_db

INCIDENT = {
    "violation": "killing",
    "date_from": "2023-04-11",
    "region": "sagaing",
    "township": "Kani",
    "summary": "the village was burned",
}


def approve(session: DebriefSession) -> None:
    complete(session)
    services.submit_session(session=session, by=session.debriefer)
    services.review_session(session=session, by=session.scheduled_by, decision="approve", comment="")


def exported_incidents(sup) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    response = reauthenticated(sup).get("/debriefing/export/csv/")
    assert response.status_code == 200
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return [row for row in rows if row["kind"] == "incident"]


def counted() -> int:
    return POPULATIONS["incidents"].rows().count()


def test_the_incident_form_shows_the_cases_consent_and_has_no_checkbox(dbc, session, caseworker):
    url = f"/debriefing/{session.pk}/incidents/new/"
    page = dbc.get(url).content.decode()
    assert 'name="testimony_consent"' not in page
    assert "consent record today:" in page and "<strong>not given</strong>" in page
    give_consent(session.case, Consent.Kind.TESTIMONY)
    assert "<strong>given on " in dbc.get(url).content.decode()
    withdraw_consent(case=session.case, by=caseworker, kind=Consent.Kind.TESTIMONY)
    assert "<strong>withdrawn on " in dbc.get(url).content.decode()
    assert "<strong>withdrawn on " in dbc.get(session.get_absolute_url()).content.decode()


def test_a_forged_testimony_consent_changes_nothing(dbc, sup, session):
    """The case's testimony consent is "not given": a ticked box posted by hand neither exports nor counts."""
    response = dbc.post(f"/debriefing/{session.pk}/incidents/new/", {**INCIDENT, "testimony_consent": "on"})
    assert response.status_code == 302
    assert Incident.objects.count() == 1
    with connection.cursor() as cursor:
        columns = [
            column.name for column in connection.introspection.get_table_description(cursor, "debriefing_incident")
        ]
    assert "testimony_consent" not in columns  # nowhere to keep it
    approve(session)
    assert exported_incidents(sup) == []
    assert counted() == 0


def test_a_consent_withdrawn_after_an_export_leaves_the_next_export_and_count(dbc, sup, session, caseworker):
    give_consent(session.case, Consent.Kind.TESTIMONY)
    dbc.post(f"/debriefing/{session.pk}/incidents/new/", INCIDENT)
    approve(session)
    assert [row["township"] for row in exported_incidents(sup)] == ["Kani"]
    assert counted() == 1

    withdraw_consent(case=session.case, by=caseworker, kind=Consent.Kind.TESTIMONY)
    assert exported_incidents(sup) == []
    assert counted() == 0

    give_consent(session.case, Consent.Kind.TESTIMONY)  # given again: in force again, from now on
    assert len(exported_incidents(sup)) == 1 and counted() == 1
