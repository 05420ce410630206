from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from defectors import demo
from defectors.models import Case
from support import services
from support.models import Assistance, Placement, Provider, Referral, Shelter, Task

TODAY = datetime.date.today()
LONG_AGO = timezone.now() - datetime.timedelta(days=60)


def busy(cases: list[Case], provider: Provider, shelter: Shelter) -> None:
    """Give every case something on the dashboard: urgent, a follow-up, a task, a waiting referral, a stay
    ending, assistance awaiting approval."""
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        status=Case.Status.ACTIVE, urgency=Case.Urgency.URGENT, next_follow_up=TODAY - datetime.timedelta(days=1)
    )
    for case in cases:
        Referral(
            case=case, provider=provider, service_type="legal", status="sent", status_changed_at=LONG_AGO,
            created_by=case.created_by,
        ).save()  # fmt: skip
        Task(case=case, title="Call", owner=case.assigned_to, due_on=TODAY - datetime.timedelta(days=2)).save()
        Assistance(
            case=case, kind="cash", amount=Decimal("9000"), currency="THB", given_on=TODAY, purpose="Rent",
            created_by=case.created_by, needs_approval=True,
        ).save()  # fmt: skip
        Assistance(
            case=case, kind="cash", amount=Decimal("9000"), currency="THB", given_on=TODAY, purpose="Rent",
            created_by=case.created_by, needs_approval=True, declined_by=case.created_by, declined_at=LONG_AGO,
            decline_reason="No",
        ).save()  # fmt: skip
    Placement.objects.bulk_create(
        Placement(case=case, shelter=shelter, checked_in_on=TODAY, expected_end=TODAY, created_by=case.created_by)
        for case in cases
    )


def test_the_caseworker_sees_their_own_items_and_no_one_elses(cw, case, caseworker, outsider, provider, shelter):
    other = demo.write([demo.generate(900)], [outsider])
    busy([case, *other], provider, shelter)
    page = cw.get("/support/").content.decode()
    assert page.count(case.code) >= 5  # urgent, follow-up, task, referral, placement
    assert other[0].code not in page
    assert "Ko Secret Name" not in page


def test_the_supervisor_sees_every_caseworkers_workload(sup, case, caseworker, outsider, provider, shelter):
    busy([case], provider, shelter)
    page = _cells(sup.get("/support/").content.decode())
    assert "Workload per caseworker" in page
    assert f"<td>{caseworker.username}</td><td>1</td><td>1</td><td>1</td>" in page
    assert f"<td>{outsider.username}</td><td>0</td><td>0</td><td>0</td>" in page


def _charts(page: str) -> dict[str, str]:
    """The dashboard's charts, by their figure's id: the <svg> inside each."""
    return dict(re.findall(r'<figure class="chart" id="([\w-]+)">\s*(<svg.*?</svg>)', page, re.S))


def _cells(page: str) -> str:
    """The page with its table cells' data-label attributes (the phone's labels) taken out."""
    return re.sub(r'<td data-label="[^"]*">', "<td>", page)


def _bars(chart: str) -> list[str]:
    """Each bar's accessible name, e.g. "Sentinel Safehouse, Occupied: 1"."""
    return re.findall(r'<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="bar"', chart)


def test_the_charts_are_svg_without_style_or_script(sup, case, shelter):
    page = sup.get("/support/").content.decode()
    assert page.count("<svg") == 2
    assert "style=" not in page and "<style" not in page and "<script>" not in page


def test_occupancy_is_a_chart_of_occupied_and_free_beds_per_shelter(cw, case, caseworker, shelter):
    services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    page = cw.get("/support/").content.decode()
    bars = _bars(_charts(page)["occupancy-chart"])
    assert len(bars) == 2  # one shelter: its occupied and its free beds, stacked
    assert sorted(bars) == ["Sentinel Safehouse, Free: 1", "Sentinel Safehouse, Occupied: 1"]
    assert "<td>Sentinel Safehouse</td><td>2</td><td>1</td><td>1</td>" in _cells(page)  # the table beside it


def test_workload_is_a_chart_of_open_cases_and_overdue_items_per_caseworker(
    sup, case, caseworker, outsider, provider, shelter
):
    busy([case], provider, shelter)
    page = sup.get("/support/").content.decode()
    bars = _bars(_charts(page)["workload-chart"])
    assert sorted(bars) == [
        f"{caseworker.username}, Open cases: 1",
        f"{caseworker.username}, Overdue items: 2",  # a follow-up and a task
        f"{outsider.username}, Open cases: 0",
        f"{outsider.username}, Overdue items: 0",
    ]
    assert f"<td>{caseworker.username}</td><td>1</td><td>1</td><td>1</td>" in _cells(page)  # the table beside it


