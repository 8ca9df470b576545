"""endorsements: an organisation's signed Open Badges 3.0 EndorsementCredential of an achievement

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-27 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "endorsements",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=2000), nullable=False),
        sa.Column("achievement_key", sa.String(length=64), nullable=False),
        sa.Column("definition_slug", sa.String(length=80), nullable=True),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_endorsements_award_id_awards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_endorsements_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_endorsements")),
        sa.UniqueConstraint("award_id", name="uq_endorsements_award_id"),
    )
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endorsements_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index("ix_endorsements_definition", ["definition_slug", "withdrawn_at"], unique=False)
        batch_op.create_index("ix_endorsements_achievement", ["achievement_key", "withdrawn_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("endorsements", schema=None) as batch_op:
        batch_op.drop_index("ix_endorsements_achievement")
        batch_op.drop_index("ix_endorsements_definition")
        batch_op.drop_index(batch_op.f("ix_endorsements_organisation_id"))
    op.drop_table("endorsements")
