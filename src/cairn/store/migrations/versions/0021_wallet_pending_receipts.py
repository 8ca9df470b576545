"""wallet pending receipts: deferred OpenID4VCI transactions Cairn's wallet waits on (a new table, nothing altered)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "wallet_pending_receipts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("wallet_id", _ID, nullable=False),
        sa.Column("credential_issuer", sa.String(length=2000), nullable=False),
        sa.Column("issuer_name", sa.String(length=500), nullable=True),
        sa.Column("deferred_endpoint", sa.String(length=2000), nullable=False),
        sa.Column("notification_endpoint", sa.String(length=2000), nullable=True),
        sa.Column("configuration", sa.String(length=200), nullable=False),
        sa.Column("configuration_name", sa.String(length=500), nullable=False),
        sa.Column("draft13", sa.Boolean(), nullable=False),
        sa.Column("holder_did", sa.String(length=200), nullable=False),
        sa.Column("key_type", sa.String(length=20), nullable=False),
        sa.Column("token_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("transaction_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("next_check_at", _AT, nullable=False),
        sa.Column("checked_at", _AT, nullable=True),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("ended_at", _AT, nullable=True),
        sa.Column("ended", _JSON, nullable=True),
        sa.ForeignKeyConstraint(
            ["wallet_id"],
            ["wallets.id"],
            name=op.f("fk_wallet_pending_receipts_wallet_id_wallets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_pending_receipts")),
    )
    with op.batch_alter_table("wallet_pending_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_pending_receipts_wallet_id"), ["wallet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_pending_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_pending_receipts_wallet_id"))
    op.drop_table("wallet_pending_receipts")
