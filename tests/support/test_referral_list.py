"""The referral list pages without counting every referral (README, Performance)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from support import services
from support.models import ServiceType
from support.views.referrals import PAGE_SIZE

URL = "/support/referrals/"


def draft_many(case, by, provider, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        services.create_referral(case=case, by=by, provider=provider, service_type=ServiceType.SHELTER)


def test_one_row_more_than_a_page_decides_the_next_link(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, PAGE_SIZE + 1)
    first = cw.get(URL).content.decode()
    assert first.count(f"/support/cases/{case.code}/referrals/") == PAGE_SIZE
    assert 'rel="next"' in first and 'rel="prev"' not in first
    assert "Page 1<" in first and " of " not in first  # no total: it is never counted
    second = cw.get(URL + "?page=2").content.decode()
    assert second.count(f"/support/cases/{case.code}/referrals/") == 1
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_exactly_a_page_shows_no_pagination(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, PAGE_SIZE)
    page = cw.get(URL).content.decode()
    assert page.count(f"/support/cases/{case.code}/referrals/") == PAGE_SIZE
    assert 'rel="next"' not in page and "Page 1" not in page


def test_no_count_query_is_run(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, 3)
    with CaptureQueriesContext(connection) as captured:
        assert cw.get(URL).status_code == 200
    referral_sql = [q["sql"] for q in captured.captured_queries if "support_referral" in q["sql"]]
    assert referral_sql and not any("COUNT(" in sql.upper() for sql in referral_sql)
    assert any(f"LIMIT {PAGE_SIZE + 1}" in sql for sql in referral_sql)


def test_malformed_and_huge_page_numbers_are_answered(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, 2)
    assert cw.get(URL + "?page=abc").status_code == 200
    assert cw.get(URL + "?page=-4").content.decode().count(f"/support/cases/{case.code}/referrals/") == 2
    beyond = cw.get(URL + "?page=" + "9" * 40)
    assert beyond.status_code == 200
    assert "No referrals." in beyond.content.decode()
