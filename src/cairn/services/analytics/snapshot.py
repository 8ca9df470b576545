"""The analytics snapshot: what policy analytics reads, exported from the production database as Parquet files.

A refresh reads the production tables once, in bulk (PostgreSQL: ``COPY ... TO STDOUT``; SQLite: a streamed
query), into CSV files in a temporary folder, and DuckDB turns them into one Parquet file per fact table. Nothing in
a snapshot names a person: learners are numbered 1 to n in the order of a 64-bit hash of the award's recipient key
(itself a keyed hash of the address), numbers that mean something only within the snapshot and serve only to count
distinct learners; no address, name, credential or free text is exported.

Fact tables (columns in :data:`TABLES`):

- ``organisations``: each organisation of this instance, with its type, country and region;
- ``definitions``: each micro-credential definition with the facets analytics breaks down by (ISCED-F field, EQF
  and national level, ECTS and its band, first language of instruction, mode of delivery);
- ``award_facts``: one row per award of a definition: issuing organisation, definition, issue date, claim date
  (empty when not), revoked or not, the learner (a dense number: see below), already joined with the definition's
  facets and the organisation's type, country and region (snapshots made before it have ``awards`` instead, without
  the joined columns and with the 64-bit learner hash; the engine still reads them);
- ``skills``: the ESCO skills each definition's outcomes are aligned to, with their collections;
- ``shares``: share links made of credentials in wallets: the month, the issuing organisation when this instance
  issued it, the views;
- ``pathways``: each pathway follow (a start) and whether and when the same learner completed it;
- ``recognitions``: each recognition application, with the deciding organisation, decision and timing;
- ``verifications``: the verification counts (day, channel, who verified, the issuer; counts, never requests);
- ``demand``: skills found in job-ad analyses, by month; ``collections``: ESCO's digital, green and transversal
  collections.

An award carries its learner's characteristics (age band, gender, education, employment, country) only when the
learner gave them, with consent, on ``/wallet/statistics`` and holds the award in their wallet here.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import duckdb
from sqlalchemy import text

from cairn.services.analytics.engine import AWARD_FACTS, PRECOMPUTED, Engine, Query, connect
from cairn.services.analytics.views import VIEWS, Audience
from cairn.store.database import Database

__all__ = ["TABLES", "SnapshotInfo", "definition_facets", "ects_band", "export_snapshot"]

ECTS_BANDS: Final = ((1.0, "<1"), (3.0, "1-2.9"), (6.0, "3-5.9"), (15.0, "6-14.9"))
"""Upper bounds (exclusive) and labels of the ECTS bands; 15 and more is ``15+``; no ECTS stated is ``none``."""


def ects_band(ects: float | None) -> str:
    """The ECTS band of a workload (``none`` when the definition states no ECTS)."""
    if ects is None:
        return "none"
    for upper, label in ECTS_BANDS:
        if ects < upper:
            return label
    return "15+"


@dataclass(frozen=True, slots=True)
class _Table:
    columns: tuple[tuple[str, str], ...]
    """(name, DuckDB type) in order."""
    query: str
    """The SQL that reads it from the production database (both dialects), columns in the same order."""
    order: str = ""
    """The columns the Parquet file is sorted by: an issuer's rows then sit in a few row groups, which DuckDB
    skips to by their minimum and maximum (an issuer's dashboard reads its own rows, not the whole file)."""


_TS = "TIMESTAMP"
TABLES: Final[dict[str, _Table]] = {
    "awards": _Table(
        (("organisation", "BIGINT"), ("definition", "BIGINT"), ("issued", _TS), ("claimed", _TS),
         ("revoked", "BOOLEAN"), ("learner", "VARCHAR"), ("age_band", "VARCHAR"), ("gender", "VARCHAR"),
         ("education", "VARCHAR"), ("employment", "VARCHAR"), ("learner_country", "VARCHAR")),
        "SELECT d.organisation_id, d.id, a.issued_at, a.claimed_at,"
        " CASE WHEN a.revoked_at IS NULL THEN 0 ELSE 1 END,"
        " COALESCE('L' || CAST(a.learner_id AS VARCHAR(20)), a.recipient_key),"
        " p.age_band, p.gender, p.education_level, p.employment_status, p.country"
        " FROM awards a JOIN definition_versions v ON v.id = a.definition_version_id"
        " JOIN definitions d ON d.id = v.definition_id"
        " LEFT JOIN (SELECT c.award_id, MIN(w.account_id) AS account_id FROM wallet_credentials c"
        "  JOIN wallets w ON w.id = c.wallet_id WHERE c.award_id IS NOT NULL GROUP BY c.award_id) h"
        "  ON h.award_id = a.id"
        " LEFT JOIN learner_profiles p ON p.account_id = h.account_id",
    ),  # not sorted: only read once, to write the award facts (sorted)
    "shares": _Table(
        (("created", _TS), ("organisation", "BIGINT"), ("views", "BIGINT")),
        "SELECT s.created_at, a.organisation_id, s.views FROM share_links s"
        " JOIN wallet_credentials c ON c.id = s.credential_id LEFT JOIN awards a ON a.id = c.award_id",
    ),
    "pathways": _Table(
        (("organisation", "BIGINT"), ("pathway", "BIGINT"), ("started", _TS), ("completed", _TS)),
        "SELECT p.organisation_id, p.id, f.created_at,"
        " (SELECT MIN(c.decided_at) FROM pathway_claims c WHERE c.pathway_id = f.pathway_id"
        "  AND c.account_id = w.account_id AND c.state = 'awarded')"
        " FROM pathway_follows f JOIN pathways p ON p.id = f.pathway_id JOIN wallets w ON w.id = f.wallet_id",
    ),
    "recognitions": _Table(
        (
            ("organisation", "BIGINT"),
            ("created", _TS),
            ("decided", _TS),
            ("decision", "VARCHAR"),
            ("automatic", "BOOLEAN"),
        ),
        "SELECT organisation_id, created_at, decided_at, decision, CASE WHEN automatic THEN 1 ELSE 0 END"
        " FROM recognition_applications",
    ),
    "verifications": _Table(
        (("day", _TS), ("channel", "VARCHAR"), ("verifier_kind", "VARCHAR"), ("verifier_type", "VARCHAR"),
         ("verifier_country", "VARCHAR"), ("organisation", "BIGINT"), ("issuer_country", "VARCHAR"),
         ("definition", "BIGINT"), ("verified", "BOOLEAN"), ("count", "BIGINT")),
        "SELECT day, channel, verifier_kind, verifier_type, verifier_country, issuing_organisation_id,"
        " issuer_country, definition_id, CASE WHEN verified THEN 1 ELSE 0 END, count FROM verification_counts",
    ),
    "demand": _Table(
        (("month", _TS), ("kind", "VARCHAR"), ("uri", "VARCHAR"), ("count", "BIGINT")),
        "SELECT month, kind, uri, count FROM demand_counts",
    ),
    "collections": _Table(
        (("uri", "VARCHAR"), ("collection", "VARCHAR")),
        "SELECT uri, collection FROM esco_collections WHERE collection IN ('digital', 'green', 'transversal')",
    ),
}  # fmt: skip

_SMALL: Final = ("organisations", "definitions", "skills")
"""Tables built in Python from rows that need reading (documents, definitions' JSON): few rows each."""


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    """What a snapshot holds: where, when, how many rows of each table, how long it took."""

    path: Path
    created_at: datetime
    rows: dict[str, int]
    seconds: float
    table_seconds: dict[str, float] = field(default_factory=dict)
    """How long each table took (the three small ones together as ``small``): read, then written as Parquet."""


def definition_facets(content: dict[str, Any]) -> dict[str, Any]:
    """The facets analytics breaks down by, read from a definition version's stored JSON (absent ones: None)."""
    level = content.get("level") or {}
    nqf = level.get("nqf") or {}
    workload = content.get("workload") or {}
    languages = content.get("languages") or []
    ects = workload.get("ects")
    title = content.get("title") or {}
    return {
        "field": content.get("isced_f"),
        "eqf": level.get("eqf"),
        "nqf": f"{nqf['framework']}-{nqf['level']}" if nqf.get("framework") and nqf.get("level") else None,
        "ects": float(ects) if isinstance(ects, int | float) else None,
        "ects_band": ects_band(float(ects) if isinstance(ects, int | float) else None),
        "language": str(languages[0]).split("-")[0].lower() if languages else None,
        "mode": (content.get("participation") or {}).get("mode"),
        "title": title.get("en") or next(iter(title.values()), None) if isinstance(title, dict) else None,
        "skills": sorted(
            {str(uri) for outcome in content.get("learning_outcomes") or [] for uri in outcome.get("esco_skills") or []}
        ),
    }


def _dump(database: Database, query: str, path: Path) -> int:
    """Write ``query``'s rows to ``path`` as CSV (no header); the number of rows."""
    if database.dialect == "postgresql":
        raw = database.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SET TIME ZONE 'UTC'")  # timestamps are written as UTC, whatever the server's zone
            with path.open("wb") as out, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for chunk in copy:
                    out.write(chunk)
            raw.rollback()
        finally:
            raw.close()
        with path.open("rb") as counted:
            return sum(1 for _ in counted)
    rows = 0
    with database.engine.connect() as connection, path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        result = connection.execution_options(stream_results=True, yield_per=20_000).execute(text(query))
        for part in result.partitions():
            writer.writerows(_csv_values(part))
            rows += len(part)
    return rows


def _csv_values(rows: Sequence[Any]) -> Iterator[list[Any]]:
    for row in rows:
        yield ["" if v is None else v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row]


def _small_tables(database: Database) -> dict[str, tuple[tuple[tuple[str, str], ...], list[tuple[Any, ...]]]]:
    """The organisations, definitions (latest version's facets) and their skills, read and flattened in Python."""
    with database.engine.connect() as connection:
        orgs = connection.execute(text("SELECT id, slug, type, country, document FROM organisations")).all()
        latest = connection.execute(
            text(
                "SELECT d.id, d.organisation_id, d.slug, v.content FROM definitions d"
                " JOIN definition_versions v ON v.definition_id = d.id AND v.version = d.latest_version"
            )
        ).all()
        collections = connection.execute(text("SELECT uri, collection FROM esco_collections")).all()
    member: dict[str, set[str]] = {}
    for uri, collection in collections:
        member.setdefault(uri, set()).add(collection)
    organisations = []
    for oid, slug, kind, country, document in orgs:
        doc = document if isinstance(document, dict) else json.loads(document or "{}")
        name = doc.get("legal_name") or {}
        label = name.get("en") or next(iter(name.values()), slug) if isinstance(name, dict) else slug
        organisations.append((oid, slug, str(label), kind, country, doc.get("region")))
    definitions, skills = [], []
    for did, oid, slug, content in latest:
        facets = definition_facets(content if isinstance(content, dict) else json.loads(content))
        definitions.append(
            (did, oid, slug, facets["title"] or slug, facets["field"], facets["eqf"], facets["nqf"], facets["ects"],
             facets["ects_band"], facets["language"], facets["mode"])
        )  # fmt: skip
        for uri in facets["skills"]:
            found = member.get(uri, set())
            skills.append((did, uri, "digital" in found, "green" in found, "transversal" in found))
    return {
        "organisations": (
            (("id", "BIGINT"), ("slug", "VARCHAR"), ("name", "VARCHAR"), ("type", "VARCHAR"), ("country", "VARCHAR"),
             ("region", "VARCHAR")),
            organisations,
        ),
        "definitions": (
            (("id", "BIGINT"), ("organisation", "BIGINT"), ("slug", "VARCHAR"), ("title", "VARCHAR"),
             ("field", "VARCHAR"), ("eqf", "INTEGER"), ("nqf", "VARCHAR"), ("ects", "DOUBLE"), ("ects_band", "VARCHAR"),
             ("language", "VARCHAR"), ("mode", "VARCHAR")),
            definitions,
        ),
        "skills": (
            (("definition", "BIGINT"), ("skill", "VARCHAR"), ("digital", "BOOLEAN"), ("green", "BOOLEAN"),
             ("transversal", "BOOLEAN")),
            skills,
        ),
    }  # fmt: skip


_BATCH: Final = 500
"""Rows of a small table sent to DuckDB in one INSERT."""


def _write_small(connection: duckdb.DuckDBPyConnection, name: str, columns: Iterable[tuple[str, str]],
                 rows: list[tuple[Any, ...]], target: Path) -> None:  # fmt: skip
    cols = list(columns)
    # names and types are this module's constants; the paths are folders it made
    connection.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in cols)})")
    # Many rows to one INSERT: DuckDB's executemany runs a statement per row (milliseconds each).
    row = f"({', '.join('?' for _ in cols)})"
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        values = [value for one in batch for value in one]
        connection.execute(f"INSERT INTO {name} VALUES {', '.join(row for _ in batch)}", values)  # noqa: S608
    connection.execute(f"COPY {name} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")


