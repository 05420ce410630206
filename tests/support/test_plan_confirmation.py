"""Marking a goal achieved or dropped, or a task done, cannot be undone from the page, so each
asks first, without JavaScript: a <details class="confirm"> whose summary opens the question and
whose only submit button makes the change. The POST itself stays the same and idempotent."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from audit.models import AuditEvent
from support.models import Goal, Task

TODAY = datetime.date.today()


def url(case, action: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"/support/cases/{case.code}/{action}"


@dataclass
class Confirm:
    kind: str
    summary: str = ""
    question: str = ""
    action: str = ""
    submits: list[dict[str, str | None]] = field(default_factory=list)


class Confirms(HTMLParser):
    """Each <details class="confirm"> of the plan: its summary text, question, form action and
    submit buttons; also every submit button outside one, which would change state on one tap."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Confirm] = []
        self.bare_submits: list[dict[str, str | None]] = []
        self.current: Confirm | None = None
        self.into = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "details" and "confirm" in (a.get("class") or "").split():
            self.current = Confirm(kind=a.get("data-confirm") or "")
        elif self.current is None:
            if tag == "button" and a.get("name") == "status":
                self.bare_submits.append(a)
        elif tag == "summary":
            self.into = "summary"
        elif tag == "p":
            self.into = "question"
        elif tag == "form":
            self.current.action = a.get("action") or ""
        elif tag == "button":
            self.current.submits.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            if self.current is not None:
                self.found.append(self.current)
            self.current = None
        elif tag in ("summary", "p"):
            self.into = ""

    def handle_data(self, data: str) -> None:
        if self.current is not None and self.into:
            setattr(self.current, self.into, getattr(self.current, self.into) + data.strip() + " ")


@pytest.fixture
def plan(case, caseworker):  # type: ignore[no-untyped-def]
    goal = Goal(case=case, title="Find work in Mae Sot", created_by=caseworker)
    goal.save()
    task = Task(case=case, title="Call the garage", owner=caseworker, due_on=TODAY, created_by=caseworker)
    task.save()
    return goal, task


def confirms(client, case) -> Confirms:  # type: ignore[no-untyped-def]
    parser = Confirms()
    parser.feed(client.get(url(case)).content.decode())
    return parser


def test_achieved_dropped_and_done_each_ask_first(cw, case, plan):
    goal, task = plan
    page = confirms(cw, case)
    by_kind = {found.kind: found for found in page.found}
    assert set(by_kind) == {"achieved", "dropped", "done"}
    assert page.bare_submits == []  # no status button outside a confirmation
    achieved, dropped, done = by_kind["achieved"], by_kind["dropped"], by_kind["done"]
    assert achieved.summary.split() == ["Achieved", "Keep", "it", "open"]  # CSS shows one at a time
    assert achieved.question.strip() == "Mark this goal achieved? This cannot be undone."
    assert dropped.question.strip() == "Mark this goal dropped? This cannot be undone."
    assert done.summary.split() == ["Done", "Not", "yet"]
    assert done.question.strip() == "Mark this task done? This cannot be undone."
    for found, value in ((achieved, "achieved"), (dropped, "dropped")):
        assert found.action == url(case, f"goals/{goal.pk}/status/")
        # one submit, and it is the quiet one: the filled button on screen is the safe summary
        assert [(b.get("name"), b.get("value")) for b in found.submits] == [("status", value)]
        assert "button--quiet" in (found.submits[0].get("class") or "")
    assert done.action == url(case, f"tasks/{task.pk}/done/")
    assert len(done.submits) == 1 and "button--quiet" in (done.submits[0].get("class") or "")


def test_a_settled_goal_and_a_done_task_ask_nothing(cw, case, plan):
    goal, task = plan
    cw.post(url(case, f"goals/{goal.pk}/status/"), {"status": "achieved"})
    cw.post(url(case, f"tasks/{task.pk}/done/"))
    assert confirms(cw, case).found == []


def test_the_confirmed_post_achieves_once_however_often_it_is_sent(cw, case, plan):
    goal, _ = plan
    for _ in range(2):  # a double tap, or the form resent
        response = cw.post(url(case, f"goals/{goal.pk}/status/"), {"status": "achieved"})
        assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACHIEVED
    assert AuditEvent.objects.filter(action="support.goal.status_changed", object_ref=case.code).count() == 1


def test_the_confirmed_post_drops_a_goal(cw, case, plan):
    goal, _ = plan
    cw.post(url(case, f"goals/{goal.pk}/status/"), {"status": "dropped"})
    goal.refresh_from_db()
    assert goal.status == Goal.Status.DROPPED


def test_the_confirmed_post_completes_a_task_once(cw, case, plan):
    _, task = plan
    cw.post(url(case, f"tasks/{task.pk}/done/"))
    task.refresh_from_db()
    first = task.done_at
    assert first is not None
    assert cw.post(url(case, f"tasks/{task.pk}/done/")).status_code == 302
    task.refresh_from_db()
    assert task.done_at == first
    assert AuditEvent.objects.filter(action="support.task.done", object_ref=case.code).count() == 1


def test_a_get_changes_nothing(cw, case, plan):
    goal, task = plan
    assert cw.get(url(case, f"goals/{goal.pk}/status/")).status_code == 405
    assert cw.get(url(case, f"tasks/{task.pk}/done/")).status_code == 405
    goal.refresh_from_db()
    task.refresh_from_db()
    assert (goal.status, task.done_at) == (Goal.Status.OPEN, None)


def test_another_caseworker_gets_404_and_changes_nothing(client_for, outsider, case, plan):
    goal, task = plan
    other = client_for(outsider)
    assert other.post(url(case, f"goals/{goal.pk}/status/"), {"status": "achieved"}).status_code == 404
    assert other.post(url(case, f"tasks/{task.pk}/done/")).status_code == 404
    goal.refresh_from_db()
    task.refresh_from_db()
    assert (goal.status, task.done_at) == (Goal.Status.OPEN, None)
