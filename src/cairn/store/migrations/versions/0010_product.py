"""badge images and logos, draft definitions, award validity and renewal, claim tracking, wallet status notices

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", _ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_images_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
        sa.UniqueConstraint("sha256", name=op.f("uq_images_sha256")),
    )
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_images_organisation_id"), ["organisation_id"], unique=False)
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=False, server_default="published"))
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("renewed_from", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("claim_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claim_sends", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_renewed_from_awards"), "awards", ["renewed_from"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_seen", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.drop_column("status_seen")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_awards_renewed_from_awards"), type_="foreignkey")
        batch_op.drop_column("claim_sends")
        batch_op.drop_column("claim_sent_at")
        batch_op.drop_column("renewed_from")
        batch_op.drop_column("valid_until")
    with op.batch_alter_table("definitions", schema=None) as batch_op:
        batch_op.drop_column("state")
    with op.batch_alter_table("images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_images_organisation_id"))
    op.drop_table("images")