def _convert(connection: duckdb.DuckDBPyConnection, table: _Table, source: Path, target: Path) -> None:
    """CSV ``source`` to Parquet ``target``: typed, timestamps cut to the second, learners hashed."""
    names = [c for c, _ in table.columns]
    types = {c: ("VARCHAR" if t == _TS else t) for c, t in table.columns}
    select = []
    for name, kind in table.columns:
        if kind == _TS:
            select.append(f"TRY_CAST(substr({name}, 1, 19) AS TIMESTAMP) AS {name}")
        elif name == "learner":
            select.append("hash(learner) AS learner")
        else:
            select.append(name)
    read = (
        f"read_csv('{source}', header=false, columns={{{', '.join(f'{n!r}: {types[n]!r}' for n in names)}}},"
        " nullstr='', quote='\"', escape='\"')"
    )
    if source.stat().st_size == 0:  # a table with no rows: DuckDB cannot sniff an empty file, so none is read
        connection.execute(f"CREATE OR REPLACE TEMP TABLE no_rows ({', '.join(f'{n} {types[n]}' for n in names)})")
        read = "no_rows"
    order = f" ORDER BY {table.order}" if table.order else ""
    sql = f"COPY (SELECT {', '.join(select)} FROM {read}{order}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)"  # noqa: S608
    connection.execute(sql)


