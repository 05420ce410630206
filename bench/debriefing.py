"""Debriefing benchmark: autosave of one section of a 120-question template, opening a completed
session for review, and importing a 500-row XLSForm.

    make bench-debriefing
    python bench/debriefing.py   (with the test environment's variables, as the Makefile sets them)

Runs in a throwaway test database (test_<name>_bench_debriefing). Requests go
through Django's test Client as signed-in users (both factors), through every
middleware, the view and the template; times are medians of wall time around
the request. The review page's query count is taken with 10 answers and with
all 120 (it must not grow). Not part of the test suite.
"""

from __future__ import annotations

import datetime
import io
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import openpyxl  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from bench.harness import bench_database  # noqa: E402
from bench.harness import median_ms as harness_median_ms  # noqa: E402
from debriefing import services  # noqa: E402
from debriefing.models import DebriefTemplate  # noqa: E402
from debriefing.xlsform import import_xlsform  # noqa: E402
from tests.conftest import login_with_mfa  # noqa: E402
from tests.factories import CaseFactory, UserFactory, give_consent  # noqa: E402

RUNS, WARM_UP = 40, 3
SECTIONS, PER_SECTION = 8, 15  # 120 questions
KINDS = ["text", "long_text", "integer", "date", "yes_no", "select_one", "region", "decimal"]


def question(key: str, kind: str) -> dict[str, Any]:
    q: dict[str, Any] = {
        "key": key, "type": kind, "label": {"en": f"Question {key}", "my": f"မေးခွန်း {key}"}, "hint": {},
        "required": False, "tags": ["intelligence"], "relevant": None,
    }  # fmt: skip
    if kind == "select_one":
        q["choices"] = [{"value": f"c{n}", "label": {"en": f"Choice {n}", "my": f"ရွေး {n}"}} for n in range(6)]
    if kind in ("integer", "decimal"):
        q["min"], q["max"] = 0, 100000
    return q


STRUCTURE = {
    "sections": [
        {"key": f"s{s}", "label": {"en": f"Section {s}", "my": f"အပိုင်း {s}"},
         "questions": [question(f"s{s}q{n}", KINDS[n % len(KINDS)]) for n in range(PER_SECTION)]}
        for s in range(SECTIONS)
    ]
}  # fmt: skip
VALUES = {
    "text": "Light Infantry Battalion 52, Monywa", "long_text": "A longer account of what was seen. " * 20,
    "integer": "450", "date": "2023-04-11", "yes_no": "yes", "select_one": "c3", "region": "sagaing",
    "decimal": "12.5",
}  # fmt: skip


def section_post(section: int) -> dict[str, str]:
    return {f"s{section}q{n}": VALUES[KINDS[n % len(KINDS)]] for n in range(PER_SECTION)}


def median_ms(fn: Callable[[], object], runs: int = RUNS) -> float:
    return harness_median_ms(fn, runs=runs, warm_up=WARM_UP)


def xlsform_rows(total: int) -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Burmese (my)", "required"])
    groups, rows = 10, total - 1
    per_group = rows // groups - 2
    for g in range(groups):
        survey.append(["begin_group", f"g{g}", f"Group {g}", f"အုပ်စု {g}"])
        for n in range(per_group):
            kind = ["text", "integer", "date", "select_one yn"][n % 4]
            survey.append([kind, f"g{g}q{n}", f"Question {n}", f"မေးခွန်း {n}", "yes" if n % 3 == 0 else "no"])
        survey.append(["end_group", f"g{g}"])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Burmese (my)"])
    choices.append(["yn", "y", "Yes", "ဟုတ်"])
    choices.append(["yn", "n", "No", "မဟုတ်"])
    book.create_sheet("settings").append(["form_title"])
    book["settings"].append(["Bench form"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    supervisor = UserFactory(role=User.Role.SUPERVISOR, username="bench-supervisor")
    debriefer = UserFactory(role=User.Role.DEBRIEFER, username="bench-debriefer")
    template = DebriefTemplate.objects.create(
        name="Bench 120", version=1, structure=STRUCTURE, status=DebriefTemplate.Status.PUBLISHED
    )
    case = CaseFactory()
    give_consent(case)
    session = services.schedule_session(
        case=case, debriefer=debriefer, template=template, on=datetime.date.today(), by=supervisor
    )
    dbc, sup = login_with_mfa(Client(), debriefer), login_with_mfa(Client(), supervisor)
    url = f"/debriefing/{session.pk}/"
    version = {"n": 0}

    def autosave() -> None:
        body = {**section_post(0), "version": str(version["n"]), "save_token": str(uuid.uuid4())}
        response = dbc.post(f"{url}s0/", body, HTTP_X_AUTOSAVE="1")
        assert response.status_code == 200, response.content
        version["n"] = response.json()["version"]

    autosave_ms = median_ms(autosave)
    with CaptureQueriesContext(connection) as queries:
        autosave()
    autosave_queries = len(queries)
    if os.environ.get("BENCH_SQL"):
        print("\n".join(q["sql"][:150] for q in queries.captured_queries))

    def review() -> None:
        assert sup.get(url).status_code == 200

    review()
    with CaptureQueriesContext(connection) as captured:
        review()
    few = len(captured)  # now: the log is a bounded deque, later slices of it can come out empty
    for s in range(1, SECTIONS):
        body = {**section_post(s), "version": "0", "save_token": str(uuid.uuid4())}
        assert dbc.post(f"{url}s{s}/", body, HTTP_X_AUTOSAVE="1").status_code == 200
    session.refresh_from_db()
    review_ms = median_ms(review)
    with CaptureQueriesContext(connection) as captured:
        review()
    many = len(captured)

    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        for label, fn in (("autosave", autosave), ("review", review)):
            profile = cProfile.Profile()
            profile.runcall(lambda fn=fn: [fn() for _ in range(10)])
            print(label)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    data = xlsform_rows(500)
    import_ms = median_ms(lambda: import_xlsform(data), runs=5)
    imported = import_xlsform(data)
    questions = sum(len(s["questions"]) for s in imported.structure["sections"])

    print(f"autosave of one 15-question section (of 120): {autosave_ms:.1f} ms, {autosave_queries} queries")
    print(
        f"review page, {session.answered} answers: {review_ms:.1f} ms; queries with "
        f"{PER_SECTION} answers / {session.answered} answers: {few} / {many}"
    )
    print(f"import of a 500-row XLSForm ({questions} questions): {import_ms:.0f} ms")


if __name__ == "__main__":
    with bench_database("debriefing"):
        main()
