"""wallet: wallets, wallet credentials, collections, share links

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:47:37.706094
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("did", sa.String(length=200), nullable=False),
        sa.Column("private_key_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("profile_slug", sa.String(length=80), nullable=True),
        sa.Column("profile_name", sa.String(length=500), nullable=True),
        sa.Column("profile_public", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_wallets_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallets")),
        sa.UniqueConstraint("account_id", name=op.f("uq_wallets_account_id")),
        sa.UniqueConstraint("profile_slug", name=op.f("uq_wallets_profile_slug")),
    )
    op.create_table(
        "wallet_collections",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("wallet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name=op.f("fk_wallet_collections_wallet_id_wallets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_collections")),
        sa.UniqueConstraint("wallet_id", "name", name="uq_wallet_collections_name"),
    )
    op.create_table(
        "wallet_credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("wallet_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("original", sa.Text(), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("issuer_name", sa.String(length=500), nullable=True),
        sa.Column("issuer_id", sa.String(length=2000), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "report", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "tags", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_wallet_credentials_award_id_awards"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["wallet_id"], ["wallets.id"], name=op.f("fk_wallet_credentials_wallet_id_wallets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wallet_credentials")),
        sa.UniqueConstraint("wallet_id", "content_hash", name="uq_wallet_credentials_content"),
    )
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_credentials_award_id"), ["award_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wallet_credentials_wallet_id"), ["wallet_id"], unique=False)

    op.create_table(
        "share_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("last_viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["wallet_credentials.id"],
            name=op.f("fk_share_links_credential_id_wallet_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_links")),
        sa.UniqueConstraint("token", name=op.f("uq_share_links_token")),
    )
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_links_credential_id"), ["credential_id"], unique=False)

    op.create_table(
        "wallet_collection_items",
        sa.Column("collection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["wallet_collections.id"],
            name=op.f("fk_wallet_collection_items_collection_id_wallet_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["wallet_credentials.id"],
            name=op.f("fk_wallet_collection_items_credential_id_wallet_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "credential_id", name=op.f("pk_wallet_collection_items")),
    )
    with op.batch_alter_table("wallet_collection_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_collection_items_credential_id"), ["credential_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wallet_collection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_collection_items_credential_id"))

    op.drop_table("wallet_collection_items")
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_links_credential_id"))

    op.drop_table("share_links")
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_credentials_wallet_id"))
        batch_op.drop_index(batch_op.f("ix_wallet_credentials_award_id"))

    op.drop_table("wallet_credentials")
    op.drop_table("wallet_collections")
    op.drop_table("wallets")
