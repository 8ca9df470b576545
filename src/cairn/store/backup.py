"""Every table's rows out of one database and into another, as plain JSON values (for ``cairn backup``/``restore``).

Rows are read in one consistent snapshot (:func:`snapshot`) a batch at a time, and written back with their own
ids; values become JSON by their column's type (timestamps as ISO 8601 in UTC, bytes as base64), so an archive
made on SQLite restores on PostgreSQL and the other way round.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    LargeBinary,
    Table,
    bindparam,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

import cairn.store.tables  # noqa: F401  (every table module registers itself on the metadata)
from cairn.store.base import Base
from cairn.store.database import SQLITE_IMMEDIATE, Database

__all__ = [
    "SEEDED",
    "clear_tables",
    "insert_rows",
    "read_rows",
    "reset_sequences",
    "row_counts",
    "snapshot",
    "tables",
    "writing",
]

SEEDED = frozenset({"trust_state"})
"""Tables whose rows a migration inserts (their rows do not make a database non-empty)."""
BATCH = 1000
_NULLABLE_JSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


DERIVED = frozenset({"analytics_snapshots", "analytics_snapshot_chunks"})
"""Tables of data derived from the others, made again by a job (an analytics refresh): not backed up."""


def tables() -> list[Table]:
    """Every table but the derived ones, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in DERIVED]


@contextmanager
def snapshot(database: Database) -> Iterator[tuple[Connection, str | None]]:
    """A connection in one read-only transaction that sees a single moment (SERIALIZABLE READ ONLY DEFERRABLE on
    PostgreSQL; a read transaction in SQLite's WAL mode), and the schema revision it sees."""
    with database.engine.connect() as conn:
        if database.dialect == "postgresql":
            conn = conn.execution_options(
                isolation_level="SERIALIZABLE", postgresql_readonly=True, postgresql_deferrable=True
            )
        with conn.begin():
            yield conn, MigrationContext.configure(conn).get_current_revision()


@contextmanager
def writing(database: Database) -> Iterator[Connection]:
    """A connection in one writing transaction: committed when the block ends, rolled back on any error."""
    with database.engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_IMMEDIATE: True})
        with conn.begin():
            yield conn


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def read_rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of ``table`` in primary-key order as JSON values, fetched :data:`BATCH` at a time."""
    query = select(table).order_by(*table.primary_key.columns)
    for row in conn.execution_options(yield_per=BATCH).execute(query).mappings():
        yield {name: _encode(value) for name, value in row.items()}


def row_counts(conn: Connection) -> dict[str, int]:
    """How many rows each table holds."""
    return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables()}


def clear_tables(conn: Connection) -> None:
    """Delete every row of every table, children first."""
    for table in reversed(tables()):
        conn.execute(table.delete())


def _decoder(table: Table) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, LargeBinary):
            kinds[column.name] = base64.b64decode
        elif isinstance(kind, DateTime) or isinstance(getattr(kind, "impl", None), DateTime):
            kinds[column.name] = datetime.fromisoformat
        elif isinstance(kind, Date):
            kinds[column.name] = date.fromisoformat
    return kinds


def _insert(table: Table) -> Any:
    # A nullable JSON column's None goes back as SQL NULL (the JSON type would write the JSON text 'null').
    return table.insert().values(
        {
            c.name: bindparam(c.name, type_=_NULLABLE_JSON if isinstance(c.type, JSON) and c.nullable else c.type)
            for c in table.columns
        }
    )


def insert_rows(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> Iterator[int]:
    """Insert ``rows`` (as :func:`read_rows` gave them) with their own keys, yielding the running count after each
    batch. Columns that refer to the same table are filled in afterwards, so a row may refer to a later one."""
    names = {c.name for c in table.columns}
    decode = _decoder(table)
    own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    keys = [c.name for c in table.primary_key.columns]
    later: list[dict[str, Any]] = []
    statement = _insert(table)
    batch: list[dict[str, Any]] = []
    done = 0
    for record in rows:
        if set(record) != names:
            raise ValueError(f"the rows of {table.name} do not have its columns")
        row = {k: (decode[k](v) if v is not None and k in decode else v) for k, v in record.items()}
        if any(row[name] is not None for name in own):
            later.append({**{f"k_{k}": row[k] for k in keys}, **{name: row[name] for name in own}})
            row.update(dict.fromkeys(own))
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(statement, batch)
            done += len(batch)
            batch = []
            yield done
    if batch:
        conn.execute(statement, batch)
        done += len(batch)
        yield done
    if later:
        where = [table.c[k] == bindparam(f"k_{k}") for k in keys]
        conn.execute(update(table).where(*where).values({n: bindparam(n) for n in own}), later)


def reset_sequences(conn: Connection) -> None:
    """Move each PostgreSQL sequence past the largest id restored (SQLite follows explicit ids by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        column = table.autoincrement_column
        if column is None:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({column.name}), 0) + 1, false) "  # noqa: S608
                f"FROM {table.name}"
            ),
            {"t": table.name, "c": column.name},
        )
