"""Computing a snapshot: SQL aggregates, frozen periods, disclosure control, charts.

Counts come from one ``GROUP BY`` per population over plaintext columns
(reporting.tables); nothing is decrypted. A quarter that an earlier published
snapshot covered keeps the counts it was published with (``PublishedPeriod``):
records that arrive late for it are left out and a footnote says a revision
exists, so two releases never differ by a late ±1 (the differencing attack).
Disclosure control then sees every cell ever published as fixed, and protects the
new cells against an attacker who holds all of them (reporting.disclosure).
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, Count, DateField, F, FloatField, Min
from django.db.models.functions import Extract, ExtractYear, TruncQuarter
from django.utils import timezone, translation

from reporting import disclosure, display
from reporting.disclosure import CellSpec, Published, State
from reporting.models import PublishedPeriod, Snapshot
from reporting.tables import (
    POPULATIONS,
    TABLES,
    CountTable,
    Population,
    QuantileTable,
    first_support,
    quarter_end,
    quarter_of,
    quarter_start,
    quarters_between,
    year_of,
)

logger = logging.getLogger(__name__)
Progress = Callable[[int], None]
QUANTILES = (0.25, 0.5, 0.75)
# Only for the date bounds of support_quantiles: not a population that reports count.
FIRST_SUPPORT = Population("first_support", "", first_support, "first_support_at")
# A total is published only over three parts or more: a total of at least k over two parts that
# are both "fewer than k" tells that each is at least 1, whatever else is withheld
# (reporting.disclosure cannot protect it; early on, a table may have only two quarters).
MIN_PARTS = 3


class RuleChanged(Exception):
    """An earlier release used another threshold or rounding (Snapshot.objects.with_another_rule)."""

    def __init__(self, earlier: Snapshot) -> None:
        super().__init__(f"report {earlier.pk} used another threshold or rounding")
        self.earlier = earlier


# --- Counting -----------------------------------------------------------------------------------


def _bounds(population: Population, first: str, last: str) -> dict[str, Any]:
    start, end = quarter_start(first), quarter_end(last) + datetime.timedelta(days=1)
    model_field = _date_field(population)
    if model_field == "datetime":
        tz = timezone.get_current_timezone()
        start = datetime.datetime.combine(start, datetime.time(), tzinfo=tz)  # type: ignore[assignment]
        end = datetime.datetime.combine(end, datetime.time(), tzinfo=tz)  # type: ignore[assignment]
    return {f"{population.date}__gte": start, f"{population.date}__lt": end}


def _date_field(population: Population) -> str:
    """ "date" or "datetime": how the population's period column is stored."""
    query = population.rows().query
    if population.date in query.annotations:
        output = query.annotations[population.date].output_field
    else:
        model: Any = query.model
        *path, name = population.date.split("__")
        for step in path:
            model = model._meta.get_field(step).related_model
        output = model._meta.get_field(name)
    return "datetime" if output.get_internal_type() == "DateTimeField" else "date"


def count_atoms(first: str, last: str, *, populations: Iterable[Population] | None = None) -> dict[str, int]:
    """``{atom: n}`` for every population, quarters ``first`` to ``last``; atoms with no row are absent.

    One ``GROUP BY`` query per population, over plaintext columns only.
    """
    counts: dict[str, int] = {}
    for population in populations or POPULATIONS.values():
        dimensions = [dimension.field for dimension in population.dimensions]
        counted = Count(population.distinct, distinct=True) if population.distinct != "pk" else Count("pk")
        rows = (
            population.rows()
            .filter(**_bounds(population, first, last))
            .annotate(quarter=TruncQuarter(population.date, output_field=DateField()))
            .values("quarter", *dimensions)
            .annotate(n=counted)
            .order_by()
            .values_list("quarter", *dimensions, "n")
        )
        for quarter, *values, n in rows:
            key = "|".join([population.name, quarter_of(quarter), *[value or "" for value in values]])
            counts[key] = n
    return counts


def first_quarter_with_data(last: str) -> str | None:
    """The earliest quarter up to ``last`` in which anything was counted, or None."""
    firsts = []
    for population in POPULATIONS.values():
        if population.within:
            continue  # it starts no earlier than the population its rows are drawn from
        lower = population.rows().filter(**_bounds(population, "1900-Q1", last)).aggregate(first=Min(population.date))
        if lower["first"] is not None:
            first = lower["first"]
            if isinstance(first, datetime.datetime):
                first = timezone.localtime(first).date()
            firsts.append(first)
    return quarter_of(min(firsts)) if firsts else None


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float) -> None:
        super().__init__(expression, fraction=fraction)


