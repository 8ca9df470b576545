"""issuing: accounts, memberships, API tokens, sessions, sign-in links, outbox, bulk jobs; award status slots

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:57:51.072524
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=500), nullable=True),
        sa.Column("display_name", sa.String(length=500), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "sign_in_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column(
            "scopes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["accounts.id"], name=op.f("fk_api_tokens_created_by_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_tokens_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "memberships",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_memberships_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_memberships_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("account_id", "organisation_id", name="uq_memberships_member"),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_web_sessions_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_account_id"), ["account_id"], unique=False)

    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("done_rows", sa.Integer(), nullable=False),
        sa.Column("failed_rows", sa.Integer(), nullable=False),
        sa.Column(
            "report", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_version_id"],
            ["definition_versions.id"],
            name=op.f("fk_bulk_jobs_definition_version_id_definition_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_bulk_jobs_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_jobs_organisation_id"), ["organisation_id"], unique=False)

    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revocation_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(
            sa.Column("suspension_list_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("revocation_reason", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.String(length=1000), nullable=True))
        batch_op.add_column(
            sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("suite", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("credential_jwt", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("claim_token_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("bulk_job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.add_column(sa.Column("row_number", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_awards_bulk_job_id"), ["bulk_job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_awards_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_awards_claim_token_hash"), ["claim_token_hash"])
        batch_op.create_unique_constraint("uq_awards_revocation_slot", ["revocation_list_id", "revocation_index"])
        batch_op.create_unique_constraint("uq_awards_suspension_slot", ["suspension_list_id", "suspension_index"])
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_revocation_list_id_status_lists"),
            "status_lists",
            ["revocation_list_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_bulk_job_id_bulk_jobs"), "bulk_jobs", ["bulk_job_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_awards_suspension_list_id_status_lists"),
            "status_lists",
            ["suspension_list_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signing_suite", sa.String(length=40), server_default="eddsa-rdfc-2022", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_column("signing_suite")

    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_awards_suspension_list_id_status_lists"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_awards_bulk_job_id_bulk_jobs"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_awards_revocation_list_id_status_lists"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_awards_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_constraint("uq_awards_suspension_slot", type_="unique")
        batch_op.drop_constraint("uq_awards_revocation_slot", type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_awards_claim_token_hash"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_awards_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_awards_bulk_job_id"))
        batch_op.drop_column("row_number")
        batch_op.drop_column("bulk_job_id")
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claim_token_hash")
        batch_op.drop_column("credential_jwt")
        batch_op.drop_column("suite")
        batch_op.drop_column("organisation_id")
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("revocation_reason")
        batch_op.drop_column("suspension_list_id")
        batch_op.drop_column("revocation_list_id")

    with op.batch_alter_table("bulk_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_jobs_organisation_id"))

    op.drop_table("bulk_jobs")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_account_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_organisation_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_organisation_id"))

    op.drop_table("api_tokens")
    op.drop_table("sign_in_links")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))

    op.drop_table("outbox")
    op.drop_table("accounts")
