"""Every page a caseworker, supervisor or auditor uses: ids unique, every input labelled; admin lists stack.

A label that points at a duplicated id focuses the wrong box (the reveal, close
and shred reasons once shared ``id_reason``); an input without a label is a box
nobody can name with a screen reader.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

from accounts import services as accounts_services
from accounts.models import RoleRequest, User
from backups.models import Backup
from defectors.models import Case, DuplicateAlert, ShredRequest
from tests.factories import CaseFactory

UNLABELLED_OK = {"hidden", "submit", "button", "reset", "image"}


class Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.open_labels = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") not in UNLABELLED_OK:
            self.inputs.append({**attributes, "tag": tag, "wrapped": "yes" if self.open_labels else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1


class Tables(HTMLParser):
    """Each table's class, and its body cells that carry no data-label (the label a 360 px card shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[str] = []
        self.unlabelled: list[str] = []
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.tables.append(attributes.get("class") or "")
        elif tag == "tbody":
            self.in_body = True
        elif tag == "td" and self.in_body and not attributes.get("data-label") and not attributes.get("colspan"):
            self.unlabelled.append(f"a cell of table {len(self.tables)}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self.in_body = False


def unstacked(html: str) -> list[str]:
    """Lists that would scroll sideways on a phone instead of becoming cards (see .stack in haven.css)."""
    page = Tables()
    page.feed(html)
    found = [f"table {n} is not .stack" for n, classes in enumerate(page.tables, 1) if "stack" not in classes.split()]
    return found + [f"{cell} has no data-label" for cell in page.unlabelled]


def problems(html: str) -> list[str]:
    page = Structure()
    page.feed(html)
    found = [f"id {name!r} used {n} times" for name, n in Counter(page.ids).items() if n > 1]
    for field in page.inputs:
        labelled = field["wrapped"] or field.get("aria-label") or field.get("aria-labelledby")
        if not labelled and field.get("id") not in page.label_for:
            found.append(f"{field['tag']} name={field.get('name')!r} has no label")
    return found


def test_the_check_finds_a_duplicate_id_and_an_unlabelled_input():
    html = '<input id="id_reason" name="a"><label for="id_reason">A</label><textarea id="id_reason" name="b">'
    assert problems(html) == ["id 'id_reason' used 2 times"]
    assert problems('<input name="c" type="text">') == ["input name='c' has no label"]


def test_the_check_finds_a_table_that_does_not_stack_and_a_cell_without_a_label():
    html = '<table><tbody><tr><td>a</td></tr></tbody></table><table class="x stack"><tbody><tr><td data-label="B">b'
    assert unstacked(html) == ["table 1 is not .stack", "a cell of table 1 has no data-label"]
    assert unstacked('<table class="stack"><tbody><tr><td colspan="3">None yet.</td></tr></tbody></table>') == []


@pytest.fixture
def pages(case, caseworker, supervisor) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    DuplicateAlert.objects.create(case=draft, matched_case=case, matched_on="service_number", raised_by=caseworker)
    steps = ["identity", "service", "defection", "family", "needs", "risk", "consents", "contact", "review"]
    return {
        "caseworker": [
            "/cases/", f"/cases/{case.code}/", f"/cases/{case.code}/identity/edit/", "/cases/new/",
            *[f"/cases/{draft.code}/intake/{step}/" for step in steps], "/accounts/sessions/", "/accounts/2fa/",
        ],
        "supervisor": ["/cases/", f"/cases/{case.code}/", "/cases/tasks/"],
    }  # fmt: skip


def test_no_page_has_a_duplicate_id_or_an_unlabelled_input(  # type: ignore[no-untyped-def]
    cw, sup, auditor_client, admin_client, client, pages, case, supervisor
):
    found = []
    shred_request = ShredRequest.objects.create(case=case, requested_by=supervisor)
    admin_pages = [
        "/people/", "/people/invite/", "/people/cora/", "/cases/shred-requests/",
        f"/cases/shred-requests/{shred_request.pk}/", "/accounts/2fa/", "/backups/",
    ]  # fmt: skip
    everyone = [
        (cw, pages["caseworker"]), (sup, pages["supervisor"]), (auditor_client, ["/audit/", "/accounts/sessions/"]),
        (admin_client, admin_pages), (client, ["/accounts/login/", "/invitation/"]),
    ]  # fmt: skip
    for client, urls in everyone:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            found += [f"{url}: {problem}" for problem in problems(response.content.decode())]
    assert found == []


def test_the_admin_lists_become_cards_on_a_phone(admin_client, admin, make_user):  # type: ignore[no-untyped-def]
    """People (accounts, approvals waiting, open invitations) and Backups: every table stacks at 360 px."""
    bob = make_user(User.Role.CASEWORKER, username="bob")
    RoleRequest.objects.create(
        user=bob, action=RoleRequest.Action.CHANGE_ROLE, from_role=bob.role, to_role=User.Role.SUPERVISOR,
        requested_by=admin,
    )  # fmt: skip
    accounts_services.invite_user(by=admin, username="sam", email="", role=User.Role.CASEWORKER)
    Backup.objects.create(name="haven-20261207T222936Z-abcdef", status=Backup.Status.OK)
    people = admin_client.get("/people/").content.decode()
    assert "Waiting for a second administrator" in people and "sam" in people  # all three tables are there
    assert [(url, unstacked(admin_client.get(url).content.decode())) for url in ("/people/", "/backups/")] == [
        ("/people/", []), ("/backups/", []),
    ]  # fmt: skip