def _interpolated(values: list[float], fraction: float) -> float:
    """percentile_cont on a sorted list (as PostgreSQL defines it: linear interpolation)."""
    position = fraction * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def support_quantiles(years: list[str]) -> dict[str, tuple[int, list[float]]]:
    """``{year: (people, [25th, 50th, 75th percentile])}`` of days from intake to the first completed referral.

    People are placed in the (local) year their first referral was completed. Computed in SQL
    on PostgreSQL (``percentile_cont``); SQLite (a laptop) sorts the durations in Python.
    """
    if not years:
        return {}
    rows = first_support().filter(**_bounds(FIRST_SUPPORT, f"{min(years)}-Q1", f"{max(years)}-Q4"))
    out: dict[str, tuple[int, list[float]]] = {}
    if connection.vendor == "postgresql":
        seconds = Extract(F("first_support_at") - F("intake_submitted_at"), "epoch")
        grouped = (
            rows.annotate(year=ExtractYear("first_support_at"), days=seconds / 86400.0)  # in the local time zone
            .values("year")
            .annotate(people=Count("pk"), **{f"q{int(q * 100)}": PercentileCont("days", q) for q in QUANTILES})
            .order_by()
        )
        for row in grouped:
            out[str(row["year"])] = (row["people"], [row[f"q{int(q * 100)}"] for q in QUANTILES])
        return out
    durations: dict[str, list[float]] = defaultdict(list)
    for first, intake in rows.values_list("first_support_at", "intake_submitted_at"):
        durations[str(timezone.localtime(first).year)].append((first - intake).total_seconds() / 86400)
    for key, values in durations.items():
        values.sort()
        out[key] = (len(values), [_interpolated(values, q) for q in QUANTILES])
    return out


# --- Cells --------------------------------------------------------------------------------------


@dataclass
class Block:
    """One two-dimensional grid of a table, as cell keys (values live in the publication)."""

    title: str  # "" or the year of a per-year block
    rows: list[str]  # row keys: quarters, years, or dimension values
    columns: list[str]  # column keys
    cells: list[list[str]]
    row_totals: list[str | None]
    column_totals: list[str | None]
    grand_total: str | None

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _atoms(table: CountTable, quarters: list[str], column_index: int, row_value: str | None) -> frozenset[str]:
    column = table.columns[column_index]
    population = POPULATIONS[column.population]
    match = dict(column.match)
    if table.row_dimension is not None and row_value is not None:
        match[table.row_dimension.field] = row_value
    fields = [dimension.field for dimension in population.dimensions]
    selected = []
    for quarter in quarters:
        for atom in population.atoms(quarter):
            values = atom.split("|")[2:]
            if all(values[fields.index(name)] == value for name, value in match.items()):
                selected.append(atom)
    return frozenset(selected)


def _periods(table: CountTable | QuantileTable, quarters: list[str]) -> dict[str, list[str]]:
    """{row period: its quarters}: every quarter, or every whole year (all four quarters covered).

    A year whose first quarters came before the first reported quarter is never published:
    it would be labelled a year while it counts part of one.
    """
    if isinstance(table, CountTable) and table.period == "quarter":
        return {quarter: [quarter] for quarter in quarters}
    years: dict[str, list[str]] = defaultdict(list)
    for quarter in quarters:
        years[year_of(quarter)].append(quarter)
    return {year: members for year, members in years.items() if len(members) == 4}


