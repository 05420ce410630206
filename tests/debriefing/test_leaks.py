"""Debrief answers, review comments, addenda, items and incidents never appear in the clear:
not in a pg_dump, the logs or Redis (as tests/vault/test_leaks.py for the vault)."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.factories import CaseFactory, schedule_debrief
from tests.vault.test_leaks import BURMESE_SENTINEL, pg_dump, redis_contents

SENTINELS = {
    "answer": "Sentinel Answer 61733",
    "repeat": "Sentinel Incident Answer 61733",
    "comment": "Sentinel Comment 61733",
    "addendum": "Sentinel Addendum 61733",
    "item": "Sentinel Item 61733",
    "incident": "Sentinel Perpetrator 61733",
}


@pytest.mark.django_db(transaction=True)
def test_no_debrief_sentinel_reaches_the_database_dump_the_logs_or_redis(caplog, client_for, make_user):
    caplog.set_level(logging.DEBUG)
    supervisor, debriefer = make_user("supervisor", username="sam"), make_user("debriefer", username="dara")
    session = schedule_debrief(case=CaseFactory(), debriefer=debriefer, supervisor=supervisor)
    dbc, sup = client_for(debriefer), client_for(supervisor)
    url = f"/debriefing/{session.pk}/"

    def autosave(section: str, data: dict[str, str]) -> None:
        body = {**data, "version": "0", "save_token": str(uuid.uuid4())}
        assert dbc.post(f"{url}{section}/", body, HTTP_X_AUTOSAVE="1").status_code == 200

    autosave("background", {"service_years": "4", "service_branch": "army"})
    autosave("unit", {"unit_name": SENTINELS["answer"] + " " + BURMESE_SENTINEL})
    autosave("operations", {"took_part": "no"})
    autosave("violations", {
        "witnessed": "yes", "incidents__count": "1", "incidents__0__incident_date": "2023-01-02",
        "incidents__0__incident_account": SENTINELS["repeat"],
    })  # fmt: skip
    autosave("wellbeing", {"feeling": "fine"})
    item = {"category": "unit", "summary": SENTINELS["item"], "urgent": "on", "reliability": "C", "credibility": "3"}
    assert dbc.post(f"{url}items/new/", item).status_code == 302
    incident = {
        "violation": "torture",
        "date_from": "2023-01-02",
        "region": "sagaing",
        "perpetrator_unit": SENTINELS["incident"],
    }
    assert dbc.post(f"{url}incidents/new/", incident).status_code == 302
    dbc.post(f"{url}submit/")
    sup.post(f"{url}review/", {"decision": "return", "comment": SENTINELS["comment"]})
    dbc.post(f"{url}submit/")
    sup.post(f"{url}review/", {"decision": "approve"})
    dbc.post(f"{url}addendum/", {"question": "unit_name", "text": SENTINELS["addendum"]})
    page = sup.get(url).content.decode()
    assert all(value in page for value in SENTINELS.values() if value != SENTINELS["incident"])  # written, readable

    dump = pg_dump()
    assert "debriefing_sectionanswers" in dump
    cache = redis_contents()
    for value in [*SENTINELS.values(), BURMESE_SENTINEL]:
        assert value not in dump, f"{value!r} is in the database dump"
        assert value not in caplog.text, f"{value!r} is in the logs"
        assert value.encode() not in cache, f"{value!r} is in Redis"
