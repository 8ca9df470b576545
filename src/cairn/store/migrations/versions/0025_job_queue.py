"""job queue: bulk uploads run as jobs; on PostgreSQL, procrastinate's tables in a schema of their own

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 05:00:00

On PostgreSQL the queue (procrastinate 3.x, :mod:`cairn.services.jobs.queue`) keeps its jobs in the schema
``procrastinate``: its schema.sql is applied there, so Cairn's own schema (and the check that the migrations match
the tables) does not see it. On SQLite the queue lives in memory and nothing is made here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_SCHEMA = "procrastinate"


def _procrastinate_schema() -> str:
    from procrastinate.schema import SchemaManager

    return str(SchemaManager.get_schema()).replace("%", "%%")  # the driver reads % as a placeholder


def upgrade() -> None:
    op.create_table(
        "bulk_uploads",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("definition", sa.String(length=80), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "report", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bulk_uploads_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_uploads")),
        sa.UniqueConstraint(
            "organisation_id",
            "definition",
            "file_sha256",
            name=op.f("uq_bulk_uploads_organisation_id"),
        ),
    )
    with op.batch_alter_table("bulk_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_uploads_organisation_id"), ["organisation_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
        bind.exec_driver_sql(f"SET LOCAL search_path TO {_SCHEMA}")
        bind.exec_driver_sql(_procrastinate_schema())
        bind.exec_driver_sql("SET LOCAL search_path TO DEFAULT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(f"DROP SCHEMA IF EXISTS {_SCHEMA} CASCADE")
    with op.batch_alter_table("bulk_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_uploads_organisation_id"))
    op.drop_table("bulk_uploads")