def count_table_cells(table: CountTable, quarters: list[str]) -> tuple[list[CellSpec], list[Block]]:
    """The cells (each with its atoms) and the layout of one count table over ``quarters``."""
    specs: list[CellSpec] = []
    blocks: list[Block] = []
    periods = _periods(table, quarters)
    columns = [column.key for column in table.columns]

    def cell(key: str, atoms: frozenset[str], structural: bool = False) -> str:
        specs.append(CellSpec(key=key, atoms=atoms, structural_zero=structural))
        return key

    def grid(title: str, prefix: str, rows: Sequence[tuple[str, list[str], str | None]]) -> None:
        keys, row_totals = [], []
        for row_key, row_quarters, row_value in rows:
            line = []
            for index, column in enumerate(columns):
                structural = (row_key, column) in table.structural_zeros
                line.append(
                    cell(f"{prefix}{row_key}/{column}", _atoms(table, row_quarters, index, row_value), structural)
                )
            keys.append(line)
            row_atoms = frozenset().union(*(_atoms(table, row_quarters, i, row_value) for i in range(len(columns))))
            several_columns = table.totals and len(columns) >= MIN_PARTS
            row_totals.append(cell(f"{prefix}{row_key}/total", row_atoms) if several_columns else None)
        column_totals: list[str | None] = [None] * len(columns)
        grand = None
        # Totals down a block of rows (rank bands in a year). Never across periods: a total over
        # every quarter would change with each release and link all quarters into one problem.
        if table.totals and title and len(rows) >= MIN_PARTS:
            span = "total"
            all_quarters = sorted({q for _key, row_quarters, _value in rows for q in row_quarters})
            for index, column in enumerate(columns):
                atoms = frozenset().union(*(_atoms(table, qs, index, value) for _key, qs, value in rows))
                column_totals[index] = cell(f"{prefix}{span}/{column}", atoms)
            if len(columns) >= MIN_PARTS:
                grand = cell(
                    f"{prefix}{span}/total",
                    frozenset().union(*(_atoms(table, all_quarters, i, None) for i in range(len(columns)))),
                )
        blocks.append(Block(title, [key for key, _qs, _value in rows], columns, keys, row_totals, column_totals, grand))

    if table.row_dimension is None:
        if periods:
            grid("", f"{table.slug}/", [(period, members, None) for period, members in periods.items()])
    else:
        for year, members in periods.items():
            by_value = [(value or "none", members, value) for value, _label in table.row_dimension.choices]
            grid(year, f"{table.slug}/{year}/", by_value)
    return specs, blocks


# --- The snapshot -------------------------------------------------------------------------------


