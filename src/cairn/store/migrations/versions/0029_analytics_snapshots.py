"""analytics snapshots: the Parquet files a refresh exports, kept in pieces so that every process reads the same

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "analytics_snapshots",
        sa.Column("id", _ID, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("meta", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_snapshots")),
    )
    op.create_table(
        "analytics_snapshot_chunks",
        sa.Column("snapshot_id", _ID, nullable=False),
        sa.Column("file", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"], ["analytics_snapshots.id"],
            name=op.f("fk_analytics_snapshot_chunks_snapshot_id_analytics_snapshots"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "file", "seq", name=op.f("pk_analytics_snapshot_chunks")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("analytics_snapshot_chunks")
    op.drop_table("analytics_snapshots")
