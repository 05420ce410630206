"""Every page a caseworker, supervisor or auditor uses: ids unique, every input labelled.

A label that points at a duplicated id focuses the wrong box (the reveal, close
and shred reasons once shared ``id_reason``); an input without a label is a box
nobody can name with a screen reader.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

import pytest

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
        f"/cases/shred-requests/{shred_request.pk}/", "/accounts/2fa/",
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
