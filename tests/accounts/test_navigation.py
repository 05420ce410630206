"""Each app contributes its navigation entries and role home pages; accounts only collects them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from accounts.models import User
from accounts.navigation import NavEntry, nav_entries, role_home

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = {"defectors", "support", "debriefing", "reporting", "backups"}
SUPPORT_NAV = [
    ("/support/", "Dashboard"),
    ("/support/referrals/", "Referrals"),
    ("/support/providers/", "Providers"),
    ("/support/shelters/", "Shelters"),
]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            User.Role.ADMIN,
            [
                ("/people/", "People"),
                ("/brakes/", "Brakes"),
                ("/cases/shred-requests/", "Shred requests"),
                ("/backups/", "Backups"),
                ("/reports/manage/", "Reports"),
            ],
        ),
        (
            User.Role.SUPERVISOR,
            [
                ("/brakes/", "Brakes"),
                ("/cases/", "Cases"),
                ("/cases/new/", "New intake"),
                ("/cases/tasks/", "Tasks"),
                *SUPPORT_NAV,
                ("/debriefing/", "Debriefs"),
                ("/debriefing/templates/", "Interview templates"),
                ("/reports/manage/", "Reports"),
            ],
        ),
        (User.Role.CASEWORKER, [("/cases/", "My cases"), ("/cases/new/", "New intake"), *SUPPORT_NAV]),
        (User.Role.AUDITOR, [("/audit/", "Audit log"), ("/brakes/", "Brakes")]),
        (User.Role.DEBRIEFER, [("/debriefing/", "Debriefs")]),
        (User.Role.DONOR, [("/reports/", "Reports")]),
    ],
)
def test_each_role_sees_the_entries_its_apps_declare(client_for, make_user, role, expected):
    response = client_for(make_user(role)).get("/accounts/2fa/")
    items = [(url, str(label)) for url, label in response.context["nav_items"]]
    assert items == expected


@pytest.fixture
def test_app(monkeypatch):  # type: ignore[no-untyped-def]
    """The test-only app (tests.vaultapp), declaring nothing until a test gives it something."""
    config = apps.get_app_config("vaultapp")
    monkeypatch.setattr(config, "nav", [], raising=False)
    monkeypatch.setattr(config, "home", {}, raising=False)
    return config


def test_an_apps_entry_appears_for_its_roles_only(client_for, donor, admin, caseworker, test_app):
    test_app.nav = [NavEntry("audit:event_list", "Published reports", roles={User.Role.DONOR, User.Role.ADMIN})]
    donor_response = client_for(donor).get("/accounts/2fa/")
    donor_page = donor_response.content.decode()
    admin_page = client_for(admin).get("/accounts/2fa/").content.decode()
    caseworker_page = client_for(caseworker).get("/accounts/2fa/").content.decode()
    assert f'href="{reverse("audit:event_list")}">Published reports' in donor_page
    assert "Published reports" in admin_page  # after the entries of the apps listed before it
    assert admin_page.index("Shred requests") < admin_page.index("Published reports")
    assert "Published reports" not in caseworker_page
    # After the entries of the apps listed before it (reporting's own Reports).
    assert [str(label) for _url, label in donor_response.context["nav_items"]] == ["Reports", "Published reports"]
    assert [entry.url_name for entry in nav_entries(User.Role.DONOR)] == ["reporting:published", "audit:event_list"]


def test_an_apps_home_page_is_where_its_role_lands(client_for, donor, debriefer, test_app, monkeypatch):
    monkeypatch.setattr(apps.get_app_config("reporting"), "home", {})
    assert client_for(donor).get("/").status_code == 200  # with no app giving donors a home: the general page
    test_app.home = {User.Role.DONOR: "audit:event_list"}
    assert client_for(donor).get("/")["Location"] == reverse("audit:event_list")
    assert client_for(debriefer).get("/")["Location"] == reverse("debriefing:home")


def test_two_apps_claiming_one_roles_home_is_a_configuration_error(test_app):
    test_app.home = {User.Role.AUDITOR: "accounts:people"}
    with pytest.raises(ImproperlyConfigured, match="auditor"):
        role_home(User.Role.AUDITOR)


def test_every_declared_entry_and_home_resolves():
    for config in apps.get_app_configs():
        for entry in getattr(config, "nav", ()):
            assert entry.roles <= set(User.Role.values), entry
            reverse(entry.url_name)
        for role, url_name in getattr(config, "home", {}).items():
            assert role in User.Role.values
            reverse(url_name)


def test_accounts_imports_nothing_of_the_domain():
    imported = set()
    for path in (ROOT / "accounts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {(alias.name.split(".")[0], str(path.relative_to(ROOT))) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add((node.module.split(".")[0], str(path.relative_to(ROOT))))
    assert sorted((module, where) for module, where in imported if module in DOMAIN_APPS) == []


def test_the_tasks_count_has_no_order_by_inside_its_union(supervisor, django_assert_num_queries):
    """SQLite (the laptop default) refuses ORDER BY in a UNION's parts: every supervisor page would be a 500."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from defectors.apps import open_tasks

    with CaptureQueriesContext(connection) as captured:
        assert open_tasks(supervisor) == 0
    (sql,) = [query["sql"] for query in captured.captured_queries]
    assert "UNION" in sql.upper() and "ORDER BY" not in sql.upper()
