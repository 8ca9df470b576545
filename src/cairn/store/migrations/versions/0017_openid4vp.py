"""openid4vp: organisations' presentation requests (OpenID for Verifiable Presentations) and what answered them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "presentation_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=1000), nullable=False),
        sa.Column("dcql", _JSON, nullable=False),
        sa.Column("client_prefix", sa.String(length=40), nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("answered_at", _AT, nullable=True),
        sa.Column("result", _JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_presentation_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presentation_requests")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_presentation_requests_handle_hash")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_presentation_requests_state_hash")),
    )
    with op.batch_alter_table("presentation_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presentation_requests_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("presentation_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presentation_requests_organisation_id"))
    op.drop_table("presentation_requests")