def frozen_counts(quarters: list[str], fresh: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """Counts to use: published quarters as published, the rest fresh; and the quarters revised since."""
    published = {row.period: row.counts for row in PublishedPeriod.objects.filter(period__in=quarters)}
    counts: dict[str, int] = {}
    revised = []
    for atom, n in fresh.items():
        quarter = atom.split("|")[1]
        if quarter not in published:
            counts[atom] = n
    for quarter, frozen in published.items():
        counts.update({atom: int(n) for atom, n in frozen.items()})
        current = {atom: n for atom, n in fresh.items() if atom.split("|")[1] == quarter}
        if current != {atom: int(n) for atom, n in frozen.items() if int(n)}:
            revised.append(quarter)
    return counts, sorted(revised)


def ever_published_cells() -> list[Published]:
    """Every cell any donor has seen, withdrawn snapshots included: the attacker holds all of them."""
    seen: dict[str, Published] = {}
    for cells in Snapshot.objects.ever_public().order_by("approved_at").values_list("cells", flat=True):
        for key, atoms, state, value in cells:
            seen.setdefault(key, Published(key=key, atoms=frozenset(atoms), state=State(state), value=value))
    return list(seen.values())


def _quantile_rows(
    table: QuantileTable, years: list[str], quantiles: dict[str, tuple[int, list[float]]], k: int
) -> dict[str, list[int] | None]:
    """Weeks (25th, 50th, 75th percentile) per year, only where the year has at least k people.

    No count of those people is published: it would bound other tables' counts (people whose
    first referral was completed in a year are at most the referrals completed that year).
    A year published before keeps what it was published with.
    """
    earlier = _earlier_quantiles(table.slug)
    out: dict[str, list[int] | None] = {}
    for year in years:
        people, days = quantiles.get(year, (0, []))
        if year in earlier:
            out[year] = earlier[year]
        elif people >= k:
            out[year] = [round(value / 7) for value in days]
        else:
            out[year] = None
    return out


def _earlier_quantiles(slug: str) -> dict[str, list[int] | None]:
    out: dict[str, list[int] | None] = {}
    for publication in Snapshot.objects.ever_public().order_by("approved_at").values_list("publication", flat=True):
        for entry in publication:
            if entry["slug"] == slug:
                for year, weeks in entry["quantiles"].items():
                    out.setdefault(year, weeks)
    return out


def compute(snapshot: Snapshot, *, progress: Progress | None = None) -> Snapshot:
    """Fill ``snapshot`` (status COMPUTING) with its publication; it becomes a DRAFT.

    Raises disclosure.DisclosureError when no suppression pattern protects every
    cell (the caller marks the snapshot FAILED); nothing is saved then.
    """
    report = progress or (lambda percent: None)
    started = time.perf_counter()
    # First: a report approved while this one computes must make this one stale (services).
    public_before = Snapshot.objects.ever_public().count()
    k, base = snapshot.threshold, snapshot.rounding_base
    last = quarter_of(snapshot.period_end)
    # Once anything is published, the first quarter stays where it was: records dated earlier are
    # left out, as late data is, rather than turning the same cells into sums over other quarters.
    first_published = PublishedPeriod.objects.order_by("period").values_list("period", flat=True).first()
    first = first_published or first_quarter_with_data(last) or last
    quarters = quarters_between(first, last)
    report(10)
    fresh = count_atoms(first, last)
    counts, revised = frozen_counts(quarters, fresh)
    report(40)

    specs: list[CellSpec] = []
    layouts: list[dict[str, Any]] = []
    for table in TABLES:
        if isinstance(table, CountTable):
            table_specs, blocks = count_table_cells(table, quarters)
            layouts.append({"slug": table.slug, "kind": "count", "blocks": [block.as_json() for block in blocks]})
            specs.extend(table_specs)
        else:
            years = list(_periods(table, quarters))
            quantiles = _quantile_rows(table, years, support_quantiles(years), k)
            layouts.append({"slug": table.slug, "kind": "quantiles", "years": years, "quantiles": quantiles})
    if (earlier := Snapshot.objects.ever_public().with_another_rule(k, base)) is not None:
        raise RuleChanged(earlier)
    fixed = ever_published_cells()
    solver_started = time.perf_counter()
    atom_counts: dict[Hashable, int] = dict(counts.items())
    published = _protect_or_drop_year_blocks(specs, layouts, atom_counts, k, base, fixed)
    solver_seconds = time.perf_counter() - solver_started
    report(80)

    mine = {spec.key for spec in specs}
    for layout in layouts:
        layout["cells"] = {
            key: [published[key].state.value, published[key].value]
            for key in sorted(mine)
            if key.startswith(layout["slug"] + "/")
        }
    snapshot.publication = layouts
    snapshot.cells = [
        [cell.key, sorted(cell.atoms), cell.state.value, cell.value]
        for key, cell in sorted(published.items())
        if key in mine
    ]
    snapshot.counts = {
        quarter: {a: n for a, n in counts.items() if a.split("|")[1] == quarter and n} for quarter in quarters
    }
    snapshot.revised_periods = revised
    snapshot.public_before = public_before
    report(90)
    snapshot.charts = {language: _charts(snapshot, language) for language, _name in settings.LANGUAGES}
    snapshot.solver_seconds = solver_seconds
    snapshot.compute_seconds = time.perf_counter() - started
    snapshot.computed_at = timezone.now()
    snapshot.status = Snapshot.Status.DRAFT
    snapshot.progress = 100
    return snapshot


def _protect_or_drop_year_blocks(
    specs: list[CellSpec],
    layouts: list[dict[str, Any]],
    counts: dict[Hashable, int],
    k: int,
    base: int,
    fixed: list[Published],
) -> dict[str, Published]:
    """disclosure.protect, leaving out a new per-year block that cannot be protected.

    A year's breakdown (rank band x branch) added after its quarters were published can be
    pinned by them: bands below k that must add up to a published quarter total of k or more
    are each known to be at least 1. Rather than fail this report and every later one, that
    block is left out (the table says so) and the rest protected. Raises DisclosureError when
    what fails is not such a block. ``specs`` and ``layouts`` lose the blocks left out.
    """
    published_keys = {cell.key for cell in fixed}
    while True:
        try:
            return {cell.key: cell for cell in disclosure.protect(specs, counts, k=k, base=base, fixed=fixed)}
        except disclosure.DisclosureError as error:
            new_blocks = [
                (layout, block)
                for layout in layouts
                if layout["kind"] == "count"
                for block in layout["blocks"]
                if block["title"] and not (_block_keys(block) & published_keys)
            ]
            failing = set(error.keys)
            culprits = [(layout, block) for layout, block in new_blocks if _block_keys(block) & failing] or new_blocks
            if not culprits:
                raise
            for layout, block in culprits:
                layout["blocks"].remove(block)
                layout.setdefault("left_out", []).append(block["title"])
            dropped = set().union(*(_block_keys(block) for _layout, block in culprits))
            specs[:] = [spec for spec in specs if spec.key not in dropped]


def _block_keys(block: dict[str, Any]) -> set[str]:
    keys = {key for line in block["cells"] for key in line}
    keys |= {key for key in (*block["row_totals"], *block["column_totals"], block["grand_total"]) if key}
    return keys


def _charts(snapshot: Snapshot, language: str) -> dict[str, str]:
    """Every table's chart in ``language``: rendered once here, so donor pages serve stored bytes."""
    with translation.override(language):
        return {shown.slug: display.chart(shown) for shown in display.tables(snapshot)}


def freeze_periods(snapshot: Snapshot) -> None:
    """On approval: every quarter the snapshot covers keeps these counts from now on."""
    with transaction.atomic():
        for quarter, counts in snapshot.counts.items():
            PublishedPeriod.objects.get_or_create(period=quarter, defaults={"snapshot": snapshot, "counts": counts})
