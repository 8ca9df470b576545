"""Privacy by construction: small cells suppressed, their complements too, and a differentially private release.

**Suppression** (:func:`suppress`), applied to every table before anyone sees it:

1. *Primary*: a cell (margins and total included) about fewer than *k* people (``0 < n < k``) is not released.
   A median over fewer than *k* people is not released. A ratio is released only when its denominator is at least
   *k* and neither its numerator nor the rest (denominator - numerator) is a group of 1 to *k* - 1.
2. *Complementary*: a table is read as lines, each a set of cells and the total they add up to (the one line of a
   one-way breakdown; in a two-way one each row and each column with its margin, and both lists of margins with
   the grand total). In a line whose total is released, the suppressed cells must be at least two and add up to
   at least *k*; while they do not, the smallest released non-zero cell of the line is suppressed as well (when
   none is left, the total), and every line is checked again until none changes. A suppressed cell then cannot be
   recomputed by subtraction: the tests enumerate every assignment that agrees with what is released.
   Counts are added up as values; ratios by their numerators (what value x denominator would give).

**Differential privacy** (:func:`noisy_counts`), for open data: each count gets Laplace noise from OpenDP
(``make_laplace``) with scale = contribution bound / epsilon, where the contribution bound is the most cells one
learner can add to (the engine keeps at most that many of each learner's rows); rounded, clamped at 0 and cells
below *k* after noise withheld (post-processing, which costs no privacy). The release states epsilon and the bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from cairn.services.analytics.engine import Cell, Table

__all__ = ["DEFAULT_K", "Line", "lines", "noisy_counts", "suppress"]

DEFAULT_K: Final = 10


@dataclass(frozen=True, slots=True)
class Line:
    """Cells that add up to ``total``."""

    members: tuple[Cell, ...]
    total: Cell


def lines(table: Table) -> list[Line]:
    """The additive lines of a table (see the module's description)."""
    if not table.by:
        return []
    if len(table.by) == 1:
        return [Line(tuple(table.cells), table.total)]
    found: list[Line] = []
    for axis in (0, 1):
        by_key: dict[str, list[Cell]] = {}
        for cell in table.cells:
            by_key.setdefault(cell.keys[axis], []).append(cell)
        for key, members in by_key.items():
            margin = table.margins.get((axis, key))
            if margin is not None:
                found.append(Line(tuple(members), margin))
        found.append(Line(tuple(m for (a, _), m in table.margins.items() if a == axis), table.total))
    return found


def _amount(cell: Cell, ratio: bool) -> float:
    if ratio:
        return float(cell.numerator or 0)
    return float(cell.value or 0)


def _small(count: int | None, k: int) -> bool:
    return count is not None and 0 < count < k


def _primary(cell: Cell, kind: str, k: int) -> str | None:
    if _small(cell.n, k):
        return "small"
    if kind == "median" and cell.n < k and cell.value is not None:
        return "small"
    if kind == "ratio":
        if cell.denominator is None or cell.denominator < k:
            return "small" if cell.denominator else None
        numerator = cell.numerator or 0
        if _small(numerator, k) or _small(cell.denominator - numerator, k):
            return "ratio"
    return None


def suppress(table: Table, k: int = DEFAULT_K) -> Table:
    """Mark the cells of ``table`` that must not be released (in place; the table is returned)."""
    kind = table.indicator.kind
    for cell in table.all_cells():
        reason = _primary(cell, kind, k)
        if reason is not None:
            cell.suppressed, cell.reason = True, reason
    ratio = kind == "ratio"
    work = lines(table) if kind != "median" else []  # medians do not add up: nothing to recompute them from
    changed = True
    while changed:
        changed = False
        for line in work:
            if line.total.suppressed:
                continue
            hidden = [c for c in line.members if c.suppressed]
            if not hidden:
                continue
            if len(hidden) >= 2 and sum(_amount(c, ratio) for c in hidden) >= k:
                continue
            shown = sorted((c for c in line.members if not c.suppressed and _amount(c, ratio) > 0),
                           key=lambda c: (_amount(c, ratio), c.keys))  # fmt: skip
            victim = shown[0] if shown else line.total
            victim.suppressed, victim.reason = True, "complementary"
            changed = True
    for cell in table.all_cells():
        if cell.suppressed:
            cell.value = None
            if ratio:
                cell.numerator = cell.denominator = None
    return table


def noisy_counts(counts: Sequence[int], *, epsilon: float, bound: int, k: int = DEFAULT_K) -> list[int | None]:
    """``counts`` with Laplace noise calibrated to ``epsilon`` when one person adds at most ``bound`` to them in all
    (L1 sensitivity ``bound``), rounded, clamped at 0, and None where the noisy count is below ``k`` (``k=0``:
    none withheld)."""
    if epsilon <= 0 or bound < 1:
        raise ValueError("epsilon must be positive and the contribution bound at least 1")
    if not counts:
        return []
    import opendp.prelude as dp  # loaded only when an open-data release is made

    dp.enable_features("contrib")
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=float(bound) / epsilon
    )
    noisy = measurement([int(c) for c in counts])
    return [None if v < k else v for v in (max(0, round(x)) for x in noisy)]
