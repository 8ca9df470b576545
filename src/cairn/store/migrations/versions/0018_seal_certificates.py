"""seal certificates: an organisation's X.509 seal certificate chain and its encrypted private key, for sealing
European Digital Credentials with JAdES

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "seal_certificates",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("chain_pem", sa.Text(), nullable=False),
        sa.Column("key_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("key_type", sa.String(length=20), nullable=False),
        sa.Column("thumbprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("not_before", _AT, nullable=False),
        sa.Column("not_after", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("retired_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_seal_certificates_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seal_certificates")),
    )
    with op.batch_alter_table("seal_certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seal_certificates_organisation_id"), ["organisation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seal_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seal_certificates_organisation_id"))
    op.drop_table("seal_certificates")
