"""A donor report end to end at 360 px: a supervisor computes a draft (a real Celery worker) and
proposes it, a different person (an administrator) approves it, each after confirming their password;
a donor reads the charts and tables and downloads a CSV.

Screenshots go to $HAVEN_SHOTS_DIR/reports/.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, Page, expect

from reporting.models import Snapshot
from tests.factories import PASSWORD
from tests.reporting.world import SENTINEL_NAME
from tests.worker import real_worker

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 780}
CONFIRM = re.compile("Confirm", re.IGNORECASE)


def narrow_page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()


def test_a_report_is_computed_proposed_approved_and_read_by_a_donor_at_360_px(  # type: ignore[no-untyped-def]
    site, new_context, log_in_as, shoot, no_horizontal_overflow, console_errors,
    reporting_world, supervisor, admin, donor, tmp_path: Path,
):  # fmt: skip
    if not settings.CELERY_BROKER_URL or settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs the Redis broker (CELERY_BROKER_URL) for the worker")
    reporting_world()

    sup = narrow_page(new_context)
    sup_errors = console_errors(sup)
    log_in_as(sup, supervisor)
    sup.get_by_role("link", name="Reports").click()
    shoot(sup, "reports/01-supervisor-list")
    with real_worker(tmp_path / "worker.log"):
        sup.get_by_role("button", name="Compute a new draft").click()
        expect(sup.get_by_text("Computing a draft report.")).to_be_visible()
        shoot(sup, "reports/02-computing")
        propose = sup.get_by_role("button", name="Propose for publication")
        expect(propose).to_be_visible(timeout=90_000)
    snapshot = Snapshot.objects.get()
    assert snapshot.status == Snapshot.Status.DRAFT, (tmp_path / "worker.log").read_text()[-2000:]
    expect(sup.get_by_role("heading", name="New intakes per quarter, by branch")).to_be_visible()
    expect(sup.locator("svg.marks").first).to_be_visible()
    no_horizontal_overflow(sup)
    shoot(sup, "reports/03-draft")

    propose.click()
    sup.get_by_label("Password").fill(PASSWORD)
    sup.get_by_role("button", name=CONFIRM).click()
    expect(sup.get_by_text("The report is now “Proposed for publication”.")).to_be_visible()
    expect(sup.get_by_text("Waiting for an administrator's approval.")).to_be_visible()

    adm = narrow_page(new_context)
    adm_errors = console_errors(adm)
    log_in_as(adm, admin)
    adm.get_by_role("link", name="Reports").click()
    adm.get_by_role("link", name=snapshot.period_end.isoformat()).click()
    adm.get_by_role("button", name="Approve and publish").click()
    adm.get_by_label("Password").fill(PASSWORD)
    adm.get_by_role("button", name=CONFIRM).click()
    expect(adm.get_by_text("The report is now “Published”.")).to_be_visible()
    shoot(adm, "reports/04-approved")

    don = narrow_page(new_context)
    don_errors = console_errors(don)
    log_in_as(don, donor)
    expect(don.get_by_role("heading", name="Reports", level=1)).to_be_visible()  # a donor's home
    don.get_by_role("link", name=re.compile("^Report to")).click()
    expect(don.get_by_role("heading", name="Human-rights incidents documented per year", exact=False)).to_be_visible()
    charts = don.locator("figure.chart svg.marks")
    assert charts.count() >= 5
    tables = don.locator("table.report-grid")
    assert tables.count() >= 7
    no_horizontal_overflow(don)
    shoot(don, "reports/05-donor-report")
    page_text = don.content()
    assert SENTINEL_NAME not in page_text

    with don.expect_download() as download:
        don.get_by_role("link", name="Download “New intakes per quarter, by branch” as CSV").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["New intakes per quarter, by branch"] and rows[2][0] == "2025 Q1"
    assert "fewer than 10" in rows[2]
    assert sup_errors == [] and adm_errors == [] and don_errors == []
