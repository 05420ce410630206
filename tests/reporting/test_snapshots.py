"""Computing a snapshot: SQL counts over plaintext columns, disclosure control, frozen periods."""

from __future__ import annotations

import pytest

from reporting import compute, display, services
from reporting.disclosure import State, attacker_intervals, unprotected
from reporting.models import PublishedPeriod, Snapshot
from tests.reporting.world import QUARTERS, TODAY, take_in

pytestmark = pytest.mark.django_db


def computed(by, today=TODAY) -> Snapshot:  # type: ignore[no-untyped-def]
    snapshot = services.start_draft(by=by, today=today)
    services.run_computation(str(snapshot.pk))  # the task's body, in this process
    snapshot.refresh_from_db()
    return snapshot


def published_cells(snapshot: Snapshot):  # type: ignore[no-untyped-def]
    from reporting.disclosure import Published

    return [Published(key, frozenset(atoms), State(state), value) for key, atoms, state, value in snapshot.cells]


def publish(snapshot: Snapshot, supervisor, admin) -> Snapshot:  # type: ignore[no-untyped-def]
    services.propose(snapshot=snapshot, by=supervisor)
    return services.approve(snapshot=snapshot, by=admin)


def test_a_draft_counts_every_closed_quarter_and_nothing_after(reporting_world, supervisor, caseworker):
    reporting_world()
    take_in("2026-Q2", by=caseworker)  # not closed on TODAY: not counted
    snapshot = computed(supervisor)

    assert snapshot.status == Snapshot.Status.DRAFT, snapshot.error
    assert str(snapshot.period_end) == "2026-03-31"
    assert sorted(snapshot.counts) == QUARTERS
    intakes = next(entry for entry in snapshot.publication if entry["slug"] == "intakes")
    assert intakes["blocks"][0]["rows"] == QUARTERS
    assert snapshot.counts["2025-Q1"]["cases|2025-Q1|army|enlisted"] == 24
    assert "cases|2026-Q2|army|enlisted" not in str(snapshot.counts)
    assert intakes["cells"]["intakes/2025-Q1/navy"][0] == "primary"  # one person
    shown = [cell for cell in published_cells(snapshot) if cell.state == State.VALUE]
    assert shown and all(cell.value == _rounded(snapshot, cell) for cell in shown)


def test_every_suppressed_cell_survives_the_attackers_linear_programs(reporting_world, supervisor):
    reporting_world()
    snapshot = computed(supervisor)
    cells = published_cells(snapshot)
    suppressed = [cell for cell in cells if cell.state in (State.PRIMARY, State.COMPLEMENTARY)]

    assert suppressed and unprotected(cells, k=10, base=5) == {}
    intervals = attacker_intervals(cells, k=10, base=5)
    assert all(intervals[cell.key][1] - intervals[cell.key][0] >= 9 - 1e-6 for cell in suppressed)


def test_primary_suppression_alone_would_give_a_small_cell_away(reporting_world, supervisor):
    """The same attack on the same snapshot, had only the cells below k been hidden."""
    reporting_world()
    snapshot = computed(supervisor)
    primary_only = [
        cell
        if cell.state != State.COMPLEMENTARY
        else cell.__class__(cell.key, cell.atoms, State.VALUE, _rounded(snapshot, cell))
        for cell in published_cells(snapshot)
    ]
    assert unprotected(primary_only, k=10, base=5)


def _rounded(snapshot: Snapshot, cell) -> int:  # type: ignore[no-untyped-def]
    from reporting.disclosure import round_to_base

    counts = {atom: n for per_quarter in snapshot.counts.values() for atom, n in per_quarter.items()}
    return round_to_base(sum(counts.get(atom, 0) for atom in cell.atoms), 5)


def test_computing_decrypts_nothing(reporting_world, supervisor, monkeypatch):
    reporting_world()
    from vault import crypto, keys

    opened = []
    real_open, real_unwrap = crypto.open_sealed, keys.unwrap_bytes
    monkeypatch.setattr(crypto, "open_sealed", lambda *a, **k: opened.append("value") or real_open(*a, **k))
    monkeypatch.setattr(keys, "unwrap_bytes", lambda *a, **k: opened.append("key") or real_unwrap(*a, **k))

    snapshot = computed(supervisor)

    assert snapshot.status == Snapshot.Status.DRAFT
    assert opened == []


