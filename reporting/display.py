"""A snapshot's publication as donors read it: labelled tables, method notes, charts and CSV.

The publication stores keys and published values only (reporting.compute); the
labels come from the declarations (reporting.tables) in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from charts.svg import bar_chart
from config import spreadsheets
from reporting.tables import CountTable, QuantileTable, table

CHART_WIDTH = 300  # CSS pixels; the SVG shrinks to a phone's width with its text still readable


@dataclass(frozen=True)
class Cell:
    state: str  # "value", "zero", "primary", "complementary"
    value: int | None  # the rounded published count, 0 for a structural zero, None when suppressed
    short: str  # as shown in a table cell: "15", "<10", "—"
    long: str  # as written in a CSV or read by a screen reader: "1500", "fewer than 10", "withheld"

    @property
    def suppressed(self) -> bool:
        return self.value is None


@dataclass
class Row:
    label: str
    cells: list[Cell]
    total: Cell | None = None
    is_total: bool = False


@dataclass
class Block:
    title: str
    row_heading: str
    columns: list[str]
    rows: list[Row]
    has_row_totals: bool


@dataclass
class Table:
    slug: str
    title: str
    unit: str
    blocks: list[Block]
    note: str
    footnotes: list[str] = field(default_factory=list)
    chart: str = ""
    csv_note: str = ""  # the method note in the CSV's own words ("fewer than 10", not "<10")

    @property
    def is_empty(self) -> bool:
        return not any(block.rows for block in self.blocks)


def _cell(state: str, value: int | None, k: int) -> Cell:
    if state in ("value", "zero"):
        return Cell(state, value or 0, number_format(value or 0, force_grouping=True), str(value or 0))
    if state == "primary":
        return Cell(state, None, f"<{k}", _("fewer than %(k)s") % {"k": k})
    return Cell(state, None, "—", _("withheld"))


def _pair(stored: list[Any]) -> tuple[str, int | None]:
    return stored[0], stored[1]


def _period_label(key: str) -> str:
    if "-Q" in key:
        year, quarter = key.split("-Q")
        return _("%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}
    if ".." in key or key == "total":
        return _("Total")
    return key


def method_note(k: int, base: int, *, for_csv: bool = False) -> str:
    """What a donor needs to read the numbers, in plain words (``for_csv``: in the CSV's own terms)."""
    small, withheld = (_("fewer than %(k)s") % {"k": k}, _("withheld")) if for_csv else (f"<{k}", "—")
    return " ".join([
        _("Counts are rounded to the nearest %(base)s; each total is rounded on its own, so totals may differ from the sum of their parts.") % {"base": base},  # noqa: E501
        _("A count below %(k)s, zero included, is shown as “%(small)s” so that no small group of people can be singled out.") % {"k": k, "small": small},  # noqa: E501
        _("“%(withheld)s” marks a count withheld so that a hidden small count cannot be worked out from the others by subtraction.") % {"withheld": withheld},  # noqa: E501
        _("Once a period is published, its figures never change."),
    ])  # fmt: skip


def tables(snapshot: Any) -> list[Table]:
    """The snapshot's tables, labelled in the active language; charts from the stored renderings."""
    k, base = snapshot.threshold, snapshot.rounding_base
    charts = (snapshot.charts or {}).get(get_language() or "en") or (snapshot.charts or {}).get("en", {})
    out = []
    for entry in snapshot.publication:
        declared = table(entry["slug"])
        if isinstance(declared, CountTable):
            shown = _count_table(declared, entry, k, base, snapshot.revised_periods)
        else:
            shown = _quantile_table(declared, entry, k, base)
        shown.chart = charts.get(entry["slug"], "")
        out.append(shown)
    return out


def _count_table(declared: CountTable, entry: dict[str, Any], k: int, base: int, revised: list[str]) -> Table:
    cells = entry["cells"]
    labels = {column.key: str(column.label) for column in declared.columns}

    def get(key: str | None) -> Cell | None:
        return None if key is None else _cell(cells[key][0], cells[key][1], k)

    blocks = []
    periods: set[str] = set()
    for block in entry["blocks"]:
        rows = []
        for row_key, keys, total in zip(block["rows"], block["cells"], block["row_totals"], strict=True):
            if declared.row_dimension is not None:
                label = str(declared.row_dimension.label_of("" if row_key == "none" else row_key))
            else:
                label = _period_label(row_key)
                periods.add(row_key)
            rows.append(Row(label, [_cell(cells[key][0], cells[key][1], k) for key in keys], get(total)))
        if any(block["column_totals"]):
            rows.append(
                Row(_("Total"), [get(key) or _cell("zero", 0, k) for key in block["column_totals"]],
                    get(block["grand_total"]), is_total=True)
            )  # fmt: skip
        heading = str(declared.row_dimension.label) if declared.row_dimension is not None else _period_heading(declared)
        blocks.append(
            Block(block["title"], heading, [labels[key] for key in block["columns"]], rows, any(block["row_totals"]))
        )
        if block["title"]:
            periods.update(quarter for quarter in revised if quarter.startswith(block["title"]))
    footnotes = []
    for year in entry.get("left_out", []):
        footnotes.append(
            _("The breakdown for %(year)s is not published: it could not be shown without revealing a small number.")
            % {"year": year}
        )
    if not declared.totals:
        footnotes.append(_("A person can be counted in more than one column, and in more than one period."))
    touched = sorted(quarter for quarter in revised if quarter in periods or quarter[:4] in periods)
    if touched:
        footnotes.append(
            _(
                "Records for %(periods)s were added after they were published. "
                "The figures shown are the published ones; a revision exists."
            )
            % {"periods": ", ".join(_period_label(q) for q in touched)}
        )
    shown = Table(declared.slug, str(declared.title), str(declared.unit), blocks, method_note(k, base), footnotes)
    shown.csv_note = method_note(k, base, for_csv=True)
    return shown


def _period_heading(declared: CountTable) -> str:
    return _("Quarter") if declared.period == "quarter" else _("Year")


def _quantile_table(declared: QuantileTable, entry: dict[str, Any], k: int, base: int) -> Table:
    rows = []
    not_shown = Cell("none", None, "—", _("not shown: fewer than %(k)s people") % {"k": k})
    for year in entry["years"]:
        weeks = entry["quantiles"].get(year)
        rows.append(Row(year, [_cell("value", w, k) for w in weeks] if weeks else [not_shown] * 3))
    columns = [_("25th percentile"), _("Median"), _("75th percentile")]
    note = " ".join([
        _("Weeks from a person's intake to the completion of their first referral, in the year it was completed."),
        _("Shown in whole weeks, only for years with at least %(k)s people.") % {"k": k},
    ])  # fmt: skip
    block = Block("", _("Year"), columns, rows, False)
    quantiles = Table(
        declared.slug, str(declared.title), str(declared.unit), [block], note + " " + _("“—”: not shown.")
    )
    quantiles.csv_note = note
    return quantiles


def chart(shown: Table) -> str:
    """The table's bar chart as SVG: one bar per row (its total where the table has totals, else
    one bar per column); a number not shown draws no bar, but its row keeps its label."""
    categories: list[str] = []
    series_values: dict[str, list[float | None]] = {}
    for block in shown.blocks:
        for row in block.rows:
            if row.is_total:
                continue
            categories.append(f"{block.title} · {row.label}" if block.title else row.label)
            if block.has_row_totals:
                series_values.setdefault(_("Total"), []).append(row.total.value if row.total else None)
                continue
            for column, cell in zip(block.columns, row.cells, strict=True):
                series_values.setdefault(column, []).append(cell.value)
    series = list(series_values.items())
    if not categories or not any(v is not None for _name, values in series for v in values):
        return ""
    return str(
        bar_chart(
            categories, series, title=shown.title, value_title=shown.unit, width=CHART_WIDTH,
            show_title=False, legend=len(series) > 1,
        )
    )  # fmt: skip


def csv_bytes(shown: Table) -> bytes:
    """The table as CSV (config.spreadsheets: UTF-8 with a byte-order mark, formula-like cells
    neutralised): one header row, counts as plain numbers, per-year blocks as a Year column."""
    rows: list[Sequence[str | Promise]] = [[shown.title]]
    header_written = False
    for block in shown.blocks:
        if not header_written:
            header = [block.row_heading, *block.columns] + ([_("Total")] if block.has_row_totals else [])
            rows.append([_("Year"), *header] if block.title else header)
            header_written = True
        for row in block.rows:
            line = [row.label, *[cell.long for cell in row.cells]]
            if block.has_row_totals:
                line.append(row.total.long if row.total else "")
            if block.title:
                line = [block.title, *line]
            rows.append(line)
    if not header_written:
        rows.append([_("Nothing to report yet.")])
    rows.append([])
    rows.extend([text] for text in [shown.csv_note or shown.note, *shown.footnotes])
    return spreadsheets.csv_bytes(rows)
