"""The pages: supervisors compute and propose, a different administrator approves, donors read."""

from __future__ import annotations

import csv
import io

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.urls import reverse

from audit.models import AuditEvent
from reporting import display, services
from reporting.models import Snapshot
from tests.reporting.test_snapshots import computed, publish
from tests.reporting.world import SENTINEL_NAME, TODAY

pytestmark = pytest.mark.django_db


def confirmed(client):  # type: ignore[no-untyped-def]
    """The person has just confirmed their password (allauth's reauthentication)."""
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY][-1]["reauthenticated"] = True
    session.save()
    return client


@pytest.fixture
def draft(reporting_world, supervisor) -> Snapshot:  # type: ignore[no-untyped-def]
    reporting_world()
    return computed(supervisor)


@pytest.fixture
def donor_client(client_for, donor):  # type: ignore[no-untyped-def]
    return client_for(donor)


def test_the_supervisor_starts_a_draft_and_the_page_shows_its_progress(
    sup, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = sup.post(reverse("reporting:start"))
    snapshot = Snapshot.objects.get()
    assert response["Location"] == reverse("reporting:review", args=[snapshot.pk])
    assert [c for c in callbacks if "start_draft" in c.__qualname__]  # the task is queued once the row is committed
    page = sup.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
    assert AuditEvent.objects.filter(action="reporting.snapshot.requested", object_ref=str(snapshot.pk)).exists()


def test_a_second_draft_is_refused_while_one_is_computing(sup, supervisor):
    services.start_draft(by=supervisor, today=TODAY)
    response = sup.post(reverse("reporting:start"), follow=True)
    assert "A report is already being computed." in response.content.decode()
    assert Snapshot.objects.count() == 1


def test_proposing_and_approving_each_ask_for_the_password_again(draft, sup, admin_client):
    response = sup.post(reverse("reporting:propose", args=[draft.pk]))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.DRAFT


def test_two_people_publish_and_donors_then_see_it(draft, sup, admin_client, donor_client, supervisor, admin):
    assert donor_client.get(reverse("reporting:report", args=[draft.pk])).status_code == 404
    confirmed(sup).post(reverse("reporting:propose", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.PROPOSED and draft.proposed_by == supervisor
    assert donor_client.get(reverse("reporting:report", args=[draft.pk])).status_code == 404

    confirmed(admin_client).post(reverse("reporting:approve", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.PUBLISHED and draft.approved_by == admin

    listing = donor_client.get(reverse("reporting:published")).content.decode()
    assert reverse("reporting:report", args=[draft.pk]) in listing
    page = donor_client.get(reverse("reporting:report", args=[draft.pk])).content.decode()
    assert "New intakes per quarter, by branch" in page and "<svg" in page and "&lt;10" in page
    actions = set(AuditEvent.objects.filter(object_ref=str(draft.pk)).values_list("action", flat=True))
    assert {"reporting.snapshot.computed", "reporting.snapshot.proposed", "reporting.snapshot.approved"} <= actions


def test_the_proposer_cannot_approve_their_own_proposal(draft, supervisor, admin):
    from django.core.exceptions import ValidationError

    services.propose(snapshot=draft, by=supervisor)
    supervisor.role = "admin"  # the same person, made an administrator meanwhile
    supervisor.save()
    with pytest.raises(ValidationError, match="someone other than the person who proposed it"):
        services.approve(snapshot=draft, by=supervisor)
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.PROPOSED
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():  # and the database says so too
        Snapshot.objects.filter(pk=draft.pk).update(approved_by=supervisor, status="published")


def test_a_draft_computed_before_another_was_published_cannot_be_published(reporting_world, supervisor, admin):
    reporting_world()
    first = computed(supervisor)
    second = computed(supervisor)
    publish(first, supervisor, admin)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Another report was published"):
        services.propose(snapshot=second, by=supervisor)


def test_a_stale_page_cannot_approve_twice(draft, supervisor, admin, client_for, make_user):
    services.propose(snapshot=draft, by=supervisor)
    services.approve(snapshot=draft, by=admin)
    other = confirmed(client_for(make_user(role="admin")))
    response = other.post(reverse("reporting:approve", args=[draft.pk]), follow=True)
    assert "it is now “Published”" in response.content.decode()
    assert AuditEvent.objects.filter(action="reporting.snapshot.approved").count() == 1


def test_a_donor_page_is_the_same_bytes_whatever_is_asked(draft, supervisor, admin, donor_client):
    publish(draft, supervisor, admin)
    url = reverse("reporting:report", args=[draft.pk])
    plain = donor_client.get(url).content
    for query in ["?k=1", "?table=intakes&branch=navy", "?quarter=2025-Q2&rows=1", "?" + "x" * 3000, "?k=%00"]:
        assert donor_client.get(url + query).content == plain, query
    listing = donor_client.get(reverse("reporting:published")).content
    assert donor_client.get(reverse("reporting:published") + "?status=draft").content == listing


def test_a_withdrawn_report_leaves_a_notice_and_no_numbers(draft, supervisor, admin, donor_client, sup):
    publish(draft, supervisor, admin)
    confirmed(sup).post(reverse("reporting:withdraw", args=[draft.pk]), {"reason": "A cell looked wrong"})
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.WITHDRAWN
    page = donor_client.get(reverse("reporting:report", args=[draft.pk])).content.decode()
    assert "This report was withdrawn on" in page and "<table" not in page and "<svg" not in page
    assert donor_client.get(reverse("reporting:csv", args=[draft.pk, "intakes"])).status_code == 404
    event = AuditEvent.objects.get(action="reporting.snapshot.withdrawn")
    assert event.reason == "A cell looked wrong"


def test_withdrawing_needs_a_reason(draft, supervisor, admin, sup):
    publish(draft, supervisor, admin)
    response = confirmed(sup).post(reverse("reporting:withdraw", args=[draft.pk]), {"reason": ""}, follow=True)
    assert "This field is required." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.PUBLISHED


def test_the_csv_holds_the_table_and_its_method_note_and_the_download_is_audited(
    draft, supervisor, admin, donor_client, donor
):
    publish(draft, supervisor, admin)
    response = donor_client.get(reverse("reporting:csv", args=[draft.pk, "intakes"]) + "?rows=all")
    assert response["Content-Type"] == "text/csv; charset=utf-8" and "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the byte-order mark
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["New intakes per quarter, by branch"]
    assert rows[1][:3] == ["Quarter", "Army", "Police"] and rows[1][-1] == "Total"
    assert rows[2][0] == "2025 Q1" and "fewer than 10" in rows[2]
    assert any("rounded to the nearest 5" in " ".join(row) for row in rows)
    assert SENTINEL_NAME not in response.content.decode()
    assert AuditEvent.objects.filter(action="reporting.csv.downloaded", actor=donor).count() == 1
    assert donor_client.get(reverse("reporting:csv", args=[draft.pk, "no-such-table"])).status_code == 404


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_that_a_spreadsheet_would_run_is_neutralised(start):
    shown = display.Table("t", f'{start}HYPERLINK("http://x")', "people", [], "note", [f"{start}1+1"])
    rows = list(csv.reader(io.StringIO(display.csv_bytes(shown).decode("utf-8-sig"))))
    assert rows[0] == [f'\'{start}HYPERLINK("http://x")']
    assert rows[-1] == [f"'{start}1+1"]


def test_a_burmese_table_comes_back_intact_from_the_csv():
    burmese = "ဝင်ရောက်သူ အသစ်များ"  # "new arrivals"
    shown = display.Table("t", burmese, "people", [], f"{burmese} note", [])
    content = display.csv_bytes(shown)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [burmese] and rows[-1] == [f"{burmese} note"]


def test_donors_see_nothing_else_in_haven(donor_client):
    for name in [
        "defectors:case_list",
        "support:dashboard",
        "debriefing:home",
        "reporting:snapshots",
        "audit:event_list",
    ]:
        assert donor_client.get(reverse(name)).status_code == 403, name
    home = donor_client.get("/")
    assert home["Location"] == reverse("reporting:published")
    nav = donor_client.get(reverse("reporting:published")).content.decode()
    assert reverse("support:dashboard") not in nav and reverse("reporting:snapshots") not in nav


def test_the_donor_page_runs_the_same_few_queries_whatever_the_report_holds(
    draft, supervisor, admin, donor_client, django_assert_max_num_queries
):
    publish(draft, supervisor, admin)
    with django_assert_max_num_queries(8):  # the session (its key, its save), user, second factor, the snapshot
        assert donor_client.get(reverse("reporting:report", args=[draft.pk])).status_code == 200


def test_an_oversized_or_forged_reason_is_refused_and_nothing_changes(draft, supervisor, admin, sup):
    publish(draft, supervisor, admin)
    url = reverse("reporting:withdraw", args=[draft.pk])
    response = confirmed(sup).post(url, {"reason": "x" * 301, "status": "draft"}, follow=True)
    assert "Ensure this value has at most 300 characters" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Snapshot.Status.PUBLISHED
    assert not AuditEvent.objects.filter(action="reporting.snapshot.withdrawn").exists()


def test_proposing_twice_proposes_once(draft, sup):
    url = reverse("reporting:propose", args=[draft.pk])
    confirmed(sup).post(url)
    response = sup.post(url, follow=True)
    assert "it is now “Proposed for publication”" in response.content.decode()
    assert AuditEvent.objects.filter(action="reporting.snapshot.proposed").count() == 1
