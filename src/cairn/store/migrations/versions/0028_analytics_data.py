"""analytics data: verification and demand counts, learners' consented profiles (issue 18)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "verification_counts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("verifier_kind", sa.String(length=20), nullable=False),
        sa.Column("verifier_type", sa.String(length=40), nullable=True),
        sa.Column("verifier_country", sa.String(length=2), nullable=True),
        sa.Column("issuing_organisation_id", sa.Integer(), nullable=True),
        sa.Column("issuer_country", sa.String(length=2), nullable=True),
        sa.Column("definition_id", sa.Integer(), nullable=True),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_counts")),
        sa.UniqueConstraint("key", name=op.f("uq_verification_counts_key")),
    )
    with op.batch_alter_table("verification_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_counts_day"), ["day"], unique=False)
    op.create_table(
        "demand_counts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("uri", sa.String(length=250), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_counts")),
        sa.UniqueConstraint("key", name=op.f("uq_demand_counts_key")),
    )
    with op.batch_alter_table("demand_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_counts_month"), ["month"], unique=False)
    op.create_table(
        "learner_profiles",
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("age_band", sa.String(length=10), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("education_level", sa.String(length=10), nullable=False),
        sa.Column("employment_status", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=True),
        sa.Column("consent_version", sa.String(length=20), nullable=False),
        sa.Column("consent_given_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_learner_profiles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_learner_profiles")),
    )


def downgrade() -> None:
    op.drop_table("learner_profiles")
    with op.batch_alter_table("demand_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_counts_month"))
    op.drop_table("demand_counts")
    with op.batch_alter_table("verification_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_counts_day"))
    op.drop_table("verification_counts")