FACTS_ROW_GROUP: Final = 122_880
"""Rows of a Parquet row group of the award facts (DuckDB's default; its minimum and maximum let a scan skip it)."""


def _award_facts(connection: duckdb.DuckDBPyConnection, work: Path) -> None:
    """Write :data:`AWARD_FACTS` from ``awards.parquet`` (then removed), the definitions and the organisations: one
    row per award with every column a breakdown or filter reads, so that a query reads the columns it needs and
    joins nothing. Strings are dictionary-encoded by Parquet; ids and small numbers are 32-bit; the learner is a
    dense 32-bit number (1 to the snapshot's learners, given in the order of their 64-bit hash, so it tells
    nothing a hash does not: it means something only within this snapshot). Sorted by organisation and issue date,
    as the awards were: an issuer's rows sit in a few row groups."""
    awards, definitions, organisations = (work / f"{n}.parquet" for n in ("awards", "definitions", "organisations"))
    # the paths are folders this module made
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE learner_ids AS SELECT learner,"  # noqa: S608
        " CAST(row_number() OVER (ORDER BY learner) AS INTEGER) AS id"
        f" FROM (SELECT DISTINCT learner FROM '{awards}' WHERE learner IS NOT NULL)"
    )
    connection.execute(
        f"""COPY (
        SELECT CAST(a.organisation AS INTEGER) AS organisation, CAST(a.definition AS INTEGER) AS definition,
               a.issued, a.claimed, a.revoked, date_trunc('month', a.issued) AS month,
               CAST(date_diff('day', a.issued, a.claimed) AS INTEGER) AS claim_days, o.slug AS issuer,
               o.type AS issuer_type, o.country, o.region, d.field, substr(d.field, 1, 2) AS field_broad,
               CAST(d.eqf AS TINYINT) AS eqf, d.nqf, d.ects_band, d.language, d.mode, a.age_band, a.gender,
               a.education, a.employment, a.learner_country, l.id AS learner
        FROM '{awards}' a JOIN '{definitions}' d ON d.id = a.definition
        JOIN '{organisations}' o ON o.id = a.organisation LEFT JOIN learner_ids l ON l.learner = a.learner
        ORDER BY a.organisation, a.issued
        ) TO '{work / AWARD_FACTS}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {FACTS_ROW_GROUP})"""  # noqa: S608
    )
    connection.execute("DROP TABLE learner_ids")
    awards.unlink()


