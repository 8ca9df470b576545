"""openid4vci authorization: the authorisation requests (pushed, RFC 9126) and codes of the authorization code flow

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credential_authorizations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("request_uri_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=500), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("configurations", sa.String(length=500), nullable=False),
        sa.Column("details", sa.Boolean(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("decided_at", _AT, nullable=True),
        sa.Column("denied", sa.Boolean(), nullable=False),
        sa.Column("offer_id", _ID, nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", _AT, nullable=True),
        sa.Column("code_used_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_credential_authorizations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_credential_authorizations_offer_id_credential_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_authorizations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_credential_authorizations_code_hash")),
        sa.UniqueConstraint("request_uri_hash", name=op.f("uq_credential_authorizations_request_uri_hash")),
    )
    with op.batch_alter_table("credential_authorizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_authorizations_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_authorizations_offer_id"), ["offer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_authorizations_offer_id"))
        batch_op.drop_index(batch_op.f("ix_credential_authorizations_account_id"))
    op.drop_table("credential_authorizations")
