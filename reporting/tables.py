"""What donor reports count: populations (what one count is) and the tables built over them.

A *population* is a set of rows counted in SQL over plaintext columns only
(DESIGN.md, data classification): its counts are kept per *atom*, the finest
cross-classification (quarter x every dimension), for example
``"cases|2025-Q1|army|officer"``. Every published cell is the sum of a set of
atoms, so two tables over the same population (intakes by quarter x branch,
and by year x rank band x branch) are linked for the disclosure-control solver
exactly as they are for an attacker (reporting.disclosure).

A new table is one declaration in ``TABLES``.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, F, Model, OuterRef, Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from debriefing.models import DebriefSession, Incident, Violation
from defectors.models import Case, Consent
from support.models import Assistance, Placement, Referral, ServiceType, TrainingEnrolment

NOT_RECORDED = ("", _("Not recorded"))


# --- Periods -----------------------------------------------------------------------------------


def quarter_of(day: datetime.date) -> str:
    """``"2025-Q1"`` for any day of January to March 2025."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(quarter: str) -> datetime.date:
    year, number = quarter.split("-Q")
    return datetime.date(int(year), 3 * (int(number) - 1) + 1, 1)


def quarter_end(quarter: str) -> datetime.date:
    """The last day of ``quarter``."""
    start = quarter_start(quarter)
    following = datetime.date(start.year + (start.month + 3 > 12), (start.month + 2) % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last``, both included, in order ([] if last is before first)."""
    out, day = [], quarter_start(first)
    while day <= quarter_start(last):
        out.append(quarter_of(day))
        day = quarter_end(quarter_of(day)) + datetime.timedelta(days=1)
    return out


def last_closed_quarter(today: datetime.date, *, lag_months: int) -> str:
    """The newest quarter that has closed and whose lag has passed by ``today``.

    A quarter ending on 31 March with a lag of one month is reportable from 1 May.
    """
    month_index = today.year * 12 + today.month - 1 - lag_months
    year, month = divmod(month_index, 12)
    # The quarter before the one holding (year, month + 1), i.e. the last one wholly before it.
    current = quarter_of(datetime.date(year, month + 1, 1))
    return quarter_of(quarter_start(current) - datetime.timedelta(days=1))


def year_of(quarter: str) -> str:
    return quarter.split("-")[0]


# --- Populations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dimension:
    """A plaintext column that splits a population, with every value it can take (its domain)."""

    field: str
    label: str | Promise
    choices: tuple[tuple[str, str | Promise], ...]

    def label_of(self, value: str) -> str | Promise:
        return dict(self.choices).get(value, value)


@dataclass(frozen=True)
class Population:
    """What one count is. ``rows()`` are the rows counted, placed in a quarter by ``date``.

    ``distinct``: the field that makes one count (``"case"``: a person counted once per
    quarter however many placements they had); ``"pk"`` counts rows.
    ``within``: another population whose rows include all of this one's, on the same dates,
    so this one never starts earlier (compute.first_quarter_with_data skips it).
    """

    name: str
    label: str | Promise
    rows: Callable[[], QuerySet]
    date: str
    dimensions: tuple[Dimension, ...] = ()
    distinct: str = "pk"
    within: str = ""

    def atoms(self, quarter: str) -> list[str]:
        """Every atom of ``quarter``, zeros included: the domain, not only what occurred."""
        values = itertools.product(*[[value for value, _label in dim.choices] for dim in self.dimensions])
        return [atom_key(self.name, quarter, combination) for combination in values]


def atom_key(population: str, quarter: str, values: Sequence[str]) -> str:
    return "|".join([population, quarter, *values])


def _with_blank(choices: Sequence[tuple[str, str | Promise]]) -> tuple[tuple[str, str | Promise], ...]:
    return (*tuple(choices), NOT_RECORDED)


BRANCH = Dimension("branch", _("Branch"), _with_blank(Case.Branch.choices))
RANK_BAND = Dimension("rank_band", _("Rank band"), _with_blank(Case.RankBand.choices))
SERVICE = Dimension("service_type", _("Service"), tuple(ServiceType.choices))
VIOLATION = Dimension("violation", _("Violation"), tuple(Violation.choices))


def _rows(model: type[Model]) -> QuerySet:
    """Every row of ``model`` through the plain base manager: counting opens nothing, so the
    data keys the vault's manager brings with each row (a join to the case) are left out."""
    return model._base_manager.all()


def _intakes() -> QuerySet:
    return _rows(Case).filter(intake_submitted_at__isnull=False)


def _completed_referrals() -> QuerySet:
    return _rows(Referral).filter(status=Referral.Status.COMPLETED)


def _given_assistance() -> QuerySet:
    # Assistance waiting for a supervisor's approval has not been given yet.
    return _rows(Assistance).filter(Q(needs_approval=False) | Q(approved_at__isnull=False))


def _documented_incidents() -> QuerySet:
    """Incidents from approved debriefs whose case's consent to testimony is in force today (as the
    partners' export): a withdrawal leaves every later count (published quarters stay as published)."""
    testimony = Exists(Consent.objects.filter(case=OuterRef("session__case")).in_force(Consent.Kind.TESTIMONY))
    return _rows(Incident).filter(testimony, session__status=DebriefSession.Status.APPROVED)


def first_support() -> QuerySet:
    """The first completed referral of each person taken in: one row per person, dated
    ``first_support_at``, with the person's ``intake_submitted_at``.

    A completed referral is the first when no other completed referral of the same case
    came before it (ties broken by id, so one row per person). PostgreSQL runs this as one
    hash anti-join over the completed referrals; a per-case ``MIN`` subquery on the cases
    ran an index lookup per case for every place it was used, about ten times slower at
    1,000,000 cases (bench/reporting.py).
    """
    completed = Referral.Status.COMPLETED
    earlier = (
        _rows(Referral)
        .filter(case=OuterRef("case"), status=completed)
        .filter(
            Q(status_changed_at__lt=OuterRef("status_changed_at"))
            | Q(status_changed_at=OuterRef("status_changed_at"), pk__lt=OuterRef("pk"))
        )
    )
    return (
        _rows(Referral)
        .filter(status=completed, case__intake_submitted_at__isnull=False)
        .exclude(Exists(earlier))
        .annotate(first_support_at=F("status_changed_at"), intake_submitted_at=F("case__intake_submitted_at"))
    )


POPULATIONS: dict[str, Population] = {
    population.name: population
    for population in (
        Population("cases", _("People taken in"), _intakes, "intake_month", (BRANCH, RANK_BAND)),
        Population("referrals", _("Referrals completed"), _completed_referrals, "status_changed_at", (SERVICE,)),
        Population("placed", _("Placed in a shelter"), lambda: _rows(Placement), "checked_in_on", distinct="case"),
        Population(
            "trained",
            _("Completed a training"),
            lambda: _rows(TrainingEnrolment).filter(completed=True, ends_on__isnull=False),
            "ends_on",
            distinct="case",
        ),
        Population("assisted", _("Given assistance"), _given_assistance, "given_on", distinct="case"),
        Population(
            "debriefs",
            _("Debriefs completed"),
            lambda: _rows(DebriefSession).filter(status=DebriefSession.Status.APPROVED),
            "approved_at",
        ),
        Population("incidents", _("Incidents documented"), _documented_incidents, "session__approved_at", (VIOLATION,)),
    )
}


# --- Tables --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: a population, narrowed to one value of some of its dimensions (or not at all)."""

    key: str
    label: str | Promise
    population: str
    match: tuple[tuple[str, str], ...] = ()  # ((dimension field, value), ...)


def by_dimension(population: str, dimension: Dimension) -> tuple[Column, ...]:
    return tuple(
        Column(value or "none", label, population, ((dimension.field, value),)) for value, label in dimension.choices
    )


@dataclass(frozen=True)
class CountTable:
    """Counts with at most two dimensions: periods (quarters or years) down, ``columns`` across.

    ``blocks_by_year`` with ``row_dimension``: one two-dimensional block per closed
    year, rows by that dimension (cases by rank band x branch, per year).
    ``totals``: row totals, column totals and a grand total, each a cell with its own
    protection; leave them out where one person can be in several columns.
    ``structural_zeros``: (row key, column key) pairs that cannot occur, shown as 0.
    None is declared today: every combination can occur.
    """

    slug: str
    title: str | Promise
    unit: str | Promise
    columns: tuple[Column, ...]
    period: str = "quarter"  # or "year"
    row_dimension: Dimension | None = None
    totals: bool = True
    structural_zeros: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class QuantileTable:
    """Median and quartiles of a duration per year, published only for groups of at least k people.

    The duration is declared in reporting.compute.support_quantiles (today the only one).
    """

    slug: str
    title: str | Promise
    unit: str | Promise


TABLES: tuple[CountTable | QuantileTable, ...] = (
    CountTable(
        "intakes",
        _("New intakes per quarter, by branch"),
        _("people"),
        by_dimension("cases", BRANCH),
    ),
    CountTable(
        "rank-by-branch",
        _("People taken in per year, by rank band and branch"),
        _("people"),
        by_dimension("cases", BRANCH),
        period="year",
        row_dimension=RANK_BAND,
    ),
    CountTable(
        "referrals-completed",
        _("Support delivered per quarter: referrals completed, by service"),
        _("referrals"),
        by_dimension("referrals", SERVICE),
    ),
    CountTable(
        "people-supported",
        _("People placed in a shelter, trained and given assistance per quarter"),
        _("people"),
        tuple(Column(name, POPULATIONS[name].label, name) for name in ("placed", "trained", "assisted")),
        totals=False,  # one person can be in all three columns and in several quarters
    ),
    QuantileTable(
        "time-to-support",
        _("Time from intake to the first completed referral, per year"),
        _("weeks"),
    ),
    CountTable(
        "debriefs",
        _("Debriefs completed per quarter"),
        _("debriefs"),
        (Column("all", _("Debriefs completed"), "debriefs"),),
    ),
    CountTable(
        "incidents",
        _("Human-rights incidents documented per year, by violation (with consent to testimony)"),
        _("incidents"),
        by_dimension("incidents", VIOLATION),
        period="year",
    ),
)


def table(slug: str) -> CountTable | QuantileTable:
    """The declaration named ``slug``; raises KeyError for an unknown one."""
    for declared in TABLES:
        if declared.slug == slug:
            return declared
    raise KeyError(slug)
