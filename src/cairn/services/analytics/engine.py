"""Computing indicators with DuckDB over a snapshot's Parquet files.

:class:`Engine` opens a snapshot folder (read only: views over its Parquet files, nothing loaded in memory beforehand),
and :meth:`Engine.table` computes one indicator broken down by zero, one or two dimensions, with the filters and the
scope of issuers asked, as a :class:`Table` with its margins (each row's and each column's total, and the grand
total: what complementary suppression needs). A DuckDB connection is used by one thread at a time (a lock), and a
query never runs on the event loop (the web calls it from a worker thread).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

import duckdb

from cairn.errors import InputError
from cairn.services.analytics.indicators import DIMENSIONS, FILTERS, INDICATORS, Indicator

__all__ = ["AWARD_FACTS", "PRECOMPUTED", "Cell", "Engine", "Query", "Table", "connect"]

PRECOMPUTED: Final = "precomputed.parquet"
"""The snapshot file of the tables computed when it was exported (the dashboards' unfiltered panels)."""
AWARD_FACTS: Final = "award_facts.parquet"
"""The snapshot file of the awards already joined with their definition's and organisation's facets (written by
the export; ``award_facts`` reads it as it is). A snapshot with it has no ``awards.parquet``; an older snapshot has
only that, and is read as before (``award_facts`` joins it with the definitions and organisations at each query)."""
CACHED: Final = 512
"""Results an engine keeps (a snapshot never changes, so a result computed once stays right while it is open)."""


def connect(*, threads: int = 2, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that never installs or loads an extension from the network."""
    connection = duckdb.connect(
        config={
            "threads": threads,
            "memory_limit": memory_limit,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    connection.execute("SET enable_progress_bar = false")
    return connection


_VIEWS: Final = {
    "award_facts": """
        SELECT a.definition, a.learner, a.issued, a.claimed, a.revoked, date_trunc('month', a.issued) AS month,
               date_diff('day', a.issued, a.claimed) AS claim_days, a.organisation, o.slug AS issuer,
               o.type AS issuer_type, o.country, o.region, d.field, substr(d.field, 1, 2) AS field_broad, d.eqf,
               d.nqf, d.ects_band, d.language, d.mode, a.age_band, a.gender, a.education, a.employment,
               a.learner_country
        FROM '{dir}/awards.parquet' a JOIN '{dir}/definitions.parquet' d ON d.id = a.definition
        JOIN '{dir}/organisations.parquet' o ON o.id = a.organisation""",
    "share_facts": """
        SELECT s.views, date_trunc('month', s.created) AS month, s.organisation, o.slug AS issuer,
               o.type AS issuer_type, o.country, o.region
        FROM '{dir}/shares.parquet' s LEFT JOIN '{dir}/organisations.parquet' o ON o.id = s.organisation""",
    "pathway_facts": """
        SELECT p.started, p.completed, date_trunc('month', p.started) AS month,
               date_diff('day', p.started, p.completed) AS complete_days, p.organisation, o.slug AS issuer,
               o.type AS issuer_type, o.country, o.region
        FROM '{dir}/pathways.parquet' p JOIN '{dir}/organisations.parquet' o ON o.id = p.organisation""",
    "recognition_facts": """
        SELECT r.created, r.decided, r.decision, r.automatic, date_trunc('month', r.created) AS month,
               date_diff('day', r.created, r.decided) AS decision_days, r.organisation, o.slug AS issuer,
               o.type AS issuer_type, o.country, o.region
        FROM '{dir}/recognitions.parquet' r JOIN '{dir}/organisations.parquet' o ON o.id = r.organisation""",
}
_VIEWS["verification_facts"] = """
        SELECT v.count, v.channel, v.verifier_kind, v.verifier_type, v.verifier_country, v.verified,
               date_trunc('month', v.day) AS month, v.organisation, o.slug AS issuer, o.type AS issuer_type,
               COALESCE(v.issuer_country, o.country) AS country, o.region
        FROM '{dir}/verifications.parquet' v LEFT JOIN '{dir}/organisations.parquet' o ON o.id = v.organisation"""
_VIEWS["demand_facts"] = """
        SELECT d.count, d.uri AS skill, date_trunc('month', d.month) AS month,
               COALESCE((SELECT min(c.collection) FROM '{dir}/collections.parquet' c WHERE c.uri = d.uri), 'other')
               AS collection
        FROM '{dir}/demand.parquet' d WHERE d.kind = 'job-ad-skill'"""
# The catalogue as filters read it: each definition awarded at least once, with its organisation.
_CATALOGUE: Final = """
        SELECT d.organisation, o.type AS issuer_type, o.country, o.region, substr(d.field, 1, 2) AS field_broad, d.eqf,
               d.nqf, d.ects_band, d.language, d.mode, NULL::TIMESTAMP AS month
        FROM '{dir}/definitions.parquet' d JOIN '{dir}/organisations.parquet' o ON o.id = d.organisation
        WHERE d.id IN (SELECT DISTINCT definition FROM award_facts)"""
# Skills: an award counts once per skill of its definition, in the first of the collections it belongs to.
_SKILLS: Final = """
        SELECT f.*, s.skill,
               CASE WHEN s.digital THEN 'digital' WHEN s.green THEN 'green' WHEN s.transversal THEN 'transversal'
                    ELSE 'other' END AS collection
        FROM award_facts f JOIN '{dir}/skills.parquet' s ON s.definition = f.definition"""

BITMAP_BYTES: Final = 128 * 2**20
"""Most memory a query's learner bitmaps may take (one bit per learner of the snapshot for each cell, margins
included): a breakdown with more cells counts its distinct learners by hashing, as before."""
_DISTINCT: Final = re.compile(r"COUNT\(DISTINCT learner\)( FILTER \(WHERE [^()]*\))?")
# What bounds the number of a breakdown's cells: its values in the snapshot (skill collections are four).
_SIZED: Final = tuple(name for name, d in DIMENSIONS.items() if "award_facts" in d.views)
_SIZES: Final = (
    "SELECT max(learner), "  # noqa: S608 (names and expressions of DIMENSIONS only)
    + ", ".join(f"COUNT(DISTINCT {DIMENSIONS[name].expression})" for name in _SIZED)
    + ", (SELECT COUNT(DISTINCT skill) FROM skill_list) FROM award_facts"
)

# The same, one row per award and collection of its definition's skills, with how many skills: what a breakdown
# by collection needs, a fraction of the rows (a definition's skills are in one or two collections).
_COLLECTIONS: Final = """
        SELECT f.*, s.collection, s.skills
        FROM award_facts f JOIN (
            SELECT definition, CASE WHEN digital THEN 'digital' WHEN green THEN 'green'
                                    WHEN transversal THEN 'transversal' ELSE 'other' END AS collection,
                   COUNT(*) AS skills
            FROM '{dir}/skills.parquet' GROUP BY ALL) s ON s.definition = f.definition"""

UNSCOPED_VIEWS: Final = frozenset({"demand_facts"})
"""Facts that belong to no organisation (the skills job ads ask for): a scope (an issuer's, a registry's) sees
all of them, the demand its issuers' skills meet."""

LIMIT: Final = 20_000
"""Most rows (cells, margins and total) a table may have: a breakdown by skill and month is the largest."""
VALUES_LIMIT: Final = 500
"""Most distinct values :meth:`Engine.values` lists (a form's choices)."""


@dataclass(frozen=True, slots=True)
class Query:
    """What to compute: an indicator, up to two breakdowns, the period (months, inclusive), filters and the scope
    (the organisation ids whose figures the audience may see; None: all)."""

    indicator: str
    by: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    filters: dict[str, str] = field(default_factory=dict)
    scope: tuple[int, ...] | None = None
    bound: int | None = None
    """Keep at most this many of each learner's rows (contribution bounding, for differential privacy)."""

    def check(self) -> Indicator:
        """The indicator; InputError for an unknown indicator, breakdown or filter, or one its view lacks."""
        indicator = INDICATORS.get(self.indicator)
        if indicator is None:
            raise InputError("no indicator %(name)s", name=self.indicator[:40])
        if len(self.by) > 2 or len(set(self.by)) != len(self.by):
            raise InputError("break an indicator down by at most two different dimensions")
        for name in (*self.by, *self.filters):
            dimension = DIMENSIONS.get(name)
            if dimension is None or indicator.view not in dimension.views:
                raise InputError("%(indicator)s cannot be broken down by %(name)s", indicator=indicator.label,
                                 name=name[:40])  # fmt: skip
        for name in self.filters:
            if name not in FILTERS:
                raise InputError("%(name)s is not a filter", name=name[:40])
        if self.start and self.end and self.start > self.end:
            raise InputError("the period ends before it starts")
        if self.bound is not None and (self.bound < 1 or indicator.view not in ("award_facts", "skill_facts")):
            raise InputError("only award indicators can bound each learner's contribution")
        return indicator


@dataclass(slots=True)
class Cell:
    """One cell: its keys (one per breakdown), the value, ``n`` (people), a ratio's parts, and whether released."""

    keys: tuple[str, ...]
    value: float | None
    n: int
    numerator: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    reason: str | None = None
    """Why a cell is not released: ``small`` (n below k), ``complementary`` (it would let a small one be
    recomputed from the totals), ``ratio`` (a ratio that would tell a small count)."""


@dataclass(slots=True)
class Table:
    """An indicator's cells (``cells``), each row's and column's total (``margins``: keyed by ``(0, key)`` for
    the first breakdown's totals and ``(1, key)`` for the second's) and the grand total."""

    indicator: Indicator
    by: tuple[str, ...]
    cells: list[Cell]
    margins: dict[tuple[int, str], Cell]
    total: Cell

    def all_cells(self) -> list[Cell]:
        """Every cell, margins and total included."""
        return [*self.cells, *self.margins.values(), self.total]


def _params(params: Sequence[Any]) -> str:
    """Parameters as the key of a precomputed table (dates and ids as JSON text)."""
    return json.dumps(list(params), default=str)


def _key(value: Any) -> str:
    return "" if value is None else str(value)


class Engine:
    """DuckDB over one snapshot folder."""

    def __init__(
        self, snapshot: Path, *, threads: int = 2, memory_limit: str = "1GB", precomputed: bool = True
    ) -> None:
        self.snapshot = snapshot
        self._lock = threading.Lock()
        self._db = connect(threads=threads, memory_limit=memory_limit)
        folder = str(snapshot).replace("'", "''")
        self._dense = (snapshot / AWARD_FACTS).exists()
        """Learners are numbered 1 to n (a snapshot with the award facts): counted exactly with a bitmap each cell."""
        self._sizes: tuple[int, dict[str, int]] | None = None
        self.bitmap_bytes = BITMAP_BYTES
        if self._dense:
            self._db.execute(f"CREATE VIEW award_facts AS SELECT * FROM '{folder}/{AWARD_FACTS}'")  # noqa: S608
            self._db.execute(f"CREATE VIEW skill_list AS SELECT * FROM '{folder}/skills.parquet'")  # noqa: S608
        else:  # a snapshot exported before the award facts were written joined
            self._db.execute(f"CREATE VIEW award_facts AS {_VIEWS['award_facts'].format(dir=folder)}")
        self._db.execute(f"CREATE VIEW skill_facts AS {_SKILLS.format(dir=folder)}")
        self._db.execute(f"CREATE VIEW collection_facts AS {_COLLECTIONS.format(dir=folder)}")
        self._db.execute(f"CREATE VIEW catalogue_facts AS {_CATALOGUE.format(dir=folder)}")
        for name in ("share_facts", "pathway_facts", "recognition_facts", "verification_facts", "demand_facts"):
            self._db.execute(f"CREATE VIEW {name} AS {_VIEWS[name].format(dir=folder)}")
        self._results: OrderedDict[tuple[str, tuple[Any, ...]], list[tuple[Any, ...]]] = OrderedDict()
        self._precomputed: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        if precomputed and (snapshot / PRECOMPUTED).exists():  # False: everything computed (the bench compares)
            read = self._db.execute(f"SELECT sql, params, rows FROM '{folder}/{PRECOMPUTED}'").fetchall()  # noqa: S608
            self._precomputed = {(sql, params): [tuple(row) for row in json.loads(rows)] for sql, params, rows in read}

    def precompute(
        self,
        queries: Iterable[Query],
        target: Path,
        *,
        per_organisation: Iterable[Query] = (),
        organisations: Sequence[int] = (),
        scoped: Iterable[Query] = (),
        scopes: Sequence[tuple[int, ...]] = (),
    ) -> int:
        """Compute, and write to ``target`` (:data:`PRECOMPUTED` of a snapshot being exported), what dashboards
        ask first: ``queries`` as everyone sees them (no period, filter or scope); ``per_organisation`` for each
        of ``organisations`` alone (an issuer's dashboard; one pass over the facts for all of them); ``scoped``
        for each of ``scopes`` (a registry's organisations). How many tables were written."""
        kept: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
        if self._dense:  # what decides how each query counts learners, kept so that the reader decides the same
            kept[(_SIZES, _params([]))] = self._fetch(_SIZES, [])
        for query in queries:
            if query.start or query.end or query.filters or query.scope is not None:
                raise ValueError("only tables without a period, filter or scope are precomputed")
            sql, params = self._sql(query)
            kept[(sql, _params(params))] = self._fetch(sql, params)
        wanted = set(organisations)
        for query in per_organisation:
            indicator = query.check()
            if indicator.view == "demand_facts":  # job ads belong to no organisation
                continue
            sql, params = self._sql(replace(query, scope=None), per_organisation=True)
            by_organisation: dict[int, list[tuple[Any, ...]]] = {}
            for row in self._fetch(sql, params):
                if row[0] in wanted:
                    by_organisation.setdefault(int(row[0]), []).append(tuple(row[1:]))
            alone, _ = self._sql(replace(query, scope=(0,)))  # the same text for any one organisation
            nothing = self._fetch(alone, [-1])  # what an organisation without a row gets (a total of none)
            for organisation in wanted:
                rows = by_organisation.get(organisation, nothing)
                if len(rows) < LIMIT:
                    kept[(alone, _params([organisation]))] = rows
        for scope in scopes:
            for query in scoped:
                sql, params = self._sql(replace(query, scope=scope))
                kept[(sql, _params(params))] = self._fetch(sql, params)
        with self._lock:
            self._db.execute("CREATE TEMPORARY TABLE precomputed (sql VARCHAR, params VARCHAR, rows VARCHAR)")
            if kept:
                self._db.executemany(
                    "INSERT INTO precomputed VALUES (?, ?, ?)",
                    [(sql, params, json.dumps(rows, default=str)) for (sql, params), rows in kept.items()],
                )
            self._db.execute(f"COPY precomputed TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
            self._db.execute("DROP TABLE precomputed")
        return len(kept)

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self._lock:
            return [tuple(row) for row in self._db.execute(sql, list(params)).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _where(self, query: Query, view: str) -> tuple[str, list[Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        if query.start is not None:
            clauses.append("month >= ?")
            params.append(query.start.replace(day=1))
        if query.end is not None:
            clauses.append("month <= ?")
            params.append(query.end.replace(day=1))
        if query.scope is not None and view not in UNSCOPED_VIEWS:
            clauses.append(f"organisation IN ({', '.join('?' for _ in query.scope)})" if query.scope else "FALSE")
            params.extend(query.scope)
        for name, wanted in sorted(query.filters.items()):
            clauses.append(f"{DIMENSIONS[name].expression} = ?")
            params.append(wanted)
        return " AND ".join(clauses), params

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        found = self._precomputed.get((sql, _params(params)))
        if found is not None:
            return found
        key = (sql, tuple(params))
        with self._lock:
            rows = self._results.get(key)
            if rows is None:
                rows = self._db.execute(sql, list(params)).fetchall()
                self._results[key] = rows
                if len(self._results) > CACHED:
                    self._results.popitem(last=False)
            else:
                self._results.move_to_end(key)
            return rows

    def values(self, dimension: str, *, view: str = "award_facts", scope: tuple[int, ...] | None = None,
               limit: int = VALUES_LIMIT) -> list[tuple[str, int]]:  # fmt: skip
        """The distinct values of ``dimension`` in ``view`` within ``scope`` (organisation ids; None: all), each with
        how many rows have it, by value; at most ``limit``. For awards the values are read from the catalogue: the
        definitions awarded at least once and their organisations (public facts about courses, not about people,
        and cheap: no pass over the awards). InputError for a dimension ``view`` lacks. (What a form offers.)"""
        found = DIMENSIONS.get(dimension)
        if found is None or view not in found.views:
            raise InputError("%(view)s cannot be broken down by %(name)s", view=view[:40], name=dimension[:40])
        source = "catalogue_facts" if view in ("award_facts", "skill_facts") else view
        where, params = self._where(Query("awards", scope=scope), view)
        expression = f"CAST({found.expression} AS VARCHAR)"
        # Only names checked against DIMENSIONS are put in the SQL; the scope's ids are parameters.
        sql = (
            f"SELECT {expression} AS v, COUNT(*) FROM {source} WHERE {where} AND {expression} IS NOT NULL "  # noqa: S608
            f"GROUP BY v ORDER BY v LIMIT {int(limit)}"
        )
        return [(str(v), int(n)) for v, n in self._run(sql, params)]

    def _learner_sizes(self) -> tuple[int, dict[str, int]]:
        """The highest learner number and each sized dimension's number of values (see :data:`_SIZES`)."""
        if self._sizes is None:
            row = self._run(_SIZES, [])[0]
            sizes = {name: int(count or 0) for name, count in zip(_SIZED, row[1:], strict=False)}
            sizes["skill"] = int(row[-1] or 0)
            sizes["collection"] = 4
            self._sizes = (int(row[0] or 0), sizes)
        return self._sizes

    def _counted(self, measures: str, query: Query, per_organisation: bool) -> str:
        """``measures`` with each distinct count of learners made with a bitmap of the snapshot's learners per cell
        (exact, and about three times faster than hashing them), when the learners are numbered and the cells'
        bitmaps fit :data:`BITMAP_BYTES`; else as they are."""
        if not self._dense or "DISTINCT learner" not in measures:
            return measures
        learners, sizes = self._learner_sizes()
        if any(name not in sizes for name in query.by):
            return measures
        cells = math.prod(sizes[name] + 1 for name in query.by) * ((sizes["issuer"] + 1) if per_organisation else 1)
        if cells * (learners // 8 + 16) > self.bitmap_bytes:
            return measures
        top = max(learners, 1)
        counted = _DISTINCT.sub(
            lambda m: f"COALESCE(bit_count(bitstring_agg(learner, 1, {top}){m.group(1) or ''}), 0)", measures
        )
        return measures if "DISTINCT learner" in counted else counted

    def _sql(self, query: Query, *, per_organisation: bool = False) -> tuple[str, list[Any]]:
        """The SQL of ``query`` and its parameters. ``per_organisation``: the same table for every organisation at
        once, each row led by its organisation id (what :meth:`precompute` keeps for the issuers' dashboards)."""
        indicator = query.check()
        where, params = self._where(query, indicator.view)
        value, view = indicator.value, indicator.view
        if (
            view == "skill_facts"
            and value == "COUNT(*)"
            and not indicator.numerator
            and query.bound is None
            and ("skill" not in (*query.by, *query.filters))
        ):  # skills counted per award and collection: the same figures from a fraction of the rows
            value, view = "COALESCE(SUM(skills), 0)", "collection_facts"
        parts = [f"{value} AS value", f"{indicator.n} AS n"]
        if indicator.numerator and indicator.denominator:
            parts += [f"{indicator.numerator} AS num", f"{indicator.denominator} AS den"]
        measures = self._counted(", ".join(parts), query, per_organisation)
        if query.bound is not None:  # each learner's first rows only (an int checked by Query.check)
            view = (
                f"(SELECT * FROM {view} QUALIFY row_number() OVER "  # noqa: S608
                f"(PARTITION BY learner ORDER BY issued, definition) <= {int(query.bound)})"
            )
        exprs = [DIMENSIONS[name].expression for name in query.by]
        lead = "organisation, " if per_organisation else ""
        # Grouped by the values as they are; each group's key is written once, after grouping: a rolled-up key
        # (GROUPING SETS) is NULL, an unknown value (no region...) is "".
        grouped = ", ".join(f"{e} AS g{i}" for i, e in enumerate(exprs))
        keys = "".join(
            f"CASE WHEN GROUPING(g{i}) = 1 THEN NULL ELSE COALESCE(CAST("
            f"{DIMENSIONS[name].key.format(f'g{i}')} AS VARCHAR), '') END AS k{i}, "
            for i, name in enumerate(query.by)
        )
        names = [f"g{i}" for i in range(len(exprs))]
        combinations = [names, *([["g0"], ["g1"]] if len(names) == 2 else []), []] if names else [[]]
        lead_set = ["organisation"] if per_organisation else []
        sets = ["(" + ", ".join([*lead_set, *c]) + ")" for c in combinations]
        order = ", ".join([*(["organisation"] if per_organisation else []), *(f"k{i}" for i in range(len(exprs)))])
        inner = f"SELECT *{', ' + grouped if grouped else ''} FROM {view} WHERE {where}"  # noqa: S608
        # Only names checked against DIMENSIONS and INDICATORS are put in the SQL; values are parameters.
        sql = f"SELECT {lead}{keys}{measures} FROM ({inner}) GROUP BY GROUPING SETS ({', '.join(sets)})"  # noqa: S608
        if order:
            sql += f" ORDER BY {order} NULLS FIRST"
        if not per_organisation:
            sql += f" LIMIT {LIMIT}"
        return sql, params

    def table(self, query: Query) -> Table:
        """The indicator's table: every non-empty cell of the breakdown, the margins and the total."""
        indicator = query.check()
        sql, params = self._sql(query)
        width = len(query.by)
        rows = self._run(sql, params)
        if len(rows) >= LIMIT:
            raise InputError("this breakdown has too many cells: filter it or choose another")
        cells: list[Cell] = []
        margins: dict[tuple[int, str], Cell] = {}
        total = Cell((), None, 0)
        for row in rows:
            raw_keys, measured = row[:width], row[width:]
            cell = Cell(
                tuple(_key(k) for k in raw_keys),
                None if measured[0] is None else float(measured[0]),
                int(measured[1] or 0),
                int(measured[2]) if len(measured) > 2 and measured[2] is not None else None,
                int(measured[3]) if len(measured) > 3 and measured[3] is not None else None,
            )
            if width == 0:
                total = cell
            else:
                # GROUPING SETS marks a rolled-up key with NULL; an unknown value (no region...) is "" here.
                self._place(cell, raw_keys, width, cells, margins)
                if all(k is None for k in raw_keys):
                    total = cell
        return Table(indicator, query.by, cells, margins, total)

    @staticmethod
    def _place(
        cell: Cell, keys: Sequence[Any], width: int, cells: list[Cell], margins: dict[tuple[int, str], Cell]
    ) -> None:
        nulls = [k is None for k in keys]
        if not any(nulls):
            cells.append(cell)
        elif width == 2 and nulls == [False, True]:
            margins[(0, cell.keys[0])] = cell
        elif width == 2 and nulls == [True, False]:
            margins[(1, cell.keys[1])] = cell
