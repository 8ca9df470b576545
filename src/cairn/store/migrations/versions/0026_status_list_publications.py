"""status list publications: the signed forms of each status list, stored once for every process

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_list_publications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("list_id", _ID, nullable=False),
        sa.Column("form", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(length=40), nullable=False),
        sa.Column("suspensions", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("signed_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["status_lists.id"],
            name=op.f("fk_status_list_publications_list_id_status_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_list_publications")),
        sa.UniqueConstraint("list_id", "form", name="uq_status_list_publications_form"),
    )


def downgrade() -> None:
    op.drop_table("status_list_publications")