def test_the_method_note_and_the_tables_read_as_a_donor_reads_them(reporting_world, supervisor):
    reporting_world()
    snapshot = computed(supervisor)
    shown = {table.slug: table for table in display.tables(snapshot)}

    intakes = shown["intakes"]
    assert "rounded to the nearest 5" in intakes.note and "below 10" in intakes.note
    first = intakes.blocks[0].rows[0]
    assert first.label == "2025 Q1"
    assert [cell.short for cell in first.cells][3] == "<10"  # the navy's one officer
    assert {cell.short for row in intakes.blocks[0].rows for cell in row.cells} & {"—"}
    assert not intakes.blocks[0].rows[-1].is_total  # no total across quarters: each release would change it
    assert shown["rank-by-branch"].blocks[0].rows[-1].is_total  # the year's total per branch
    assert "<svg" in intakes.chart and "<script" not in intakes.chart
    assert shown["people-supported"].footnotes  # one person in several columns
    quartiles = shown["time-to-support"].blocks[0].rows
    assert [row.label for row in quartiles] == ["2025"]  # the only whole year
    assert shown["time-to-support"].blocks[0].columns == ["25th percentile", "Median", "75th percentile"]


def test_a_released_period_is_never_republished_with_different_numbers(reporting_world, supervisor, admin, caseworker):
    """Publish; one person is added late to a closed, published quarter; publish again.
    Every cell of the first release comes back identical, and the attacker holding both
    releases learns nothing below k."""
    reporting_world()
    first = publish(computed(supervisor), supervisor, admin)
    assert PublishedPeriod.objects.count() == len(QUARTERS)

    take_in("2025-Q2", by=caseworker, branch="navy", rank="officer")  # late: a published quarter
    take_in("2026-Q2", by=caseworker)
    second = computed(supervisor, today=TODAY.replace(month=8))  # 2026 Q2 is now reportable
    assert second.status == Snapshot.Status.DRAFT, second.error

    before = {key: (state, value) for key, _atoms, state, value in first.cells}
    after = {key: (state, value) for key, _atoms, state, value in second.cells}
    assert {key: after[key] for key in before if key in after} == {key: before[key] for key in before if key in after}
    assert after["intakes/2025-Q2/navy"] == before["intakes/2025-Q2/navy"]
    assert "2025-Q2" in second.revised_periods
    notes = " ".join(" ".join(table.footnotes) for table in display.tables(second))
    assert "a revision exists" in notes

    both = published_cells(first) + [cell for cell in published_cells(second) if cell.key not in before]
    assert unprotected(both, k=10, base=5) == {}


def test_frozen_counts_keep_what_was_published(reporting_world, supervisor, admin, caseworker):
    reporting_world()
    publish(computed(supervisor), supervisor, admin)
    take_in("2025-Q1", by=caseworker)
    counts, revised = compute.frozen_counts(QUARTERS, compute.count_atoms(QUARTERS[0], QUARTERS[-1]))
    assert counts["cases|2025-Q1|army|enlisted"] == 24 and revised == ["2025-Q1"]


def test_a_table_of_two_quarters_publishes_no_total_over_them(supervisor, caseworker):
    """Two parts below k under a total of k or more would each be known to be at least 1."""
    for _ in range(6):
        take_in("2025-Q4", by=caseworker)
        take_in("2026-Q1", by=caseworker)
    snapshot = computed(supervisor)
    assert snapshot.status == Snapshot.Status.DRAFT, snapshot.error
    intakes = next(entry for entry in snapshot.publication if entry["slug"] == "intakes")
    assert intakes["blocks"][0]["rows"] == ["2025-Q4", "2026-Q1"]
    assert intakes["blocks"][0]["column_totals"] == [None] * 6 and intakes["blocks"][0]["grand_total"] is None
    assert all(total is not None for total in intakes["blocks"][0]["row_totals"])
    assert unprotected(published_cells(snapshot), k=10, base=5) == {}


def test_the_time_to_support_table_publishes_no_count_of_people(reporting_world, supervisor):
    """A count of people first supported in a year bounds the referrals completed that year (at least as
    many): published, it let an attacker narrow the quarters' "fewer than k" referral totals."""
    reporting_world()
    snapshot = computed(supervisor)
    assert not [key for key, *_rest in snapshot.cells if key.startswith("time-to-support/")]
    entry = next(entry for entry in snapshot.publication if entry["slug"] == "time-to-support")
    assert entry["quantiles"]["2025"] is not None and len(entry["quantiles"]["2025"]) == 3


def test_quartiles_are_of_the_local_year(supervisor, caseworker, settings):
    """Nine people completed in 2025 and one at 03:00 on 1 January 2025, local time (2024 in UTC): ten."""
    import datetime

    from django.utils import timezone

    from reporting.compute import support_quantiles
    from support.models import Provider, Referral

    provider = Provider.objects.create(name="P", services=["legal"])
    local = timezone.get_current_timezone()
    for index in range(10):
        case = take_in("2024-Q4", by=caseworker)
        when = (
            datetime.datetime(2025, 1, 1, 3, tzinfo=local)
            if index == 0
            else datetime.datetime(2025, 6, 1, tzinfo=local)
        )
        Referral.objects.create(
            case=case, provider=provider, service_type="legal", status=Referral.Status.COMPLETED,
            status_changed_at=when, created_by=caseworker,
        )  # fmt: skip
    assert support_quantiles(["2024", "2025"])["2025"][0] == 10
    assert "2024" not in support_quantiles(["2024", "2025"])


