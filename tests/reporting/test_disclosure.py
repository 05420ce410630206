"""Disclosure control on small tables: rounding, primary and complementary suppression, linked
tables, releases over time, and the linear-programming attacker (reporting/disclosure.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import pytest

from reporting.disclosure import (
    CellSpec,
    DisclosureError,
    Published,
    State,
    attacker_intervals,
    protect,
    published_bounds,
    round_to_base,
    unprotected,
)

BRANCHES = ("army", "navy", "police")
RANKS = ("enlisted", "nco", "officer")


def grid(values: Sequence[Sequence[int]], name: str = "t") -> tuple[list[CellSpec], dict[Hashable, int]]:
    """A two-way table over one atom per inner cell, with row, column and grand totals."""
    counts: dict[Hashable, int] = {(name, i, j): n for i, row in enumerate(values) for j, n in enumerate(row)}
    rows, columns = range(len(values)), range(len(values[0]))
    cells = [CellSpec(f"{name}/{i}/{j}", frozenset({(name, i, j)})) for i in rows for j in columns]
    cells += [CellSpec(f"{name}/{i}/total", frozenset((name, i, j) for j in columns)) for i in rows]
    cells += [CellSpec(f"{name}/total/{j}", frozenset((name, i, j) for i in rows)) for j in columns]
    cells.append(CellSpec(f"{name}/total", frozenset(counts)))
    return cells, counts


def primary_only(cells: Sequence[CellSpec], counts: Mapping[Hashable, int], k: int, base: int) -> list[Published]:
    """What publishing with primary suppression alone would show."""
    published = []
    for cell in cells:
        n = sum(counts.get(atom, 0) for atom in cell.atoms)
        if cell.structural_zero:
            published.append(Published(cell.key, cell.atoms, State.ZERO, 0))
        elif n < k:
            published.append(Published(cell.key, cell.atoms, State.PRIMARY, None))
        else:
            published.append(Published(cell.key, cell.atoms, State.VALUE, round_to_base(n, base)))
    return published


def states(published: Sequence[Published]) -> dict[str, State]:
    return {p.key: p.state for p in published if p.state is not State.VALUE}


def test_rounding_is_to_the_nearest_multiple_halves_up() -> None:
    assert [round_to_base(n, 5) for n in (0, 2, 3, 7, 8, 12, 13)] == [0, 0, 5, 5, 10, 10, 15]
    assert [round_to_base(n, 10) for n in (4, 5, 14, 15, 25)] == [0, 10, 10, 20, 30]
    assert round_to_base(7, 1) == 7
    with pytest.raises(ValueError, match="base"):
        round_to_base(7, 0)


@pytest.mark.parametrize("base", [5, 10])
def test_published_bounds_are_exactly_the_counts_that_publish_that_way(base: int) -> None:
    k = 10
    for n in range(k, 80):
        p = Published("c", frozenset({"a"}), State.VALUE, round_to_base(n, base))
        low, high = published_bounds(p, k, base)
        same = [m for m in range(k, 100) if round_to_base(m, base) == p.value]
        assert (low, high) == (min(same), max(same))
    assert published_bounds(Published("c", frozenset({"a"}), State.VALUE, 20), 10, 5) == (18, 22)
    assert published_bounds(Published("c", frozenset({"a"}), State.VALUE, 20), 10, 10) == (15, 24)
    assert published_bounds(Published("c", frozenset({"a"}), State.VALUE, 10), 10, 10) == (10, 14)
    assert published_bounds(Published("c", frozenset({"a"}), State.ZERO, 0), 10, base) == (0, 0)
    assert published_bounds(Published("c", frozenset({"a"}), State.PRIMARY, None), 10, base) == (0, 9)
    assert published_bounds(Published("c", frozenset({"a"}), State.COMPLEMENTARY, None), 10, base) == (10, float("inf"))


def test_a_threshold_below_five_is_refused() -> None:
    cells, counts = grid([[2, 40], [30, 50]])
    with pytest.raises(ValueError, match="at least 5"):
        protect(cells, counts, k=4)
    with pytest.raises(ValueError, match="at least 5"):
        unprotected(primary_only(cells, counts, 10, 5), k=4, base=5)
    with pytest.raises(ValueError, match="at least 5"):
        published_bounds(Published("c", frozenset({"a"}), State.PRIMARY, None), 4, 5)
    with pytest.raises(ValueError, match="base"):
        protect(cells, counts, base=0)
    assert protect(cells, counts, k=5)  # five is allowed


def test_bad_declarations_are_refused() -> None:
    cells, counts = grid([[2, 40], [30, 50]])
    with pytest.raises(ValueError, match="duplicate"):
        protect([*cells, cells[0]], counts)
    with pytest.raises(ValueError, match="no atoms"):
        protect([*cells, CellSpec("empty", frozenset())], counts)
    with pytest.raises(ValueError, match="negative"):
        protect(cells, {**counts, ("t", 0, 0): -1})
    earlier = Published("t/0/0", frozenset({"elsewhere"}), State.PRIMARY, None)
    with pytest.raises(ValueError, match="other atoms"):
        protect(cells, counts, fixed=[earlier])


def test_the_attacker_refuses_publications_that_contradict_each_other() -> None:
    parts = [Published(key, frozenset({key}), State.PRIMARY, None) for key in ("a", "b")]
    with pytest.raises(ValueError, match="no counts fit"):
        attacker_intervals([*parts, Published("total", frozenset({"a", "b"}), State.VALUE, 50)], k=10, base=5)
    with pytest.raises(ValueError, match="published twice, differently"):
        attacker_intervals([*parts, Published("a", frozenset({"a"}), State.VALUE, 10)], k=10, base=5)
    assert attacker_intervals([*parts, *parts], k=10, base=5) == {"a": (0, 9), "b": (0, 9)}  # the same twice is fine


def test_a_small_cell_is_recovered_by_subtraction_under_primary_suppression_alone() -> None:
    cells, counts = grid([[2, 40, 20, 45], [30, 50, 60, 55], [18, 70, 15, 65]])
    # Exact counts: the row total minus the rest of the row gives the 2 back.
    assert unprotected(primary_only(cells, counts, 10, 1), k=10, base=1) == {"t/0/0": (2, 2)}
    # Rounding to 5 blurs it, but not to ten possible values.
    assert list(unprotected(primary_only(cells, counts, 10, 5), k=10, base=5)) == ["t/0/0"]
    for base in (1, 5):
        published = protect(cells, counts, base=base)
        assert unprotected(published, k=10, base=base) == {}


@pytest.mark.parametrize("base", [1, 5])
def test_the_complementary_cells_are_the_cheapest_rectangle(base: int) -> None:
    """Any pattern needs another cell in row 0 (cheapest usable: 20), another in column 0
    (18) and one where they cross or further (15 is the smallest left): 53 is a lower bound
    and the rectangle through those three cells reaches it."""
    cells, counts = grid([[2, 40, 20, 45], [30, 50, 60, 55], [18, 70, 15, 65]])
    published = protect(cells, counts, base=base)
    assert states(published) == {
        "t/0/0": State.PRIMARY,
        "t/0/2": State.COMPLEMENTARY,
        "t/2/0": State.COMPLEMENTARY,
        "t/2/2": State.COMPLEMENTARY,
    }
    by_key = {p.key: p for p in published}
    assert by_key["t/0/1"].value == 40
    assert by_key["t/0/total"].value == round_to_base(107, base)  # rounded on its own, not summed
    if base == 1:
        # Each cell of the rectangle can move by 7 one way and 2 the other, as the 2 can.
        assert attacker_intervals(published, k=10, base=1) == {
            "t/0/0": (0, 9),
            "t/0/2": (13, 22),
            "t/2/0": (11, 20),
            "t/2/2": (13, 22),
        }


def test_a_series_with_a_total_hides_a_partner_that_can_give_way() -> None:
    """The 3 must be able to reach 9: the partner gives up 6 and stays at least 10 (the
    attacker knows a cell not marked "fewer than 10" is at least 10), so 12 and 15 cannot
    partner it and 20 does, cheaper than the total (50) or 12 and 15 together (27)."""
    counts = {"jan": 12, "feb": 3, "mar": 15, "apr": 20}
    cells = [CellSpec(f"intakes/{month}", frozenset({month})) for month in counts]
    cells.append(CellSpec("intakes/total", frozenset(counts)))
    published = protect(cells, counts)
    assert states(published) == {"intakes/feb": State.PRIMARY, "intakes/apr": State.COMPLEMENTARY}
    assert [p.value for p in published] == [10, None, 15, None, 50]
    assert unprotected(published, k=10, base=5) == {}


def test_a_total_below_k_is_suppressed_like_any_cell() -> None:
    counts = {"jan": 2, "feb": 3, "mar": 1}
    cells = [CellSpec(f"intakes/{month}", frozenset({month})) for month in counts]
    cells.append(CellSpec("intakes/total", frozenset(counts)))
    published = protect(cells, counts)
    assert all(p.state is State.PRIMARY and p.value is None for p in published)
    assert attacker_intervals(published, k=10, base=5) == {p.key: (0, 9) for p in published}


def test_a_structural_zero_is_published_as_zero_and_a_true_zero_is_not() -> None:
    cells, counts = grid([[25, 0, 3], [30, 40, 0], [35, 45, 50]])
    cells = [CellSpec(c.key, c.atoms, structural_zero=True) if c.key == "t/0/1" else c for c in cells]
    published = {p.key: p for p in protect(cells, counts)}
    assert published["t/0/1"].state is State.ZERO and published["t/0/1"].value == 0
    assert published["t/1/2"].state is State.PRIMARY  # a 0 nobody declared impossible
    assert published["t/0/2"].state is State.PRIMARY
    assert unprotected(list(published.values()), k=10, base=5) == {}
    wrong = [CellSpec(c.key, c.atoms, structural_zero=True) if c.key == "t/0/0" else c for c in cells]
    with pytest.raises(ValueError, match="structural zero but counts 25"):
        protect(wrong, counts)


def test_a_table_of_small_cells_is_protected() -> None:
    cells, counts = grid([[1, 2, 3], [4, 0, 2], [3, 3, 1]])
    published = protect(cells, counts)
    assert all(published[i].state is State.PRIMARY for i in range(9))
    assert unprotected(published, k=10, base=5) == {}


# Intakes per quarter, branch and rank band: the atoms two linked tables share.
LINKED = {
    "Q1": {"army": (2, 3, 0), "navy": (8, 1, 0), "police": (1, 0, 3)},
    "Q2": {"army": (8, 1, 5), "navy": (0, 1, 0), "police": (1, 5, 2)},
    "Q3": {"army": (1, 5, 1), "navy": (0, 1, 8), "police": (1, 1, 0)},
    "Q4": {"army": (0, 1, 1), "navy": (1, 1, 2), "police": (3, 1, 1)},
}


def atoms_of(data: Mapping[str, Mapping[str, Sequence[int]]]) -> dict[Hashable, int]:
    return {
        (quarter, branch, rank): n
        for quarter, branches in data.items()
        for branch, ns in branches.items()
        for rank, n in zip(RANKS, ns, strict=True)
    }


def cell(key: str, counts: Mapping[Hashable, int], **where: str) -> CellSpec:
    """The cell summing every atom (quarter, branch, rank) that matches ``where``."""
    names = ("quarter", "branch", "rank")
    return CellSpec(
        key,
        frozenset(a for a in counts if all(a[names.index(d)] == v for d, v in where.items())),  # type: ignore[index]
    )


def linked_tables(counts: Mapping[Hashable, int]) -> tuple[list[CellSpec], list[CellSpec]]:
    quarters = sorted({a[0] for a in counts})  # type: ignore[index]
    by_quarter = [cell(f"intakes/{q}/{b}", counts, quarter=q, branch=b) for q in quarters for b in BRANCHES]
    by_quarter += [cell(f"intakes/{q}/total", counts, quarter=q) for q in quarters]
    by_quarter += [cell(f"intakes/year/{b}", counts, branch=b) for b in BRANCHES]
    by_quarter.append(cell("intakes/year/total", counts))
    by_rank = [cell(f"ranks/{r}/{b}", counts, rank=r, branch=b) for r in RANKS for b in BRANCHES]
    by_rank += [cell(f"ranks/{r}/total", counts, rank=r) for r in RANKS]
    by_rank += [cell(f"ranks/total/{b}", counts, branch=b) for b in BRANCHES]
    by_rank.append(cell("ranks/total", counts))
    return by_quarter, by_rank


def test_linked_tables_are_protected_together() -> None:
    counts = atoms_of(LINKED)
    by_quarter, by_rank = linked_tables(counts)
    # Each table protected on its own: the attacker reads one table's hidden totals in the other.
    alone = protect(by_quarter, counts) + protect(by_rank, counts)
    assert unprotected(alone, k=10, base=5)
    together = protect(by_quarter + by_rank, counts)
    assert unprotected(together, k=10, base=5) == {}
    by_key = {p.key: p for p in together}
    for branch in BRANCHES:  # the same atoms, so published the same way in both tables
        quarterly, yearly = by_key[f"intakes/year/{branch}"], by_key[f"ranks/total/{branch}"]
        assert (quarterly.state, quarterly.value) == (yearly.state, yearly.value)


def two_releases(
    first: Mapping[Hashable, int], late: tuple[str, str, str]
) -> tuple[list[Published], list[Published], list[Published], dict[Hashable, int]]:
    """Release 1 after Q1 (Q1 by branch, ranks to date); one more Q1 intake arrives; release 2
    after Q2 (both quarters by branch, half-year totals, ranks to date), protected with and
    without release 1 as fixed."""
    q1 = {atom: n for atom, n in first.items() if atom[0] == "Q1"}  # type: ignore[index]
    release1_cells = [cell(f"intakes/Q1/{b}", q1, quarter="Q1", branch=b) for b in BRANCHES]
    release1_cells.append(cell("intakes/Q1/total", q1, quarter="Q1"))
    release1_cells += [cell(f"ranks/to-Q1/{r}/{b}", q1, rank=r, branch=b) for r in RANKS for b in BRANCHES]
    release1_cells += [cell(f"ranks/to-Q1/{r}/total", q1, rank=r) for r in RANKS]
    release1 = protect(release1_cells, q1)

    second = {**first, late: first[late] + 1}
    release2_cells = [cell(f"intakes/{q}/{b}", second, quarter=q, branch=b) for q in ("Q1", "Q2") for b in BRANCHES]
    release2_cells += [cell(f"intakes/{q}/total", second, quarter=q) for q in ("Q1", "Q2")]
    release2_cells += [cell(f"intakes/H1/{b}", second, branch=b) for b in BRANCHES]
    release2_cells.append(cell("intakes/H1/total", second))
    release2_cells += [cell(f"ranks/to-Q2/{r}/{b}", second, rank=r, branch=b) for r in RANKS for b in BRANCHES]
    release2_cells += [cell(f"ranks/to-Q2/{r}/total", second, rank=r) for r in RANKS]
    release2 = protect(release2_cells, second, fixed=release1)
    earlier = {p.key for p in release1}
    careless = [p for p in protect(release2_cells, second) if p.key not in earlier]
    return release1, release2, careless, second


def test_a_second_release_after_late_data_keeps_the_first_and_survives_differencing() -> None:
    first = atoms_of(
        {
            "Q1": {"army": (1, 2, 3), "navy": (1, 1, 6), "police": (0, 0, 1)},
            "Q2": {"army": (1, 9, 4), "navy": (1, 3, 6), "police": (0, 3, 3)},
        }
    )
    release1, release2, careless, _counts = two_releases(first, late=("Q1", "navy", "nco"))
    assert [p for p in release2 if p.key.startswith("intakes/Q1/")] == release1[:4]
    assert unprotected(release1 + release2, k=10, base=5) == {}
    # Protected without the first release, the second gives a first-release cell away.
    assert unprotected(release1 + careless, k=10, base=5) == {"intakes/Q1/total": (11, 19)}


def test_late_data_that_no_longer_fits_the_first_release_is_still_protected() -> None:
    first = atoms_of(
        {
            "Q1": {"army": (4, 1, 6), "navy": (1, 9, 9), "police": (2, 3, 6)},
            "Q2": {"army": (4, 4, 1), "navy": (6, 4, 4), "police": (2, 6, 4)},
        }
    )
    release1, release2, careless, counts = two_releases(first, late=("Q1", "navy", "nco"))
    earlier = {p.key: p for p in release1}
    # Nine navy NCOs were "fewer than 10" in the first release; they are ten now, and stay as published.
    assert earlier["ranks/to-Q1/nco/navy"].state is State.PRIMARY
    assert sum(counts[a] for a in earlier["ranks/to-Q1/nco/navy"].atoms) == 10
    assert all(p == earlier[p.key] for p in release2 if p.key in earlier)
    assert unprotected(release1 + release2, k=10, base=5) == {}
    assert unprotected(release1 + careless, k=10, base=5)


def test_a_cell_that_earlier_releases_give_away_cannot_be_protected() -> None:
    earlier = [
        Published("total", frozenset({"a", "b"}), State.VALUE, 20),
        Published("b", frozenset({"b"}), State.VALUE, 15),
    ]
    with pytest.raises(DisclosureError) as error:
        protect([CellSpec("a", frozenset({"a"}))], {"a": 5, "b": 15}, base=1, fixed=earlier)
    assert error.value.keys == ("a",)


def test_two_small_parts_of_a_total_of_at_least_k_cannot_be_protected() -> None:
    """ "Fewer than 10" plus "fewer than 10" is at least 10 tells each part is at least 1 (and
    the total at most 18), whatever is suppressed: tables must not have two-part totals."""
    counts = {"q1": 4, "q2": 7}
    cells = [CellSpec("q1", frozenset({"q1"})), CellSpec("q2", frozenset({"q2"})), CellSpec("h1", frozenset(counts))]
    with pytest.raises(DisclosureError) as error:
        protect(cells, counts)
    assert error.value.keys == ("h1", "q1", "q2")


def test_the_same_inputs_give_the_same_publication() -> None:
    counts = atoms_of(LINKED)
    cells = [c for table in linked_tables(counts) for c in table]
    published = protect(cells, counts)
    assert protect(cells, counts) == published
    shuffled = cells[:]
    random.Random(3).shuffle(shuffled)
    assert sorted(protect(shuffled, dict(reversed(counts.items()))), key=lambda p: p.key) == sorted(
        published, key=lambda p: p.key
    )


def test_the_publication_does_not_depend_on_how_atoms_hash() -> None:
    script = (
        "from reporting.disclosure import protect\n"
        "from tests.reporting.test_disclosure import LINKED, atoms_of, linked_tables\n"
        "counts = atoms_of(LINKED)\n"
        "cells = [c for table in linked_tables(counts) for c in table]\n"
        "print([(p.key, p.state.value, p.value) for p in protect(cells, counts)])\n"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and "complementary" in outputs.pop()


@pytest.mark.parametrize("seed", range(20))
def test_every_publication_of_a_random_table_is_protected(seed: int) -> None:
    rng = random.Random(seed)
    k, base = rng.choice([5, 10]), rng.choice([1, 3, 5, 10])
    rows, columns = rng.randint(3, 4), rng.randint(3, 4)
    values = [
        [rng.randint(0, k - 1) if rng.random() < 0.35 else rng.randint(k, 6 * k) for _ in range(columns)]
        for _ in range(rows)
    ]
    cells, counts = grid(values)
    published = protect(cells, counts, k=k, base=base)
    assert unprotected(published, k=k, base=base) == {}
    for p, expected in zip(published, primary_only(cells, counts, k, base), strict=True):
        assert p.state is expected.state or (p.state is State.COMPLEMENTARY and expected.state is State.VALUE)
        assert p.value == (expected.value if p.state is State.VALUE else None)
