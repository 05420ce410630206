"""Statistical disclosure control for donor reports: which cells of a set of count tables
may be published, and what an attacker can still work out from what is published.

The model. Counts are over *atoms*, the finest cross-classification of a population, for
example ``("intakes", "2025Q1", "army", "officer")``; an atom is any hashable. Every cell
of a table is the sum of a set of atoms, so a total is a cell like any other, and tables
over the same population (quarter x branch, and year x rank band x branch) are linked
through the atoms they share: one call protects them together.

The rules (issue 13; Hundepool et al., *Statistical Disclosure Control*, Wiley 2012,
chapter 4; the suppression model is Fischetti and Salazar-González, "Solving the cell
suppression problem on tabular data with linear constraints", Management Science 47(7), 2001):

- The threshold k is at least ``K_MIN`` (5). A cell whose count is below k is published as
  "fewer than k" (``PRIMARY``), a true 0 included; only a cell declared a structural zero
  (impossible by definition) is published as 0 (``ZERO``), and never suppressed.
- Every other published count is rounded to a base (default 5), to the nearest multiple,
  halves up; a total is rounded on its own, not summed from rounded parts.
- The attacker knows everything ever published (earlier releases included), the threshold,
  the rounding rule and that counts are whole numbers at least 0. What one published cell
  tells them is ``published_bounds``. For each suppressed cell they solve two linear
  programs, the least and the greatest value of the cell over everything published
  (``attacker_intervals``).
- A suppressed cell is protected when that interval holds at least k whole numbers; for a
  "fewer than k" cell this means the attacker learns nothing beyond "fewer than k".
- Complementary suppression (``COMPLEMENTARY``) hides the cheapest set of further cells that
  protects every suppressed cell, the cost of a cell being its count (so large cells and
  totals are kept when small ones will do); chosen by a mixed-integer program over which
  cells to hide, cut by linear programs (one per move a hidden cell must be able to make),
  then checked with the attacker's linear programs. All of them run in HiGHS through scipy.
- A cell published earlier stays as it was published, even after late data; a new release
  is protected against the earlier ones too (differencing).

Consequences worth knowing when declaring tables:
- A total of exactly two parts that are both "fewer than k" while the total is at least k
  (a half-year of two quarters, say) cannot be protected: each part is then at least 1,
  whatever else is hidden, and ``protect`` raises ``DisclosureError``.
- The attacker checked is the linear-programming one the issue names. One who also uses
  that counts are whole numbers (integer programming) can sometimes narrow an interval a
  little further on linked tables; counting only whole numbers in the interval covers part
  of that, not all.
"""

from __future__ import annotations

import math
import operator
import time
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

K_MIN = 5
_TOLERANCE = 1e-6  # linear-programming noise around a whole number
_MAX_ROUNDS = 20  # re-solves after the attacker finds a complementary cell unprotected


class State(StrEnum):
    VALUE = "value"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"
    ZERO = "zero"


SUPPRESSED = frozenset({State.PRIMARY, State.COMPLEMENTARY})


@dataclass(frozen=True)
class CellSpec:
    """A cell to publish: ``key`` unique in the problem (``"intakes_by_branch/2025Q1/army"``),
    ``atoms`` the atoms it sums, ``structural_zero`` when the table declares it impossible."""

    key: str
    atoms: frozenset[Hashable]
    structural_zero: bool = False


@dataclass(frozen=True)
class Published:
    """A cell as published: ``value`` is the rounded count for ``VALUE``, 0 for ``ZERO``,
    ``None`` for a suppressed cell."""

    key: str
    atoms: frozenset[Hashable]
    state: State
    value: int | None


