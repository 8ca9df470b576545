"""Privacy of analytics: no released cell is about fewer than k people, and no suppressed cell can be recomputed
from what is released (every assignment of the hidden cells that agrees with the released cells and totals is
enumerated), on random tables and on the hand-made data set; the differentially private counts are noisy."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.services.analytics.engine import Cell, Query, Table
from cairn.services.analytics.indicators import DIMENSIONS, INDICATORS
from cairn.services.analytics.privacy import noisy_counts, suppress
from cairn.services.analytics.release import FORMAT, RELEASE_TABLES, combine
from cairn.services.analytics.service import AnalyticsService
from cairn.store.database import Database
from tests.analytics_parts import build_dataset
from tests.factories import FixedClock


def _table(grid: dict[tuple[str, ...], int], width: int) -> Table:
    """A count table (value = n: one person a unit) with its margins, from its inner cells."""
    cells = [Cell(keys, float(v), v) for keys, v in sorted(grid.items()) if v > 0]
    margins: dict[tuple[int, str], Cell] = {}
    if width == 2:
        for axis in (0, 1):
            sums: dict[str, int] = {}
            for keys, v in grid.items():
                sums[keys[axis]] = sums.get(keys[axis], 0) + v
            margins.update({(axis, key): Cell((key,), float(s), s) for key, s in sums.items() if s > 0})
    total = sum(grid.values())
    return Table(INDICATORS["awards"], ("a", "b")[:width], cells, margins, Cell((), float(total), total))


def _feasible(table: Table, cap: int) -> dict[tuple[str, ...], set[int]]:
    """For each suppressed inner cell, every value it can take in an assignment of all suppressed inner cells
    (each 1..cap) under which every released margin and the total come out as released."""
    hidden = [c for c in table.cells if c.suppressed]
    shown = [c for c in table.cells if not c.suppressed]
    seen: dict[tuple[str, ...], set[int]] = {c.keys: set() for c in hidden}
    checks = [(m, axis, key) for (axis, key), m in table.margins.items() if not m.suppressed]
    for values in itertools.product(range(1, cap + 1), repeat=len(hidden)):
        cells = [(c.keys, c.value or 0) for c in shown] + [(c.keys, v) for c, v in zip(hidden, values, strict=True)]
        if not table.total.suppressed and abs(sum(v for _, v in cells) - (table.total.value or 0)) > 1e-9:
            continue
        if any(
            abs(sum(v for keys, v in cells if keys[axis] == key) - (m.value or 0)) > 1e-9 for m, axis, key in checks
        ):
            continue
        for cell, value in zip(hidden, values, strict=True):
            seen[cell.keys].add(value)
    return seen


def _random_tables(seed: int, count: int) -> Iterator[tuple[Table, dict[tuple[str, ...], int], int]]:
    rng = random.Random(seed)
    for _ in range(count):
        width = rng.choice((1, 2))
        grid: dict[tuple[str, ...], int]
        if width == 1:
            grid = {(f"r{i}",): rng.choice((0, 1, 2, 3, 4, 6, 9, 12, 15)) for i in range(rng.randint(2, 6))}
        else:
            grid = {(f"r{i}", f"c{j}"): rng.choice((0, 1, 2, 4, 7, 11, 14)) for i in range(3) for j in range(3)}
        yield _table(grid, width), grid, width


@pytest.mark.parametrize("seed", range(6))
def test_suppressed_cells_cannot_be_recomputed(seed: int) -> None:
    k = 5
    checked = 0
    for table, grid, _ in _random_tables(seed, 12):
        suppress(table, k)
        for cell in table.all_cells():
            assert cell.suppressed or not (0 < cell.n < k), f"{cell.keys} released with n={cell.n}"
        hidden = [c for c in table.cells if c.suppressed]
        cap = max(grid.values())
        if not hidden or cap ** len(hidden) > 20_000:  # enumerating more takes too long for a test
            continue
        feasible = _feasible(table, cap)
        for cell in hidden:
            assert grid[cell.keys] in feasible[cell.keys], "the true value must be feasible (the audit is sound)"
            assert len(feasible[cell.keys]) >= 2, f"{cell.keys} can be recomputed: {feasible[cell.keys]}"
            checked += 1
    assert checked > 0


def test_a_single_small_cell_takes_a_complement() -> None:
    table = suppress(_table({("a",): 3, ("b",): 40, ("c",): 25}, 1), 10)
    assert [(c.keys, c.suppressed, c.reason) for c in table.cells] == [
        (("a",), True, "small"), (("b",), False, None), (("c",), True, "complementary"),
    ]  # fmt: skip
    assert table.total.value == 68
    assert not table.total.suppressed


def test_two_small_cells_adding_up_below_k_take_a_third() -> None:
    table = suppress(_table({("a",): 2, ("b",): 3, ("c",): 40, ("d",): 50}, 1), 10)
    assert [c.keys for c in table.cells if c.suppressed] == [("a",), ("b",), ("c",)]


def test_ratios_that_tell_a_small_group_are_suppressed() -> None:
    indicator = INDICATORS["claim_rate"]
    cells = [Cell(("a",), 0.1, 40, 4, 40), Cell(("b",), 0.5, 40, 20, 40), Cell(("c",), 0.5, 6, 3, 6),
             Cell(("d",), 0.975, 40, 39, 40)]  # fmt: skip
    table = suppress(Table(indicator, ("a",), cells, {}, Cell((), 66 / 126, 126, 66, 126)), 10)
    assert [(c.keys, c.reason) for c in table.cells] == [
        (("a",), "ratio"), (("b",), None), (("c",), "small"), (("d",), "ratio"),
    ]  # fmt: skip
    assert [c.value for c in table.cells] == [None, 0.5, None, None]  # b's 20 cannot tell a, c or d apart
    assert table.total.value == pytest.approx(66 / 126)


def test_medians_of_few_people_are_withheld() -> None:
    indicator = INDICATORS["days_to_claim"]
    table = suppress(Table(indicator, ("a",), [Cell(("a",), 4.0, 3), Cell(("b",), 2.0, 12)], {}, Cell((), 3.0, 15)), 10)
    assert [c.value for c in table.cells] == [None, 2.0]


@pytest.fixture
def service(database: Database, tmp_path: Path) -> AnalyticsService:
    build_dataset(database)
    service = AnalyticsService(database, tmp_path / "cache", clock=FixedClock(), k=3)
    service.refresh()
    return service


def test_released_tables_of_the_data_set(service: AnalyticsService) -> None:
    for indicator in INDICATORS.values():
        for by in (("issuer",), ("month",), ("issuer", "month")):
            if not all(indicator.view in DIMENSIONS[name].views for name in by):
                continue
            table = service.table(Query(indicator.id, by))
            assert table is not None
            for cell in table.all_cells():
                if not cell.suppressed:
                    assert not 0 < cell.n < 3, (indicator.id, by, cell)
    awards = service.table(Query("awards", ("issuer", "month")))
    assert awards is not None
    released = {c.keys: c.value for c in awards.cells}
    # train-b's 2 awards are 2 learners (< 3): hidden, and so is uni-a's February (else 6 - 4 = 2 tells it)
    assert released == {("train-b", "2026-02"): None, ("uni-a", "2026-01"): 13, ("uni-a", "2026-02"): None}
    assert {key: c.value for key, c in awards.margins.items()} == {
        (0, "train-b"): None, (0, "uni-a"): None, (1, "2026-01"): 13, (1, "2026-02"): 6,
    }  # fmt: skip


def test_noisy_counts_are_noisy_and_withhold_small_ones() -> None:
    counts = [1000, 500, 2, 0]
    # The noise cannot be seeded (OpenDP draws it), so each check is set where its chance of failing is nil: at
    # scale 0.2 a count of 2 reaches k=10 with probability e^-40 / 2; at scale 4 twenty draws all rounding to the
    # same value has probability below 0.12^19, and a draw 200 away e^-50.
    sharp = noisy_counts(counts, epsilon=5, bound=1, k=10)
    assert sharp[2] is None
    assert sharp[3] is None
    assert sharp[0] is not None
    runs = [noisy_counts(counts, epsilon=0.5, bound=2, k=10) for _ in range(20)]
    assert len({r[0] for r in runs}) > 1, "no noise was added"
    assert all(r[0] is not None and abs(r[0] - 1000) < 200 for r in runs)  # scale 4: 200 is 50 scales away
    with pytest.raises(ValueError, match="epsilon must be positive"):
        noisy_counts(counts, epsilon=0, bound=2)


def test_open_release_is_noisy_bounded_and_made_once(database: Database, tmp_path: Path) -> None:
    build_dataset(database)
    clock = FixedClock()
    service = AnalyticsService(database, tmp_path / "cache", clock=clock, epsilon=2.0, bound=1)
    assert service.release() is None
    service.refresh()
    release = service.release()
    assert release is not None
    assert (release["epsilon"], release["contribution_bound"]) == (2.0, 1)
    assert release["epsilon_per_table"] == pytest.approx(2.0 / len(RELEASE_TABLES))
    tables = {(t["indicator"], tuple(t["by"])): t for t in release["tables"]}
    assert set(tables) == set(RELEASE_TABLES)
    by_month = {tuple(c["keys"]): c["value"] for c in tables[("awards", ("month",))]["cells"]}
    assert set(by_month) == {("2026-01",), ("2026-02",)}  # one award a learner: 8 and 6 before noise
    assert all(isinstance(v, int) and v >= 0 for v in by_month.values())
    # another process reads the same numbers: the noise is drawn once, at refresh
    other = AnalyticsService(database, tmp_path / "other", clock=clock)
    assert other.release() == release
    engine = service.engine()
    assert engine is not None
    bounded = engine.table(Query("awards", ("month",), bound=1))
    # 19 awards, one a learner: January's 13 less d2's 5 (L1..L5 counted once, for d1), February's 6
    assert {c.keys: c.value for c in bounded.cells} == {("2026-01",): 8, ("2026-02",): 6}
    with pytest.raises(InputError):
        engine.table(Query("shares", bound=1))


def test_releases_of_several_instances_add_up() -> None:
    one = {"format": FORMAT, "epsilon": 1.0, "tables": [
        {"indicator": "awards", "by": ["field"], "cells": [
            {"keys": ["06"], "value": 40}, {"keys": ["04"], "value": 3}]},
        {"indicator": "learners", "by": [], "cells": [{"keys": [], "value": 30}]},
    ]}  # fmt: skip
    two = {"format": FORMAT, "epsilon": 0.5, "tables": [
        {"indicator": "awards", "by": ["field"], "cells": [{"keys": ["06"], "value": 7}, {"keys": ["10"], "value": 9}]},
    ]}  # fmt: skip
    combined = combine([one, two])
    assert combined["combined_from"] == 2
    assert combined["epsilon_per_instance"] == [1.0, 0.5]
    assert combined["tables"] == [
        {"indicator": "awards", "by": ["field"], "cells": [
            {"keys": ["04"], "value": 3}, {"keys": ["06"], "value": 47}, {"keys": ["10"], "value": 9}]},
    ]  # fmt: skip
    hostile: object
    for hostile in ({"format": "other"}, {"format": FORMAT, "tables": [{"cells": [{"keys": [], "value": -1}]}]},
                    {"format": FORMAT, "tables": [{"cells": [{"keys": ["x" * 500], "value": 1}]}]}, []):  # fmt: skip
        with pytest.raises(InputError):
            combine([hostile])
