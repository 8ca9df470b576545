"""What makes dashboards fast on the national data set (bench/analytics.py): the panels every audience first sees
computed when the snapshot is exported, results kept while a snapshot is open, and the small tables written in
batches; the answers must stay exactly those computed from the fact tables."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from cairn.services.analytics.engine import AWARD_FACTS, PRECOMPUTED, Engine, Query, Table, connect
from cairn.services.analytics.indicators import DIMENSIONS
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
    for name in ("award_facts", "shares", "pathways", "recognitions", "skills"):
        (folder / f"{name}.parquet").unlink()


def test_every_fixed_panel_is_precomputed_with_the_computed_answer(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    assert (engine.snapshot / PRECOMPUTED).exists()
    computed_folder = tmp_path / "computed"
    shutil.copytree(engine.snapshot, computed_folder)
    (computed_folder / PRECOMPUTED).unlink()
    computed = Engine(computed_folder)
    _drop_facts(engine.snapshot)
    panels = {(p.indicator, p.by) for audience in ("ministry", "open") for p in VIEWS[audience]}
    assert {(q.indicator, q.by) for q in _fixed_panels("ministry", "open")} == panels
    for indicator, by in sorted(panels):
        query = Query(indicator, by)
        assert _content(engine.table(query)) == _content(computed.table(query)), query
    # another scope, a period or a filter is computed from the fact tables (gone here), never taken from the panels
    for query in (Query("awards", ("month",), scope=(1, 2)), Query("awards", ("month",), start=date(2026, 1, 1)),
                  Query("awards", ("month",), filters={"mode": "online"})):  # fmt: skip
        with pytest.raises(Exception, match=r"award_facts\.parquet"):
            engine.table(query)
    computed.close()


def test_each_issuers_and_each_registrys_first_view_is_precomputed(database: Database, tmp_path: Path) -> None:
    ids = build_dataset(database)
    writer = AnalyticsService(database, tmp_path / "writer", clock=FixedClock())
    registry_scope = (ids["uni-a"], ids["train-b"])
    writer.scopes = lambda: [registry_scope, ()]  # an empty scope (a registry accrediting no one here) is skipped
    info = writer.refresh()
    reader = AnalyticsService(database, tmp_path / "reader", clock=FixedClock(), k=2)
    engine = reader.engine()
    assert engine is not None
    computed_folder = tmp_path / "computed"
    shutil.copytree(engine.snapshot, computed_folder)
    (computed_folder / PRECOMPUTED).unlink()
    computed = Engine(computed_folder)
    _drop_facts(engine.snapshot)
    asked = 0
    for organisation in (ids["uni-a"], ids["train-b"]):
        for query in _fixed_panels("issuer"):
            if query.indicator == "skills_demanded":
                continue
            scoped = Query(query.indicator, query.by, scope=(organisation,))
            assert _content(engine.table(scoped)) == _content(computed.table(scoped)), scoped
            asked += 1
    for query in _fixed_panels("registry"):
        scoped = Query(query.indicator, query.by, scope=registry_scope)
        assert _content(engine.table(scoped)) == _content(computed.table(scoped)), scoped
        asked += 1
    assert asked > 20
    assert info.rows["precomputed"] >= asked
    computed.close()


def test_filter_choices_come_from_the_catalogue_without_reading_the_awards(database: Database, tmp_path: Path) -> None:
    reader, engine = _opened(database, tmp_path)
    assert reader.values("mode") == ["blended", "in-person", "online"]
    assert engine.values("field") == [("04", 1), ("06", 2)]  # definitions, not people
    for name in ("award_facts", "shares", "pathways", "recognitions"):
        (engine.snapshot / f"{name}.parquet").unlink()
    engine._results.clear()
    with pytest.raises(Exception, match=r"award_facts\.parquet"):  # the awarded definitions are read once...
        engine.values("language")


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
    with pytest.raises(Exception, match=r"award_facts\.parquet"):
        reader.table(Query("awards", ("issuer",), start=date(2026, 2, 1), scope=(1, 2, 3)))


def test_refresh_reports_each_table_and_the_precomputed_panels(database: Database, tmp_path: Path) -> None:
    build_dataset(database)
    info = AnalyticsService(database, tmp_path / "writer", clock=FixedClock()).refresh()
    assert set(info.table_seconds) == {"small", *TABLES, "precomputed"}
    assert all(seconds >= 0 for seconds in info.table_seconds.values())
    issuer_panels = [q for q in _fixed_panels("issuer") if q.indicator != "skills_demanded"]
    # everyone's panels, and each issuer's own for both organisations (no registry here)
    # (+ 1: the learners and the values of each dimension, which decide how a query counts learners)
    assert info.rows["precomputed"] == len(_fixed_panels("ministry", "open")) + 2 * len(issuer_panels) + 1


def test_small_tables_are_written_whole_in_batches(tmp_path: Path) -> None:
    rows = [(n, None if n % 7 == 0 else f"name, 'quoted' {n}", n / 3 if n % 5 else None) for n in range(1201)]
    connection = connect()
    target = tmp_path / "small.parquet"
    _write_small(connection, "small", (("id", "BIGINT"), ("name", "VARCHAR"), ("x", "DOUBLE")), rows, target)
    assert connection.execute(f"SELECT * FROM '{target}' ORDER BY id").fetchall() == rows
    _write_small(connection, "empty", (("id", "BIGINT"),), [], tmp_path / "empty.parquet")
    assert connection.execute(f"SELECT COUNT(*) FROM '{tmp_path / 'empty.parquet'}'").fetchall() == [(0,)]
    connection.close()


def test_a_snapshot_exported_before_the_award_facts_is_still_read(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    assert not (engine.snapshot / "awards.parquet").exists()  # the joined facts replace the awards
    older = tmp_path / "older"
    shutil.copytree(engine.snapshot, older)
    (older / PRECOMPUTED).unlink()
    connection = connect()
    columns = [c for c, _ in TABLES["awards"].columns]
    connection.execute(
        f"COPY (SELECT {', '.join(columns)} FROM '{older / AWARD_FACTS}') TO '{older / 'awards.parquet'}'"
    )
    connection.close()
    (older / AWARD_FACTS).unlink()
    old, new = Engine(older), Engine(engine.snapshot, precomputed=False)
    for query in (
        *_fixed_panels("ministry", "open"),
        Query("awards", ("field", "region"), filters={"mode": "online"}),
        Query("skills_supplied", ("collection",), start=date(2026, 1, 1)),
        Query("learners", ("issuer",), scope=(1, 2), bound=2),
        Query("days_to_claim", ("eqf",)),
    ):
        assert _content(old.table(query)) == _content(new.table(query)), query
    assert old.values("field") == new.values("field")
    old.close()
    new.close()


def test_award_facts_name_learners_by_a_dense_number(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    connection = connect()
    kind, lowest, highest, learners = connection.execute(
        "SELECT typeof(min(learner)), min(learner), max(learner), COUNT(DISTINCT learner)"
        f" FROM '{engine.snapshot / AWARD_FACTS}'"
    ).fetchone() or (None, None, None, None)
    connection.close()
    assert (kind, lowest, highest) == ("INTEGER", 1, learners)


def test_learners_counted_with_bitmaps_give_the_hashed_counts(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    queries = [
        *_fixed_panels("ministry", "open"),
        Query("learners", ("region", "month"), filters={"field": "06"}),
        Query("days_to_claim", ("issuer",), start=date(2026, 2, 1)),
        Query("revoked", ("mode",)),
        Query("cross_border_awards", ("gender",)),
        Query("skills_supplied", ("skill",), scope=(1,)),
        Query("awards", ("eqf",), bound=1),
    ]
    assert "bitstring_agg" in engine._sql(Query("learners", ("region", "month")))[0]
    bitmaps, hashed = Engine(engine.snapshot, precomputed=False), Engine(engine.snapshot, precomputed=False)
    hashed.bitmap_bytes = 0  # every breakdown too large for bitmaps: learners hashed
    assert "bitstring_agg" not in hashed._sql(Query("learners", ("region", "month")))[0]
    for query in queries:
        assert _content(bitmaps.table(query)) == _content(hashed.table(query)), query
    bitmaps.close()
    hashed.close()


def test_skills_by_collection_counted_per_award_and_collection_as_per_skill(database: Database, tmp_path: Path) -> None:
    _, engine = _opened(database, tmp_path)
    computed = Engine(engine.snapshot, precomputed=False)
    assert "collection_facts" in computed._sql(Query("skills_supplied", ("collection",)))[0]
    assert "collection_facts" not in computed._sql(Query("skills_supplied", ("skill",)))[0]
    for by, where in ((("collection",), "TRUE"), (("month", "collection"), "TRUE"), (("region",), "mode = 'online'")):
        query = Query("skills_supplied", by, filters={"mode": "online"} if "mode" in where else {})
        found = {c.keys: (c.value, c.n) for c in computed.table(query).cells}
        expressions = [DIMENSIONS[name].key.format(DIMENSIONS[name].expression) for name in by]
        direct = computed._db.execute(
            f"SELECT {', '.join(expressions)}, COUNT(*), COUNT(DISTINCT learner) FROM skill_facts"
            f" WHERE {where} GROUP BY ALL"
        ).fetchall()
        expected = {tuple("" if k is None else str(k) for k in row[:-2]): (float(row[-2]), row[-1]) for row in direct}
        assert found == expected, by
    computed.close()
