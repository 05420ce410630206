"""At 360 px the case list, tasks, audit log, sessions page, dashboard, People and Backups fit without
sideways scrolling, and case codes are tap targets of at least 44 px (WCAG 2.5.5).
Screenshots: $HAVEN_SHOTS_DIR/narrow/."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page

from accounts import services as accounts_services
from accounts.models import RoleRequest, User
from audit.services import log_event
from backups.models import Backup
from defectors.models import Case, DuplicateAlert
from support.models import Placement, Shelter
from tests.browser.conftest import SHOTS_DIR
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 740}
NOTHING_SCROLLS = """() => [...document.querySelectorAll('.table-wrap, table')]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.className || el.tagName)"""
CHART_WIDTHS = "() => [...document.querySelectorAll('.chart svg')].map(svg => svg.getBoundingClientRect().width)"
CODE_HEIGHTS = "() => [...document.querySelectorAll('a.code-link')].map(a => a.getBoundingClientRect().height)"


def check(
    page: Page, url: str, shoot: Callable[[Page, str], None], name: str, overflow: Callable[[Page], None]
) -> None:
    page.goto(url)
    overflow(page)
    assert page.evaluate(NOTHING_SCROLLS) == [], f"{url}: something scrolls sideways"
    heights = page.evaluate(CODE_HEIGHTS)
    assert all(height >= 44 for height in heights), f"{url}: case codes {heights} px high"
    shoot(page, f"narrow/{name}")


def test_lists_fit_a_360_px_phone(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    auditor = UserFactory(role=User.Role.AUDITOR, username="audrey")
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="casey")
    cases = [CaseFactory(created_by=caseworker, next_follow_up="2026-12-01") for _ in range(3)]
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    DuplicateAlert.objects.create(case=draft, matched_case=cases[0], matched_on="service_number", raised_by=caseworker)
    log_event(action="defectors.case.duplicate_outcome_recorded", actor=supervisor, object_ref=cases[0].code,
              reason="a fairly long reason that has to wrap on a small phone screen")  # fmt: skip

    for user, urls in ((supervisor, ["/cases/", "/cases/tasks/", "/accounts/sessions/"]), (auditor, ["/audit/"])):
        page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
        errors = console_errors(page)
        log_in_as(page, user)
        for url in urls:
            check(page, f"{site}{url}", shoot, url.strip("/").replace("/", "-"), no_horizontal_overflow)
        assert errors == []


def test_the_dashboard_charts_fit_a_360_px_phone(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    """Occupancy and workload are drawn as charts (Vega-Lite SVG) that shrink to a phone, under the CSP."""
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="sam")
    workers = [UserFactory(role=User.Role.CASEWORKER, username=f"caseworker-{name}") for name in ("aye", "bo", "chit")]
    shelters = []
    for name, beds in (("Mae Sot women's house, north road", 12), ("Riverside", 6), ("Hill camp", 20)):
        shelter = Shelter(name=name, beds=beds)
        shelter.save()
        shelters.append(shelter)
    for n in range(9):
        case = CaseFactory(created_by=workers[n % 3], next_follow_up="2024-01-01")
        Placement.objects.create(
            case=case, shelter=shelters[n % 3], checked_in_on=datetime.date.today(), created_by=workers[0]
        )
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, supervisor)
    page.goto(f"{site}/support/")
    no_horizontal_overflow(page)
    widths = page.evaluate(
        "() => [...document.querySelectorAll('.chart svg')].map(svg => svg.getBoundingClientRect().width)"
    )
    assert len(widths) == 2 and all(0 < width <= NARROW["width"] - 24 for width in widths), widths
    if SHOTS_DIR:
        page.screenshot(path=f"{SHOTS_DIR}/narrow/dashboard-360.png", full_page=True)
    shoot(page, "narrow/dashboard")
    assert errors == []  # a style or script in a chart would be a CSP violation here


def test_the_admin_lists_fit_a_360_px_phone(  # type: ignore[no-untyped-def]
    site: str, new_context: Callable[..., BrowserContext], log_in_as, shoot, no_horizontal_overflow, console_errors
) -> None:
    """People (accounts, approvals, invitations) and Backups become cards: no word is cut to fit a column."""
    admin = UserFactory(role=User.Role.ADMIN, username="administrator-aye")
    caseworker = UserFactory(role=User.Role.CASEWORKER, username="caseworker-with-a-long-name")
    RoleRequest.objects.create(
        user=caseworker, action=RoleRequest.Action.CHANGE_ROLE, from_role=caseworker.role,
        to_role=User.Role.SUPERVISOR, requested_by=admin,
    )  # fmt: skip
    accounts_services.invite_user(by=admin, username="new-supervisor", email="", role=User.Role.CASEWORKER)
    now = timezone.now()
    recipients = ["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq"]
    Backup.objects.create(
        name="haven-20261207T222936Z-abcdef", status=Backup.Status.OK, started_at=now,
        finished_at=now + datetime.timedelta(seconds=12), size=4_567_890, recipients=recipients, verified_at=now,
    )  # fmt: skip
    Backup.objects.create(
        name="haven-20261206T222936Z-123456", status=Backup.Status.FAILED, recipients=recipients,
        started_at=now - datetime.timedelta(days=1), error="pg_dump failed (exit 1): connection lost",
    )  # fmt: skip
    page = new_context(viewport=NARROW, is_mobile=True, has_touch=True).new_page()
    errors = console_errors(page)
    log_in_as(page, admin)
    for url in ("/people/", "/backups/"):
        check(page, f"{site}{url}", shoot, url.strip("/"), no_horizontal_overflow)
        if SHOTS_DIR:
            page.screenshot(path=f"{SHOTS_DIR}/narrow/{url.strip('/')}-360.png", full_page=True)
    assert page.get_by_text("haven-20261207T222936Z-abcdef").is_visible()
    assert errors == []
