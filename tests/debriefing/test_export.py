"""The partners' export: re-authentication, de-identification, testimony consent, formula cells, audit."""

from __future__ import annotations

import csv
import datetime
import io
import json
import time

import pytest
from django.test import Client

from audit.models import AuditEvent
from debriefing import services
from debriefing.models import DebriefSession
from defectors.models import Consent
from tests.debriefing.test_sessions import SECRET_ANSWER, complete
from tests.factories import CaseFactory, give_consent, schedule_debrief

pytestmark = pytest.mark.django_db

BURMESE = "စစ်တပ်မှ ထွက်ပြေးလာသူ"  # "one who fled the army"


def reauthenticated(client: Client) -> Client:
    """As after typing the password again on allauth's reauthenticate page."""
    session = client.session
    session["account_authentication_methods"].append({"method": "password", "at": time.time(), "reauthenticated": True})
    session.save()
    return client


def approved_session(*, case, debriefer, supervisor, summary: str, consent: bool) -> DebriefSession:  # type: ignore[no-untyped-def]
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    complete(session)
    services.record_item(session=session, by=debriefer, fields={
        "category": "unit", "summary": summary, "urgent": False, "reliability": "B", "credibility": "2",
    })  # fmt: skip
    services.record_incident(session=session, by=debriefer, fields={
        "violation": "killing", "date_from": datetime.date(2023, 4, 11), "date_to": None, "region": "sagaing",
        "township": "Kani", "perpetrator_unit": "LIB 52", "victims": 4, "summary": f"incident of {summary}",
    })  # fmt: skip
    if consent:
        give_consent(case, Consent.Kind.TESTIMONY)
    services.submit_session(session=session, by=debriefer)
    services.review_session(session=session, by=supervisor, decision="approve", comment="Sentinel review 9912")
    return session


@pytest.fixture
def two_sources(case, debriefer, supervisor):  # type: ignore[no-untyped-def]
    first = approved_session(
        case=case, debriefer=debriefer, supervisor=supervisor, summary='=HYPERLINK("http://x")', consent=True
    )
    second = approved_session(
        case=CaseFactory(full_name="Ko Second Secret"),
        debriefer=debriefer,
        supervisor=supervisor,
        summary="@SUM(1)",
        consent=False,
    )
    # A session still in progress: none of its items leave.
    third = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    services.record_item(session=third, by=debriefer, fields={
        "category": "weapons", "summary": "unreviewed item", "urgent": True, "reliability": "F", "credibility": "6",
    })  # fmt: skip
    return first, second


def test_the_export_asks_for_the_password_again(sup, two_sources):
    response = sup.get("/debriefing/export/csv/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not AuditEvent.objects.filter(action="debriefing.export.created").exists()


def test_the_csv_is_de_identified_consented_neutralised_and_audited(sup, two_sources, case):
    response = reauthenticated(sup).get("/debriefing/export/csv/")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    for forbidden in [case.code, two_sources[1].case.code, "Ko Secret Name", "Ko Second Secret", "BA-424242", "dara",
                      SECRET_ANSWER, "Sentinel review 9912", "unreviewed item"]:  # fmt: skip
        assert forbidden not in text
    assert [row["kind"] for row in rows] == ["item", "item", "incident"]  # the second incident had no consent
    assert rows[0]["summary"] == '\'=HYPERLINK("http://x")' and rows[1]["summary"] == "'@SUM(1)"
    assert rows[0]["source"] == rows[2]["source"] != rows[1]["source"]  # one source, one pseudonym
    assert rows[0]["reliability"] == "B" and rows[0]["credibility"] == "2"
    event = AuditEvent.objects.get(action="debriefing.export.created")
    assert event.reason == "csv 3 rows"


def test_pseudonyms_do_not_carry_over_between_exports(sup, two_sources):
    reauthenticated(sup)
    first = json.loads(sup.get("/debriefing/export/json/").content)["rows"]
    second = json.loads(sup.get("/debriefing/export/json/").content)["rows"]
    assert first[0]["summary"] == second[0]["summary"]
    assert first[0]["source"] != second[0]["source"]
    assert "case" not in json.dumps(first) and "debriefer" not in json.dumps(first)


def test_an_unknown_format_is_404(sup):
    assert reauthenticated(sup).get("/debriefing/export/xml/").status_code == 404


def test_the_csv_opens_in_excel_with_burmese_intact(sup, case, debriefer, supervisor):
    """A byte-order mark and charset=utf-8: Excel reads UTF-8 only with the mark."""
    approved_session(case=case, debriefer=debriefer, supervisor=supervisor, summary=BURMESE, consent=True)
    response = reauthenticated(sup).get("/debriefing/export/csv/")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "kind"  # the mark is not part of the first header
    assert [row[3] for row in rows[1:]] == [BURMESE, f"incident of {BURMESE}"]


def test_the_json_export_has_no_byte_order_mark(sup, case, debriefer, supervisor):
    approved_session(case=case, debriefer=debriefer, supervisor=supervisor, summary=BURMESE, consent=True)
    response = reauthenticated(sup).get("/debriefing/export/json/")
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content.decode())["rows"][0]["summary"] == BURMESE


def test_a_consent_withdrawn_after_approval_takes_the_persons_rows_out_of_every_later_export(
    sup, two_sources, caseworker
):
    """Consent is read as it is at export time, not as it was when the debrief was approved."""
    from debriefing.export import _rows
    from defectors.record import withdraw_consent

    first, _second = two_sources
    assert any(row["kind"] == "incident" and row["township"] == "Kani" for row in _rows())
    withdraw_consent(case=first.case, by=caseworker, kind=Consent.Kind.TESTIMONY)
    rows = _rows()
    assert not any(row["kind"] == "incident" and "HYPERLINK" in row["summary"] for row in rows)
    assert any(row["kind"] == "item" and "HYPERLINK" in row["summary"] for row in rows)  # items need debriefing consent
    withdraw_consent(case=first.case, by=caseworker, kind=Consent.Kind.DEBRIEFING)
    assert not any("HYPERLINK" in row["summary"] for row in _rows())