def test_a_caseworker_sees_no_workload_chart(cw, case, shelter):
    assert list(_charts(cw.get("/support/").content.decode())) == ["occupancy-chart"]


def test_the_dashboard_is_the_home_of_caseworkers_and_supervisors(cw, sup):
    assert cw.get("/")["Location"] == "/support/"
    assert sup.get("/")["Location"] == "/support/"


def test_the_header_counts_unread_notifications(cw, case, caseworker):
    from support.services import create_reminders

    Case.objects.filter(pk=case.pk).update(next_follow_up=TODAY - datetime.timedelta(days=3))
    create_reminders(today=TODAY)
    assert 'data-unread="1"' in cw.get("/support/").content.decode()
    cw.post("/support/notifications/read/")
    assert 'data-unread="0"' in cw.get("/support/").content.decode()


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


# Every page: the session, the user, the MFA check, the header's unread notifications: 4 (the
# session is not saved again: it was renewed less than a minute ago).
# The dashboard adds the urgent and overdue counts, the organisation's key (shelter names), the
# shelters with their occupancy, the urgent cases, the overdue follow-ups, the overdue tasks, the
# waiting referrals, the placements ending: 9.
# A supervisor's adds the workload (cases, tasks, caseworkers), the Tasks link's count, the
# assistance awaiting approval (its count and its newest) and the heartbeats (is background
# work late?): 7.
BUDGET = {"caseworker": 13, "supervisor": 21}  # the supervisor: + open brakes (the banner)


def test_the_dashboards_run_the_same_queries_at_10_and_1000_cases(
    cw, sup, caseworker, outsider, provider, shelter, django_assert_num_queries
):
    workers = [caseworker, outsider]
    pages = {
        "caseworker": (cw, "/support/"),
        "supervisor": (sup, "/support/"),
        "referrals": (sup, "/support/referrals/"),
    }
    demo.seed(10, workers)
    first = list(demo.seeded(workers))
    busy(first, provider, shelter)
    small = {name: _queries(client, url) for name, (client, url) in pages.items()}
    assert {name: small[name] for name in BUDGET} == BUDGET
    demo.seed(1000, workers)
    busy(list(demo.seeded(workers).exclude(pk__in=[c.pk for c in first])), provider, shelter)
    assert Referral.objects.count() == Assistance.objects.count() / 2 == 1000  # half of it declined
    for name, (client, url) in pages.items():
        with django_assert_num_queries(small[name]):
            assert client.get(url).status_code == 200


class TestAwaitingApproval:
    """Supervisors find the assistance waiting for them on the dashboard, not case by case."""

    def record(self, case, by, amount: str = "9000", days_ago: int = 0) -> Assistance:  # type: ignore[no-untyped-def]
        return services.record_assistance(
            case=case, by=by,
            fields={"kind": "cash", "amount": Decimal(amount), "currency": "THB",
                    "given_on": TODAY - datetime.timedelta(days=days_ago), "purpose": "SENTINEL-PURPOSE"},
        )  # fmt: skip

    def test_the_supervisor_sees_the_newest_ten_and_how_many_wait(self, sup, supervisor, caseworker):
        from tests.factories import CaseFactory

        cases = [CaseFactory(created_by=caseworker) for _n in range(12)]
        for days_ago, case in enumerate(cases):
            self.record(case, caseworker, days_ago=days_ago)
        self.record(cases[0], caseworker, amount="100")  # under the limit: nothing to approve
        approved = self.record(cases[1], caseworker)
        services.approve_assistance(assistance=approved, by=supervisor)
        page = sup.get("/support/").content.decode()
        section = page.split('id="approvals"')[1].split("</section>")[0]
        assert "Assistance awaiting approval: 12" in section
        listed = re.findall(r'<a href="/support/cases/([\w-]+)/#assistance">', section)
        assert listed == [case.code for case in cases[:10]]  # newest first
        assert "Emergency cash · 9000.00 THB · " + TODAY.isoformat() in section
        assert "Showing the 10 newest of 12" in section
        assert "SENTINEL-PURPOSE" not in page

    def test_a_declined_entry_is_no_longer_waiting(self, sup, supervisor, caseworker):
        from tests.factories import CaseFactory

        kept, declined = CaseFactory(created_by=caseworker), CaseFactory(created_by=caseworker)
        self.record(kept, caseworker)
        services.decline_assistance(assistance=self.record(declined, caseworker), by=supervisor, reason="No")
        section = sup.get("/support/").content.decode().split('id="approvals"')[1].split("</section>")[0]
        assert "Assistance awaiting approval: 1" in section
        assert kept.code in section and declined.code not in section

    def test_the_index_holds_exactly_the_waiting_entries(self):
        """The dashboard reads the partial index alone only while its condition is AWAITING_APPROVAL."""
        from support.models import AWAITING_APPROVAL

        (index,) = [index for index in Assistance._meta.indexes if index.name == "support_assistance_awaiting"]
        assert index.condition == AWAITING_APPROVAL

    def test_a_caseworker_does_not_see_the_section(self, cw, case, caseworker):
        self.record(case, caseworker)
        assert 'id="approvals"' not in cw.get("/support/").content.decode()

    def test_none_waiting_says_none(self, sup, case):
        section = sup.get("/support/").content.decode().split('id="approvals"')[1].split("</section>")[0]
        assert "Assistance awaiting approval: 0" in section and "None." in section


