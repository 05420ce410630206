"""The referral list pages by cursor (keyset), newest first, without counting or skipping rows.

A page link carries the last row's place in the order (its creation time in microseconds
and its id: nothing that names a person); the next page reads the 26 rows after it from
an index, so page 2,000 costs what page 1 does (README, Performance).
"""

from __future__ import annotations

import datetime
import re
import uuid

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from support import services
from support.models import Referral, ServiceType
from support.views.referrals import PAGE_SIZE
from tests.factories import CaseFactory

URL = "/support/referrals/"
NOON = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


def draft_many(case, by, provider, n: int) -> list[Referral]:  # type: ignore[no-untyped-def]
    return [
        services.create_referral(case=case, by=by, provider=provider, service_type=ServiceType.SHELTER)
        for _ in range(n)
    ]


def shown(page: str) -> list[str]:
    """The referral ids on a list page, in order."""
    return re.findall(r"/support/cases/[\w-]+/referrals/([0-9a-f-]{36})/", page)


def link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def in_list_order(referrals: list[Referral]) -> list[str]:
    rows = Referral.objects.filter(pk__in=[r.pk for r in referrals]).order_by("-created_at", "-id")
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


def test_the_older_link_shows_the_next_rows_and_the_newer_link_comes_back(cw, case, caseworker, provider):
    made = draft_many(case, caseworker, provider, PAGE_SIZE + 5)
    # Ten share one creation time across the page boundary: the id breaks the tie.
    for n, referral in enumerate(made):
        at = NOON if 20 <= n < 30 else NOON - datetime.timedelta(minutes=n)
        Referral.objects.filter(pk=referral.pk).update(created_at=at)
    expected = in_list_order(made)
    first = cw.get(URL).content.decode()
    assert shown(first) == expected[:PAGE_SIZE]
    assert link(first, "prev") is None
    older = link(first, "next")
    assert older is not None and "after=" in older
    second = cw.get(URL + older).content.decode()
    assert shown(second) == expected[PAGE_SIZE:]
    assert link(second, "next") is None
    newer = link(second, "prev")
    assert newer is not None and "before=" in newer
    back = cw.get(URL + newer).content.decode()
    assert shown(back) == expected[:PAGE_SIZE]
    assert link(back, "prev") is None and link(back, "next") is not None


def test_a_page_in_the_middle_links_both_ways(cw, case, caseworker, provider):
    made = draft_many(case, caseworker, provider, 2 * PAGE_SIZE + 1)
    expected = in_list_order(made)
    second = cw.get(URL + link(cw.get(URL).content.decode(), "next")).content.decode()  # type: ignore[operator]
    assert shown(second) == expected[PAGE_SIZE : 2 * PAGE_SIZE]
    assert link(second, "prev") and link(second, "next")
    assert shown(cw.get(URL + link(second, "next")).content.decode()) == expected[2 * PAGE_SIZE :]  # type: ignore[operator]


def test_the_cursor_keeps_the_status_filter_and_names_no_one(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, PAGE_SIZE + 1)
    first = cw.get(URL + "?status=draft").content.decode()
    older = link(first, "next")
    assert older is not None
    assert re.fullmatch(r"\?status=draft&after=\d+\.[0-9a-f]{32}", older)  # a time and an id, nothing else
    assert case.code not in older
    assert len(shown(cw.get(URL + older).content.decode())) == 1
    assert shown(cw.get(URL + "?status=sent").content.decode()) == []


def test_exactly_a_page_shows_no_links(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, PAGE_SIZE)
    page = cw.get(URL).content.decode()
    assert len(shown(page)) == PAGE_SIZE
    assert link(page, "next") is None and link(page, "prev") is None


def test_a_malformed_cursor_answers_400_with_a_way_back(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, 2)
    arabic_indic = "١٢٣." + "a" * 32  # digits, but not ASCII ones
    for bad in ("after=abc", "after=12.zz", "before=1" + "0" * 40 + ".0123", "after=-5." + "a" * 32, "after=1.2.3",
                "after=" + arabic_indic):  # fmt: skip
        response = cw.get(URL + "?" + bad)
        assert response.status_code == 400, bad
        page = response.content.decode()
        assert "This page link is broken or out of date" in page
        assert shown(page) == []
        assert 'href="?"' in page or f'href="{URL}"' in page


def test_a_forged_cursor_shows_only_what_the_person_may_see(cw, case, caseworker, provider, outsider):
    mine = draft_many(case, caseworker, provider, 2)
    theirs = draft_many(CaseFactory(created_by=outsider), outsider, provider, 2)
    far_future = (NOON + datetime.timedelta(days=365) - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // (
        datetime.timedelta(microseconds=1)
    )
    page = cw.get(f"{URL}?after={far_future}.{uuid.uuid4().hex}").content.decode()
    assert sorted(shown(page)) == sorted(str(r.pk) for r in mine)
    assert not set(shown(page)) & {str(r.pk) for r in theirs}


def test_a_deep_page_runs_the_same_queries_as_the_first_and_no_offset(cw, case, caseworker, provider):
    draft_many(case, caseworker, provider, PAGE_SIZE + 3)
    with CaptureQueriesContext(connection) as first:
        page = cw.get(URL).content.decode()
    with CaptureQueriesContext(connection) as second:
        assert cw.get(URL + link(page, "next")).status_code == 200  # type: ignore[operator]
    assert len(first) == len(second)
    referral_sql = [q["sql"] for q in second.captured_queries if "support_referral" in q["sql"]]
    assert referral_sql and not any("OFFSET" in sql.upper() or "COUNT(" in sql.upper() for sql in referral_sql)
    assert any(f"LIMIT {PAGE_SIZE + 1}" in sql for sql in referral_sql)