class DisclosureError(Exception):
    """No publication protects every cell; ``keys`` names the cells left unprotected."""

    def __init__(self, message: str, keys: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.keys = tuple(keys)


def round_to_base(n: int, base: int) -> int:
    """``n`` (a count, at least 0) to the nearest multiple of ``base`` (at least 1), halves up:
    with base 5, 2 -> 0 and 3 -> 5; with base 10, 4 -> 0 and 5 -> 10. Raises ``ValueError``."""
    if base < 1 or n < 0:
        raise ValueError(f"cannot round {n} to base {base}: counts are at least 0, bases at least 1")
    return (2 * n + base) // (2 * base) * base


def published_bounds(p: Published, k: int, base: int) -> tuple[float, float]:
    """What an attacker learns of the true count of one published cell, as ``(lowest, highest)``.

    ``VALUE`` r: the counts that round to r and are not below k,
    ``[max(k, r - floor(base/2)), r + ceil(base/2) - 1]`` (base 5: r-2 to r+2);
    ``ZERO``: ``[0, 0]``; ``PRIMARY`` ("fewer than k"): ``[0, k-1]``; ``COMPLEMENTARY``:
    ``[k, inf)``, since it is not labelled "fewer than k". Raises ``ValueError`` for k below
    ``K_MIN``, a base below 1, or a ``VALUE`` cell without a value.
    """
    _check_parameters(k, base)
    if p.state is State.VALUE:
        if p.value is None:
            raise ValueError(f"cell {p.key!r} is published as a value but has none")
        return float(max(k, p.value - base // 2)), float(p.value + (base + 1) // 2 - 1)
    if p.state is State.ZERO:
        return 0.0, 0.0
    if p.state is State.PRIMARY:
        return 0.0, float(k - 1)
    return float(k), math.inf


def attacker_intervals(published: Sequence[Published], *, k: int, base: int) -> dict[str, tuple[float, float]]:
    """The tightest interval a linear-programming attacker derives for each suppressed cell.

    ``published``: every cell the attacker has seen (all tables, all releases, published with
    threshold ``k`` and rounding ``base``); a cell seen twice must be published the same way.
    For each ``PRIMARY`` or ``COMPLEMENTARY`` cell: the least and greatest sum of its atoms over
    {atoms >= 0, every published cell within its ``published_bounds``}, two HiGHS linear
    programs per cell, solved separately for each group of cells linked through shared atoms.
    Returns ``{key: (lowest, highest)}`` (highest may be ``inf``). Raises ``ValueError`` for bad
    parameters, conflicting duplicates, a cell without atoms, or publications no counts fit.
    """
    _check_parameters(k, base)
    cells = _unique(published)
    intervals: dict[str, tuple[float, float]] = {}
    for component in _components([p.atoms for p in cells]):
        members = [cells[i] for i in component.cells]
        intervals.update(_intervals(component.matrix, members, k, base))
    return intervals


def unprotected(published: Sequence[Published], *, k: int, base: int) -> dict[str, tuple[float, float]]:
    """The suppressed cells of ``published`` whose attacker interval holds fewer than k whole
    numbers (``floor(highest) - ceil(lowest) + 1 < k``), with their intervals; ``{}`` when every
    suppressed cell is protected. Same arguments and errors as ``attacker_intervals``."""
    intervals = attacker_intervals(published, k=k, base=base)
    return {key: bounds for key, bounds in intervals.items() if not _holds_k(bounds, k)}


def protect(
    cells: Sequence[CellSpec],
    counts: Mapping[Any, int],  # atom -> count; Any, as a Mapping's key type is invariant
    *,
    k: int = 10,
    base: int = 5,
    fixed: Sequence[Published] = (),
    time_limit: float = 30.0,
) -> list[Published]:
    """Publish ``cells`` so that no suppressed cell can be narrowed below k whole numbers.

    ``counts``: the true count of each atom (an atom left out counts 0, as a ``GROUP BY``
    leaves out empty combinations). ``k``: the threshold, at least ``K_MIN``; ``base``: the
    rounding base, at least 1. ``fixed``: cells published in earlier releases (same k and
    base); they stay public, constrain this release, and a cell of ``cells`` with the key of
    a fixed cell is returned as it was published. ``time_limit``: seconds for each search
    of the cheapest pattern (one per group of linked cells, and again in the rare round
    after the attacker finds a complementary cell exposed); when one runs out, every
    candidate cell of the group is suppressed.

    Returns one ``Published`` per cell, in the order of ``cells``: ``ZERO`` for structural
    zeros, ``PRIMARY`` below k, ``COMPLEMENTARY`` for the cheapest further cells that protect
    every suppressed cell (earlier releases' included), ``VALUE`` with the rounded count
    otherwise. The same inputs give the same output unless a time limit is reached.

    Raises ``ValueError`` for bad parameters, duplicate keys, a cell without atoms, a key of
    ``fixed`` reused for other atoms, a negative count, or a structural zero whose count is not
    0. Raises ``DisclosureError`` when even suppressing every candidate cell leaves a cell
    unprotected (``keys`` names them).

    Late data in a period published earlier (the counts no longer fit a fixed cell): the fixed
    cells stay as published (a period is never republished with different numbers) and this
    release is protected against an attacker who takes every publication at its word, which
    can cost more suppression; the release should say a revision exists.
    """
    _check_parameters(k, base)
    if time_limit <= 0:
        raise ValueError("the time limit must be positive")
    earlier = {p.key: p for p in _unique(fixed)}
    duplicates = sorted(key for key, times in Counter(cell.key for cell in cells).items() if times > 1)
    if duplicates:
        raise ValueError(f"duplicate cell keys: {duplicates}")
    for cell in cells:
        if not cell.atoms:
            raise ValueError(f"cell {cell.key!r} has no atoms")
        if cell.key in earlier and earlier[cell.key].atoms != cell.atoms:
            raise ValueError(f"cell {cell.key!r} was published earlier over other atoms")
    entries: list[CellSpec | Published] = [cell for cell in cells if cell.key not in earlier]
    entries += earlier.values()
    entries.sort(key=lambda entry: entry.key)
    components = [
        component
        for component in _components([entry.atoms for entry in entries])
        if any(isinstance(entries[i], CellSpec) for i in component.cells)
    ]
    decided: dict[str, Published] = {}
    for component in components:
        members = [entries[i] for i in component.cells]
        for p in _protect_component(component, members, _column_counts(component, counts), k, base, time_limit):
            decided[p.key] = p
    return [earlier[cell.key] if cell.key in earlier else decided[cell.key] for cell in cells]


# --- internals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Component:
    """Cells linked through shared atoms. Atoms that lie in exactly the same cells cannot be
    told apart by anyone and are merged into one column, which also makes every order here
    independent of how atoms hash (a column is named by the sorted positions of its cells)."""

    cells: tuple[int, ...]  # positions in the caller's list, ascending
    columns: tuple[tuple[Hashable, ...], ...]  # the atoms merged into each column
    matrix: sparse.csr_array  # cells x columns, 1 where the cell sums the column's atoms


def _components(atoms_by_cell: Sequence[frozenset[Hashable]]) -> list[_Component]:
    cells_of: dict[Hashable, list[int]] = {}
    for i, atoms in enumerate(atoms_by_cell):
        if not atoms:
            raise ValueError(f"cell number {i} has no atoms")
        for atom in atoms:
            cells_of.setdefault(atom, []).append(i)
    columns: dict[tuple[int, ...], list[Hashable]] = {}
    for atom, where in cells_of.items():
        columns.setdefault(tuple(where), []).append(atom)
    parent = list(range(len(atoms_by_cell)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for signature in columns:
        for i in signature[1:]:
            parent[root(i)] = root(signature[0])
    cells_by_root: dict[int, list[int]] = {}
    for i in range(len(atoms_by_cell)):
        cells_by_root.setdefault(root(i), []).append(i)
    signatures_by_root: dict[int, list[tuple[int, ...]]] = {}
    for signature in sorted(columns):
        signatures_by_root.setdefault(root(signature[0]), []).append(signature)
    components = []
    for top, members in sorted(cells_by_root.items(), key=lambda item: item[1][0]):
        signatures = signatures_by_root[top]
        row_of = {cell: row for row, cell in enumerate(members)}
        rows = [row_of[cell] for signature in signatures for cell in signature]
        cols = [col for col, signature in enumerate(signatures) for _cell in signature]
        matrix = sparse.csr_array(
            (np.ones(len(rows)), (rows, cols)), shape=(len(members), len(signatures)), dtype=float
        )
        components.append(_Component(tuple(members), tuple(tuple(columns[s]) for s in signatures), matrix))
    return components


def _column_counts(component: _Component, counts: Mapping[Any, int]) -> np.ndarray:
    totals = []
    for atoms in component.columns:
        total = 0
        for atom in atoms:
            n = operator.index(counts.get(atom, 0))
            if n < 0:
                raise ValueError(f"atom {atom!r} has a negative count")
            total += n
        totals.append(total)
    return np.array(totals, dtype=float)


def _intervals(
    matrix: sparse.csr_array, members: Sequence[Published], k: int, base: int
) -> dict[str, tuple[float, float]]:
    """The attacker's linear programs over one component (see ``attacker_intervals``)."""
    targets = [row for row, p in enumerate(members) if p.state in SUPPRESSED]
    if not targets:
        return {}
    bounds = np.array([published_bounds(p, k, base) for p in members])
    lower, upper = bounds[:, 0], bounds[:, 1]
    capped, floored = np.flatnonzero(np.isfinite(upper)), np.flatnonzero(lower > 0)
    a_ub = sparse.vstack([matrix[capped], -matrix[floored]]).tocsr()
    b_ub = np.concatenate([upper[capped], -lower[floored]])
    # Every coefficient is 0 or 1, so a column is bounded above exactly when some
    # published cell with a finite upper bound holds it; no solver status to interpret.
    column_capped = np.asarray(abs(matrix[capped]).sum(axis=0)).ravel() > 0
    intervals = {}
    for row in targets:
        objective = matrix[[row]].toarray().ravel()
        low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if low.status == 4:  # presolve may answer "infeasible or unbounded"; a minimum of >= 0 is bounded
            options = {"presolve": False}
            low = linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs", options=options)
        if low.status == 2:
            raise ValueError(f"no counts fit the publications linked to {members[row].key!r}")
        if low.status != 0:
            raise DisclosureError(f"the attacker's linear program failed: {low.message}", [members[row].key])
        if not column_capped[objective > 0].all():
            intervals[members[row].key] = (_snap(low.fun), math.inf)
            continue
        high = linprog(-objective, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if high.status != 0:
            raise DisclosureError(f"the attacker's linear program failed: {high.message}", [members[row].key])
        intervals[members[row].key] = (_snap(low.fun), _snap(-high.fun))
    return intervals


def _protect_component(
    component: _Component,
    members: Sequence[CellSpec | Published],
    column_counts: np.ndarray,
    k: int,
    base: int,
    time_limit: float,
) -> list[Published]:
    """Decide the new cells of one component: primary, then the cheapest complementary cells,
    re-solved while the attacker finds a complementary cell unprotected (at most ``_MAX_ROUNDS``
    times), then everything suppressable as a last resort."""
    n = component.matrix @ column_counts
    states: list[State | None] = []  # None: a candidate for complementary suppression
    # How far each cell's sum may move from its count while the attacker's view holds
    # (new published cells are taken as exact; candidates are set by _cheapest).
    low, high = np.zeros(len(members)), np.zeros(len(members))
    consistent = True  # the counts fit every earlier publication
    for row, member in enumerate(members):
        if isinstance(member, Published):
            states.append(member.state)
            bounds = published_bounds(member, k, base)
            low[row], high[row] = bounds[0] - n[row], bounds[1] - n[row]
            consistent = consistent and _within(n[row], bounds)
        elif member.structural_zero:
            if n[row] != 0:
                raise ValueError(f"cell {member.key!r} is declared a structural zero but counts {int(n[row])}")
            states.append(State.ZERO)
        elif n[row] < k:
            states.append(State.PRIMARY)
            low[row], high[row] = -n[row], k - 1 - n[row]
        else:
            states.append(None)
    candidates = [row for row, state in enumerate(states) if state is None]
    needing = {row for row, state in enumerate(states) if state in SUPPRESSED}

    def publish(chosen: set[int]) -> list[Published]:
        published = []
        for row, member in enumerate(members):
            if isinstance(member, Published):
                published.append(member)
                continue
            state = states[row] or (State.COMPLEMENTARY if row in chosen else State.VALUE)
            value = {State.VALUE: round_to_base(int(n[row]), base), State.ZERO: 0}.get(state)
            published.append(Published(member.key, member.atoms, state, value))
        return published

    def attacked(published: list[Published]) -> list[int]:
        try:
            intervals = _intervals(component.matrix, published, k, base)
        except ValueError:  # no counts fit: late data the suppressed cells do not absorb
            return [row for row, p in enumerate(published) if p.state in SUPPRESSED]
        return [row for row, p in enumerate(published) if p.key in intervals and not _holds_k(intervals[p.key], k)]

    def moves() -> list[tuple[int, float]]:
        """The values each cell needing protection must be able to take, as moves from its
        count: "fewer than k" cells 0 and k-1, others their count (at least k) and k-1 more.
        A move of 0 is made by the counts themselves, unless late data moved them out of an
        earlier publication."""
        wanted = []
        for row in sorted(needing):
            anchor = 0.0 if states[row] is State.PRIMARY else max(float(n[row]), k)
            wanted += [(row, anchor - n[row]), (row, anchor + k - 1 - n[row])]
        return [(row, move) for row, move in wanted if move != 0 or not consistent]

    if not needing:
        return publish(set())
    for _round in range(_MAX_ROUNDS):
        chosen = _cheapest(component.matrix, column_counts, n, low, high, moves(), candidates, k, time_limit)
        if chosen is None:
            break
        published = publish(chosen)
        left = attacked(published)
        if not left:
            return published
        if needing.issuperset(left):
            break  # the solver's pattern and the attacker disagree: numerical trouble
        needing.update(left)
    published = publish(set(candidates))
    left = attacked(published)
    if left:
        keys = [members[row].key for row in left]
        raise DisclosureError(f"no suppression pattern protects {keys}", keys)
    return published


def _cheapest(
    matrix: sparse.csr_array,
    column_counts: np.ndarray,
    n: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    moves: Sequence[tuple[int, float]],
    candidates: Sequence[int],
    k: int,
    time_limit: float,
) -> set[int] | None:
    """The cheapest candidate cells to suppress, or ``None`` if no pattern is found in time.

    The model (Fischetti and Salazar-González 2001, at atom level): a binary z_c per
    candidate (1: suppressed), cost the cell's count. A pattern protects when each required
    move of a cell's sum (``moves``: cell, amount) can be made by deviations d >= -n of the
    atoms while every other cell's sum moves within [low, high] (0 for a cell published in
    this release: taken as exact, which rounding only makes safer; what an earlier
    publication or a suppressed cell's label allows), and a candidate moves only if
    suppressed, then by at least k - n_c and at most a big M. Rather than one copy of d
    per move in one large mixed-integer program, each move is a linear program that cuts
    the master problem over z (Benders feasibility cuts): solve the master, find the moves
    its pattern cannot make, add a cut for each, repeat; the first pattern that makes
    every move is the cheapest.
    """
    if not moves:
        return set()
    if not candidates:
        return None
    deadline = time.monotonic() + time_limit
    big_m = float(column_counts.sum()) + k  # far more than a move needs (k-1 up, or everything down)
    mover = _Mover(matrix, column_counts, low, high, np.asarray(candidates), n[candidates] - k, big_m)
    costs = n[candidates]
    chosen = np.zeros(len(candidates))
    cuts: list[np.ndarray] = []
    tried: set[bytes] = set()
    made: dict[tuple[int, float], list[np.ndarray]] = {move: [] for move in moves}  # patterns that make it
    while True:
        fresh = []
        for move in moves:
            # Suppressing more cells only frees the atoms: a pattern that made a move still does.
            if any((chosen >= pattern).all() for pattern in made[move]):
                continue
            if (cut := mover.cut(chosen, *move)) is None:
                made[move].append(chosen)
            else:
                fresh.append(cut)
        if not fresh:
            return {candidates[int(j)] for j in np.flatnonzero(chosen)}
        tried.add(chosen.tobytes())
        cuts += fresh
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        result = milp(
            costs,
            integrality=np.ones(len(candidates)),
            bounds=Bounds(0, 1),
            constraints=LinearConstraint(np.array(cuts), 1, math.inf),
            # HiGHS 1.12 may print a stray "transformNewIntegerFeasibleSolution" line to
            # stdout here, whatever the options (ERGO-Code/HiGHS#2783): noise, not an error.
            options={"time_limit": remaining, "disp": False},
        )
        if result.x is None:
            return None
        chosen = np.round(result.x)
        if chosen.tobytes() in tried:
            return None  # a cut that does not cut: numerical trouble


class _Mover:
    """The linear program of one move for a given pattern, and the cut it yields.

    Phase one: minimise the total violation s of the move's constraints, with d >= -n free
    above. A positive minimum means the pattern cannot make the move, and the dual solution
    (y <= 0 per row, rho per atom bound) bounds the violation below for every pattern, by
    weak duality: y . b(z) - rho . n <= 0 must hold for a pattern that can make the move.
    Only the candidates' rows depend on z (bounds (k - n_c) z_c and M z_c), so this reads
    sum_c w_c z_c >= beta with w >= 0; for binary z each w_c can be clipped to beta.
    """

    def __init__(
        self,
        matrix: sparse.csr_array,
        column_counts: np.ndarray,
        low: np.ndarray,
        high: np.ndarray,
        candidates: np.ndarray,
        floors: np.ndarray,
        big_m: float,
    ) -> None:
        self.matrix, self.candidates = matrix, candidates
        # One row per finite bound of a cell, then the move's row (both bounds): a candidate's
        # bounds are finite whatever z is, so the rows stay the same and only b(z) changes.
        rows = len(low)
        low, high = low.copy(), high.copy()
        low[candidates], high[candidates] = 0, 0
        self.floored, self.capped = np.flatnonzero(np.isfinite(low)), np.flatnonzero(np.isfinite(high))
        self.low, self.high = low, high
        self.count = len(self.floored) + len(self.capped) + 2
        self.stack = sparse.vstack([-matrix[self.floored], matrix[self.capped]])
        self.bounds = np.column_stack(
            [np.concatenate([-column_counts, np.zeros(self.count)]), np.full(len(column_counts) + self.count, np.inf)]
        )
        self.objective = np.concatenate([np.zeros(len(column_counts)), np.ones(self.count)])
        # b(z) = beta + gamma * z_c on the rows of candidate c
        position = np.full(rows, -1)
        position[candidates] = np.arange(len(candidates))
        gamma = np.zeros(rows)
        gamma[candidates] = floors  # -(k - n_c), n_c - k
        self.gamma = np.concatenate([gamma[self.floored], np.where(position[self.capped] >= 0, big_m, 0.0), [0, 0]])
        self.position = np.concatenate([position[self.floored], position[self.capped], [-1, -1]])
        self.beta = np.concatenate([-low[self.floored], high[self.capped]])
        self.cached: dict[int, sparse.csr_array] = {}

    def cut(self, chosen: np.ndarray, target: int, move: float) -> np.ndarray | None:
        if target not in self.cached:
            row = self.matrix[[target]]
            self.cached[target] = sparse.hstack(
                [sparse.vstack([self.stack, -row, row]), -sparse.identity(self.count)]
            ).tocsr()
        on = self.position >= 0
        b = np.concatenate([self.beta, [-move, move]])
        b[on] += self.gamma[on] * chosen[self.position[on]]
        result = linprog(self.objective, A_ub=self.cached[target], b_ub=b, bounds=self.bounds, method="highs")
        if result.status != 0:
            raise DisclosureError(f"a linear program of the suppression model failed: {result.message}")
        if result.fun <= _TOLERANCE:
            return None
        weights = np.zeros(len(self.candidates))
        np.add.at(weights, self.position[on], -(result.ineqlin.marginals * self.gamma)[on])
        # result.fun = beta' - w . z at the pattern tried, so beta' = result.fun + w . z
        bound = result.fun + float(weights @ chosen)
        return np.minimum(weights, bound) / bound


def _unique(published: Sequence[Published]) -> list[Published]:
    by_key: dict[str, Published] = {}
    for p in published:
        if by_key.setdefault(p.key, p) != p:
            raise ValueError(f"cell {p.key!r} is published twice, differently")
        if not p.atoms:
            raise ValueError(f"cell {p.key!r} has no atoms")
    return sorted(by_key.values(), key=lambda p: p.key)


def _check_parameters(k: int, base: int) -> None:
    if k < K_MIN:
        raise ValueError(f"the threshold k must be at least {K_MIN}, not {k}")
    if base < 1:
        raise ValueError(f"the rounding base must be at least 1, not {base}")


def _holds_k(bounds: tuple[float, float], k: int) -> bool:
    low, high = bounds
    return math.isinf(high) or math.floor(high + _TOLERANCE) - math.ceil(low - _TOLERANCE) + 1 >= k


def _within(n: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= n <= bounds[1]


def _snap(x: float) -> float:
    nearest = round(x)
    return float(nearest) if abs(x - nearest) < _TOLERANCE else float(x)