class TestLongLists:
    """A list cut at 10 says how many there are, and where the rest are when the case list can show them."""

    def test_overdue_follow_ups_link_to_the_rest_in_the_case_list(self, cw, caseworker):
        from tests.factories import CaseFactory

        cases = [
            CaseFactory(created_by=caseworker, next_follow_up=TODAY - datetime.timedelta(days=n + 1)) for n in range(12)
        ]
        page = cw.get("/support/").content.decode()
        section = page.split('id="follow-ups"')[1].split("</section>")[0]
        assert '<a href="/cases/?follow_up=overdue&amp;sort=follow_up">and 2 more</a>' in section
        listed = cw.get("/cases/?follow_up=overdue&sort=follow_up").content.decode()
        assert all(case.code in listed for case in cases)  # the link shows the same cases, all of them

    def test_urgent_cases_say_how_many_there_are(self, cw, caseworker):
        from tests.factories import CaseFactory

        for _n in range(12):
            CaseFactory(created_by=caseworker, urgency=Case.Urgency.URGENT)
        section = cw.get("/support/").content.decode().split('id="urgent"')[1].split("</section>")[0]
        assert section.count("<li>") == 10
        assert "Showing the 10 newest of 12." in section

    def test_short_lists_say_nothing_more(self, cw, caseworker):
        from tests.factories import CaseFactory

        yesterday = TODAY - datetime.timedelta(days=1)
        CaseFactory(created_by=caseworker, urgency=Case.Urgency.URGENT, next_follow_up=yesterday)
        page = cw.get("/support/").content.decode()
        assert "more</a>" not in page and "Showing the" not in page


class TestLateBackgroundWork:
    """A supervisor is told, plainly, when the reminders stopped or the worker is gone."""

    WORKER = "The background worker has not been seen for a few minutes"
    REMINDERS = "The daily reminders have not run in the last 25 hours"

    def test_all_on_time_says_nothing(self, sup, cw):
        from health import heartbeats

        for name in ("worker", "beat", "reminders"):
            heartbeats.record(name)
        page = sup.get("/support/").content.decode()
        assert self.WORKER not in page and self.REMINDERS not in page and "The scheduler" not in page

    def test_overdue_reminders_and_a_silent_worker_are_warned_of(self, sup, cw):
        from health import heartbeats

        now = timezone.now()
        heartbeats.record("beat", at=now - datetime.timedelta(days=3))  # up for days
        heartbeats.record("beat", at=now)
        heartbeats.record("reminders", at=now - datetime.timedelta(hours=26))
        heartbeats.record("worker", at=now - datetime.timedelta(minutes=5))
        page = sup.get("/support/").content.decode()
        assert self.WORKER in page and self.REMINDERS in page and "The scheduler" not in page
        assert self.WORKER not in cw.get("/support/").content.decode()  # the supervisor's dashboard only

    def test_a_laptop_without_a_task_queue_is_not_warned(self, sup, settings):
        """make run: no broker, tasks run in the web process; there is no worker or beat to be late."""
        settings.CELERY_TASK_ALWAYS_EAGER = True
        assert self.WORKER not in sup.get("/support/").content.decode()