def _fixed_panels(*audiences: Audience) -> list[Query]:
    """Every panel of the dashboards of ``audiences`` (all: none given) as first shown (no period, filter or
    scope), each once."""
    panels = {(p.indicator, p.by) for a, view in VIEWS.items() if not audiences or a in audiences for p in view}
    return [Query(indicator, by) for indicator, by in sorted(panels)]


def _organisation_ids(work: Path) -> list[int]:
    connection = connect()
    try:
        return [int(r[0]) for r in connection.execute(f"SELECT id FROM '{work}/organisations.parquet'").fetchall()]  # noqa: S608
    finally:
        connection.close()


def export_snapshot(
    database: Database, directory: Path, *, now: datetime, scopes: Sequence[tuple[int, ...]] = ()
) -> SnapshotInfo:
    """Export a new snapshot into a new folder under ``directory`` (written whole, then renamed into place), with
    the first view of every dashboard precomputed: everyone's, each organisation's own, and each of ``scopes``
    (the organisations a registry accredits)."""
    started = datetime.now().timestamp()
    directory.mkdir(parents=True, exist_ok=True)
    name = now.strftime("%Y%m%dT%H%M%S%fZ")
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=directory))
    rows: dict[str, int] = {}
    timings: dict[str, float] = {}
    try:
        connection = connect()
        spill = work / ".spill"  # sorting a large table may spill to disk: into the work folder, removed after
        connection.execute(f"SET temp_directory = '{spill}'")
        try:
            for table_name, (columns, values) in _small_tables(database).items():
                _write_small(connection, table_name, columns, values, work / f"{table_name}.parquet")
                rows[table_name] = len(values)
            timings["small"] = round(datetime.now().timestamp() - started, 3)
            for table_name, table in TABLES.items():
                begun = datetime.now().timestamp()
                source = work / f"{table_name}.csv"
                rows[table_name] = _dump(database, table.query, source)
                _convert(connection, table, source, work / f"{table_name}.parquet")
                source.unlink()
                if table_name == "awards":
                    _award_facts(connection, work)
                timings[table_name] = round(datetime.now().timestamp() - begun, 3)
        finally:
            connection.close()
            shutil.rmtree(spill, ignore_errors=True)
        begun = datetime.now().timestamp()
        engine = Engine(work)
        try:
            rows["precomputed"] = engine.precompute(
                _fixed_panels("ministry", "open"),
                work / PRECOMPUTED,
                per_organisation=_fixed_panels("issuer"),
                organisations=_organisation_ids(work),
                scoped=_fixed_panels("registry"),
                scopes=[s for s in dict.fromkeys(scopes) if s],
            )
        finally:
            engine.close()
        timings["precomputed"] = round(datetime.now().timestamp() - begun, 3)
        seconds = round(datetime.now().timestamp() - started, 3)
        meta = {"created_at": now.isoformat(), "rows": rows, "seconds": seconds}
        (work / "snapshot.json").write_text(json.dumps(meta), encoding="utf-8")
        final = directory / name
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return SnapshotInfo(final, now, rows, seconds, timings)
