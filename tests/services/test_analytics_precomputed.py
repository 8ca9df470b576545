"""What makes dashboards fast on the national data set (bench/analytics.py): the panels every audience first sees
computed when the snapshot is exported, results kept while a snapshot is open, and the small tables written in
batches; the answers must stay exactly those computed from the fact tables."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from cairn.services.analytics.engine import PRECOMPUTED, Engine, Query, Table, connect
from cairn.services.analytics.service import AnalyticsService
from cairn.services.analytics.snapshot import TABLES, _fixed_panels, _write_small
from cairn.services.analytics.views import VIEWS
from cairn.store.database import Database
from tests.analytics_parts import build_dataset
from tests.factories import FixedClock


def _opened(database: Database, tmp_path: Path) -> tuple[AnalyticsService, Engine]:
    build_dataset(database)
    AnalyticsService(database, tmp_path / "writer", clock=FixedClock()).refresh()
    reader = AnalyticsService(database, tmp_path / "reader", clock=FixedClock(), k=2)
    engine = reader.engine()
    assert engine is not None
    return reader, engine


def _content(table: Table) -> list[tuple[object, ...]]:
    return [(c.keys, c.value, c.n, c.numerator, c.denominator) for c in table.all_cells()] + [
        tuple(sorted(table.margins))
    ]


def _drop_facts(folder: Path) -> None:
    """Remove the fact tables: from now on only what was precomputed or kept can be answered."""
    for name in ("awards", "shares", "pathways", "recognitions", "skills"):
        (folder / f"{name}.parquet").unlink()


def test_every_fixed_panel_is_precomputed_with_the_computed_answer(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    assert (engine.snapshot / PRECOMPUTED).exists()
    computed_folder = tmp_path / "computed"
    shutil.copytree(engine.snapshot, computed_folder)
    (computed_folder / PRECOMPUTED).unlink()
    computed = Engine(computed_folder)
    _drop_facts(engine.snapshot)
    panels = {(p.indicator, p.by) for view in VIEWS.values() for p in view}
    assert {(q.indicator, q.by) for q in _fixed_panels()} == panels
    for indicator, by in sorted(panels):
        query = Query(indicator, by)
        assert _content(engine.table(query)) == _content(computed.table(query)), query
    # a scope, a period or a filter is computed from the fact tables (gone here), never taken from the panels
    for query in (Query("awards", ("month",), scope=(1,)), Query("awards", ("month",), start=date(2026, 1, 1)),
                  Query("awards", ("month",), filters={"mode": "online"})):  # fmt: skip
        with pytest.raises(Exception, match=r"awards\.parquet"):
            engine.table(query)
    computed.close()


def test_a_result_is_kept_while_the_snapshot_is_open(database: Database, tmp_path: Path) -> None:
    reader, engine = _opened(database, tmp_path)
    query = Query("awards", ("issuer",), start=date(2026, 1, 1), scope=(1, 2, 3))
    first = reader.table(query)
    assert first is not None
    _drop_facts(engine.snapshot)
    again = reader.table(query)  # from the kept result: the fact tables are gone
    assert again is not None
    assert again is not first
    assert _content(again) == _content(first)
    assert [c.suppressed for c in again.all_cells()] == [c.suppressed for c in first.all_cells()]
    with pytest.raises(Exception, match=r"awards\.parquet"):
        reader.table(Query("awards", ("issuer",), start=date(2026, 2, 1), scope=(1, 2, 3)))


def test_refresh_reports_each_table_and_the_precomputed_panels(database: Database, tmp_path: Path) -> None:
    build_dataset(database)
    info = AnalyticsService(database, tmp_path / "writer", clock=FixedClock()).refresh()
    assert set(info.table_seconds) == {"small", *TABLES, "precomputed"}
    assert all(seconds >= 0 for seconds in info.table_seconds.values())
    assert info.rows["precomputed"] == len(_fixed_panels())


def test_small_tables_are_written_whole_in_batches(tmp_path: Path) -> None:
    rows = [(n, None if n % 7 == 0 else f"name, 'quoted' {n}", n / 3 if n % 5 else None) for n in range(1201)]
    connection = connect()
    target = tmp_path / "small.parquet"
    _write_small(connection, "small", (("id", "BIGINT"), ("name", "VARCHAR"), ("x", "DOUBLE")), rows, target)
    assert connection.execute(f"SELECT * FROM '{target}' ORDER BY id").fetchall() == rows
    _write_small(connection, "empty", (("id", "BIGINT"),), [], tmp_path / "empty.parquet")
    assert connection.execute(f"SELECT COUNT(*) FROM '{tmp_path / 'empty.parquet'}'").fetchall() == [(0,)]
    connection.close()
