"""openid4vci: credential offers of a learner's award, the access tokens wallets redeem them for, the copies issued,
and the nonces used up

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "credential_offers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("handle_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_tries", sa.Integer(), nullable=False),
        sa.Column("configurations", sa.String(length=500), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("redeemed_at", _AT, nullable=True),
        sa.Column("dead_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_credential_offers_award_id_awards"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_credential_offers_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offers")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_credential_offers_code_hash")),
        sa.UniqueConstraint("handle_hash", name=op.f("uq_credential_offers_handle_hash")),
    )
    with op.batch_alter_table("credential_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_offers_award_id"), ["award_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_offers_account_id"), ["account_id"], unique=False)
    op.create_table(
        "credential_offer_tokens",
        sa.Column("id", _ID, nullable=False),
        sa.Column("offer_id", _ID, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_credential_offer_tokens_offer_id_credential_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offer_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_credential_offer_tokens_token_hash")),
    )
    with op.batch_alter_table("credential_offer_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_offer_tokens_offer_id"), ["offer_id"], unique=False)
    op.create_table(
        "credential_offer_issued",
        sa.Column("id", _ID, nullable=False),
        sa.Column("token_id", _ID, nullable=False),
        sa.Column("notification_id", sa.String(length=64), nullable=False),
        sa.Column("configuration", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("event", sa.String(length=40), nullable=True),
        sa.Column("event_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["credential_offer_tokens.id"],
            name=op.f("fk_credential_offer_issued_token_id_credential_offer_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offer_issued")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_credential_offer_issued_notification_id")),
    )
    with op.batch_alter_table("credential_offer_issued", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_offer_issued_token_id"), ["token_id"], unique=False)
    op.create_table(
        "credential_nonces_used",
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash", name=op.f("pk_credential_nonces_used")),
    )
    with op.batch_alter_table("credential_nonces_used", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_nonces_used_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_nonces_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_nonces_used_expires_at"))
    op.drop_table("credential_nonces_used")
    with op.batch_alter_table("credential_offer_issued", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_offer_issued_token_id"))
    op.drop_table("credential_offer_issued")
    with op.batch_alter_table("credential_offer_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_offer_tokens_offer_id"))
    op.drop_table("credential_offer_tokens")
    with op.batch_alter_table("credential_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_offers_account_id"))
        batch_op.drop_index(batch_op.f("ix_credential_offers_award_id"))
    op.drop_table("credential_offers")