def test_changing_the_threshold_or_rounding_after_publishing_is_refused(reporting_world, supervisor, admin, settings):
    """Earlier releases are read with the rule they were published with; a new rule would misread them."""
    from django.core.exceptions import ValidationError

    reporting_world()
    publish(computed(supervisor), supervisor, admin)
    settings.HAVEN_REPORT_ROUNDING_BASE = 10
    with pytest.raises(ValidationError, match="rounding"):
        services.start_draft(by=supervisor, today=TODAY)


def test_a_record_dated_before_the_first_published_quarter_does_not_break_later_reports(supervisor, admin, caseworker):
    """The first quarter never moves earlier once published; a year is published only whole."""
    for quarter, n in [("2025-Q3", 14), ("2025-Q4", 15), ("2026-Q1", 16)]:
        for _ in range(n):
            take_in(quarter, by=caseworker)
    first = publish(computed(supervisor), supervisor, admin)
    assert not [key for key, *_rest in first.cells if key.startswith("rank-by-branch/2025")]  # 2025 is not whole
    take_in("2024-Q1", by=caseworker)  # a record backdated before everything published
    second = computed(supervisor, today=TODAY.replace(month=8))
    assert second.status == Snapshot.Status.DRAFT, second.error
    assert sorted(second.counts)[0] == "2025-Q3"


def test_a_report_approved_while_another_computes_makes_that_one_stale(reporting_world, supervisor, admin):
    from django.core.exceptions import ValidationError

    reporting_world()
    earlier = computed(supervisor)
    services.propose(snapshot=earlier, by=supervisor)
    snapshot = services.start_draft(by=supervisor, today=TODAY)
    Snapshot.objects.filter(pk=snapshot.pk).update(status=Snapshot.Status.COMPUTING)
    snapshot.refresh_from_db()

    def approve_meanwhile(percent: int) -> None:
        if percent == 10:
            services.approve(snapshot=earlier, by=admin)

    compute.compute(snapshot, progress=approve_meanwhile)
    snapshot.save()
    with pytest.raises(ValidationError, match="Another report was published"):
        services.propose(snapshot=snapshot, by=supervisor)


def test_a_queued_draft_with_another_rule_fails_when_another_report_is_published_first(
    reporting_world, supervisor, admin, settings
):
    """A base-5 report awaits approval; the base becomes 10 and a draft is queued; the base-5 one is
    approved before the worker runs: the queued draft must fail, and cannot be approved either."""
    reporting_world()
    waiting = computed(supervisor)
    services.propose(snapshot=waiting, by=supervisor)
    settings.HAVEN_REPORT_ROUNDING_BASE = 10
    queued = services.start_draft(by=supervisor, today=TODAY)
    services.approve(snapshot=waiting, by=admin)

    services.run_computation(str(queued.pk))
    queued.refresh_from_db()
    assert queued.status == Snapshot.Status.FAILED and "rounding to 5" in queued.error


def test_a_year_that_cannot_be_broken_down_is_left_out_and_later_reports_still_publish(supervisor, admin, caseworker):
    """The navy takes in ten people in each of 2025 Q1-Q3 (3, 3, 3 and 1 over the rank bands); the
    quarters are published as 10. The 2025 rank-band breakdown would pin each band to 3..9 (they must
    add up to 30 or more): it is left out with a footnote, rather than failing every later report."""
    import datetime

    for quarter in ["2025-Q1", "2025-Q2", "2025-Q3"]:
        for rank, n in [("enlisted", 3), ("nco", 3), ("officer", 3), ("", 1)]:
            for _ in range(n):
                take_in(quarter, by=caseworker, branch="navy", rank=rank)
        for _ in range(20):
            take_in(quarter, by=caseworker)
    first = computed(supervisor, today=datetime.date(2025, 11, 15))
    assert first.status == Snapshot.Status.DRAFT, first.error
    publish(first, supervisor, admin)

    for _ in range(20):
        take_in("2025-Q4", by=caseworker)
    later = computed(supervisor, today=datetime.date(2026, 2, 15))
    assert later.status == Snapshot.Status.DRAFT, later.error
    rank = next(entry for entry in later.publication if entry["slug"] == "rank-by-branch")
    assert rank["left_out"] == ["2025"] and rank["blocks"] == []
    assert not [key for key, *_rest in later.cells if key.startswith("rank-by-branch/2025")]
    shown = next(table for table in display.tables(later) if table.slug == "rank-by-branch")
    assert "The breakdown for 2025 is not published" in " ".join(shown.footnotes)
    both = published_cells(first) + [c for c in published_cells(later) if c.key not in {k for k, *_ in first.cells}]
    assert unprotected(both, k=10, base=5) == {}
