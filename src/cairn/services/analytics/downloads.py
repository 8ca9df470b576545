"""A released table written out for people and programs: CSV, Parquet (by DuckDB) and the open-data JSON.

Each format says what the figures are: every row of a download carries the indicator, its formula, the threshold
*k* and the snapshot, then the breakdown's keys, the value and, for a withheld cell, why (:data:`REASONS`) with no
value. A row is a cell, a margin (a key left empty: the total over it) or the total. Only tables that went through
:func:`~cairn.services.analytics.privacy.suppress` are written (the service gives no other).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Final

from cairn.formats.csv_export import csv_text
from cairn.services.analytics.engine import Cell, Table, connect
from cairn.services.analytics.indicators import DIMENSIONS, INDICATORS
from cairn.services.analytics.service import Freshness

__all__ = ["REASONS", "columns", "indicator_list", "rows", "table_json", "to_csv", "to_parquet"]

REASONS: Final = {
    "small": "about fewer than k people",
    "complementary": "would let a withheld cell be worked out from the totals",
    "ratio": "would reveal the count of a small group",
}
"""Why a cell is withheld, by the code downloads and the API give."""
FIXED: Final = ("indicator", "formula", "k", "snapshot", "part")


def columns(table: Table) -> list[str]:
    """The columns of a download: :data:`FIXED`, one per breakdown (its name), ``value`` and ``withheld``."""
    return [*FIXED, *table.by, "value", "withheld"]


def _stamp(freshness: Freshness) -> str:
    return freshness.created_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def _parts(table: Table) -> list[tuple[str, Cell, tuple[str, ...]]]:
    """(part, cell, keys), keys one per breakdown ("" where a margin sums over it)."""
    found: list[tuple[str, Cell, tuple[str, ...]]] = [("cell", c, c.keys) for c in table.cells]
    for (axis, key), cell in table.margins.items():
        keys = [""] * len(table.by)
        keys[axis] = key
        found.append(("margin", cell, tuple(keys)))
    found.append(("total", table.total, ("",) * len(table.by)))
    return found


def rows(table: Table, freshness: Freshness, k: int) -> list[tuple[Any, ...]]:
    """The download's rows, in :func:`columns` order: withheld cells with no value and their reason's code."""
    indicator = table.indicator
    stamp = _stamp(freshness)
    return [
        (indicator.id, indicator.formula, k, stamp, part, *keys,
         None if cell.suppressed else cell.value, (cell.reason or "small") if cell.suppressed else "")
        for part, cell, keys in _parts(table)
    ]  # fmt: skip


def to_csv(table: Table, freshness: Freshness, k: int) -> str:
    """The table as CSV (:func:`~cairn.formats.csv_export.csv_text`: every field quoted, nothing a formula)."""
    text = [[("" if v is None else _number(v) if isinstance(v, float) else str(v)) for v in row]
            for row in rows(table, freshness, k)]  # fmt: skip
    return csv_text(columns(table), text)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def to_parquet(table: Table, freshness: Freshness, k: int) -> bytes:
    """The table as a Parquet file (written by DuckDB: ``value`` a DOUBLE, ``k`` an INTEGER, the rest text)."""
    names = columns(table)
    types = {"k": "INTEGER", "value": "DOUBLE"}
    connection = connect(threads=1, memory_limit="256MB")
    try:
        declared = ", ".join(f'"{name}" {types.get(name, "VARCHAR")}' for name in names)
        connection.execute(f"CREATE TABLE released ({declared})")
        data = rows(table, freshness, k)
        if data:
            marks = ", ".join("?" for _ in names)  # the values are parameters; the names are ours
            connection.executemany(f"INSERT INTO released VALUES ({marks})", data)  # noqa: S608
        with tempfile.TemporaryDirectory(prefix="cairn-release-") as folder:
            path = Path(folder) / "table.parquet"
            target = str(path).replace("'", "''")
            connection.execute(f"COPY released TO '{target}' (FORMAT PARQUET)")
            return path.read_bytes()
    finally:
        connection.close()


def _cell_json(cell: Cell, keys: tuple[str, ...], by: tuple[str, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {"keys": dict(zip(by, keys, strict=True))}
    if cell.suppressed:
        body["value"] = None
        body["withheld"] = cell.reason or "small"
    else:
        body["value"] = cell.value
    return body


def table_json(table: Table, freshness: Freshness, k: int, query: dict[str, Any]) -> dict[str, Any]:
    """The open-data API's answer: the query, the cells, the margins, the total, the snapshot and *k*."""
    indicator = table.indicator
    margins = []
    for (axis, key), cell in table.margins.items():
        entry = _cell_json(cell, (key,), (table.by[axis],))
        margins.append({"over": table.by[1 - axis], **entry})
    return {
        "indicator": {"id": indicator.id, "label": indicator.label, "kind": indicator.kind,
                      "formula": indicator.formula},
        "query": query,
        "snapshot": {"id": freshness.snapshot_id, "created_at": _stamp(freshness)},
        "k": k,
        "cells": [_cell_json(c, c.keys, table.by) for c in table.cells],
        "margins": margins,
        "total": _cell_json(table.total, (), ()),
        "withheld_reasons": {code: text.replace("k people", f"{k} people") for code, text in REASONS.items()},
    }  # fmt: skip


def indicator_list() -> list[dict[str, Any]]:
    """Every indicator with its formula and the breakdowns it has."""
    return [
        {
            "id": i.id,
            "label": i.label,
            "kind": i.kind,
            "formula": i.formula,
            "dimensions": [d.name for d in DIMENSIONS.values() if i.view in d.views],
        }
        for i in INDICATORS.values()
    ]
