"""stackable pathways: versions, follows, composite claims

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 18:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "pathways",
        sa.Column("id", _ID, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_pathways_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathways")),
        sa.UniqueConstraint("slug", name="uq_pathways_slug"),
    )
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathways_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "pathway_follows",
        sa.Column("id", _ID, nullable=False),
        sa.Column("wallet_id", _ID, nullable=False),
        sa.Column("pathway_id", _ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_follows_pathway_id_pathways"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name=op.f("fk_pathway_follows_wallet_id_wallets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_follows")),
        sa.UniqueConstraint("wallet_id", "pathway_id", name="uq_pathway_follows"),
    )
    with op.batch_alter_table("pathway_follows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_follows_pathway_id"), ["pathway_id"], unique=False)

    op.create_table(
        "pathway_versions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("pathway_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_versions_pathway_id_pathways"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_versions")),
        sa.UniqueConstraint("pathway_id", "version", name="uq_pathway_versions_version"),
    )
    op.create_table(
        "pathway_claims",
        sa.Column("id", _ID, nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("pathway_id", _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=2000), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("evaluation", _JSON, nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_pathway_claims_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_pathway_claims_award_id_awards"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pathway_id"], ["pathways.id"], name=op.f("fk_pathway_claims_pathway_id_pathways"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pathway_claims")),
        sa.UniqueConstraint("public_id", name="uq_pathway_claims_public_id"),
    )
    with op.batch_alter_table("pathway_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pathway_claims_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pathway_claims_award_id"), ["award_id"], unique=False)
        batch_op.create_index("ix_pathway_claims_holder", ["holder"], unique=False)
        batch_op.create_index("ix_pathway_claims_pathway_state", ["pathway_id", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pathway_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_pathway_claims_pathway_state")
        batch_op.drop_index("ix_pathway_claims_holder")
        batch_op.drop_index(batch_op.f("ix_pathway_claims_award_id"))
        batch_op.drop_index(batch_op.f("ix_pathway_claims_account_id"))

    op.drop_table("pathway_claims")
    op.drop_table("pathway_versions")
    with op.batch_alter_table("pathway_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathway_follows_pathway_id"))

    op.drop_table("pathway_follows")
    with op.batch_alter_table("pathways", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pathways_organisation_id"))

    op.drop_table("pathways")
