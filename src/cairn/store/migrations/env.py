"""Alembic environment: runs on the engine Cairn hands over (config.attributes["engine"]).

On PostgreSQL the migrations run under a transaction-level advisory lock: several ``cairn serve`` processes
starting at once on one database migrate one after another, and those that come after the first find the
schema current and do nothing (without it, two would create the same tables and one would fail)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from cairn.store.database import SQLITE_IMMEDIATE
from cairn.store.tables import Base

MIGRATION_LOCK = 0x43A1_2D00_6D16
"""The advisory lock key migrations hold (any constant no other lock of Cairn's uses: those hash text keys)."""

config = context.config
engine = config.attributes["engine"]

# on SQLite as the writer from the start: the migrations read the schema before they change it, and a reader that
# turns writer fails at once when another process (another `cairn serve` starting) wrote in between
with engine.connect().execution_options(**{SQLITE_IMMEDIATE: True}) as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":  # released when the transaction ends
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()
    connection.commit()
