"""openid4vci deferred: offers at enrolment (before the award: organisation, definition, learner, how long to wait,
withdrawal), the access tokens' longer life at the deferred endpoint, and the deferred issuance transactions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


_DEPENDENT = {
    # table: which of its saved rows may come back (those whose parent is still there)
    "credential_offer_tokens": "offer_id IN (SELECT id FROM credential_offers)",
    "credential_offer_issued": "token_id IN (SELECT id FROM credential_offer_tokens)",
    "credential_authorizations": "offer_id IS NULL OR offer_id IN (SELECT id FROM credential_offers)",
}


def _columns(table: str) -> list[str]:
    return [str(row[1]) for row in op.get_bind().execute(sa.text(f"PRAGMA table_info({table})"))]


@contextmanager
def _rows_kept() -> Iterator[None]:
    """On SQLite, rebuilding credential_offers (or the tokens) drops the old table, and with foreign keys on that
    deletes the rows referring to it (ON DELETE CASCADE): keep them aside and put them back."""
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    for table in _DEPENDENT:
        op.execute(f"DROP TABLE IF EXISTS temp._kept_{table}")
        op.execute(f"CREATE TEMP TABLE _kept_{table} AS SELECT * FROM {table}")  # noqa: S608 (names of ours)
    yield
    for table, parent_there in _DEPENDENT.items():
        columns = ", ".join(c for c in _columns(f"_kept_{table}") if c in set(_columns(table)))
        op.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _kept_{table} "  # noqa: S608 (names of ours)
            f"WHERE id NOT IN (SELECT id FROM {table}) AND ({parent_there})"
        )
        op.execute(f"DROP TABLE temp._kept_{table}")


def upgrade() -> None:
    with _rows_kept(), op.batch_alter_table("credential_offers", schema=None) as batch_op:
        batch_op.alter_column("award_id", existing_type=sa.String(length=36), nullable=True)
        batch_op.alter_column("account_id", existing_type=_ID, nullable=True)
        batch_op.add_column(sa.Column("organisation_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("definition_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("recipient_key", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("recipient_did", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("defer_until", _AT, nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", _AT, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credential_offers_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credential_offers_definition_id_definitions"),
            "definitions",
            ["definition_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_credential_offers_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credential_offers_definition_id"), ["definition_id"], unique=False)
    with op.batch_alter_table("credential_offer_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deferred_until", _AT, nullable=True))
    op.create_table(
        "credential_deferred",
        sa.Column("id", _ID, nullable=False),
        sa.Column("token_id", _ID, nullable=False),
        sa.Column("transaction_hash", sa.String(length=64), nullable=False),
        sa.Column("configuration", sa.String(length=100), nullable=False),
        sa.Column("holders", _JSON, nullable=False),
        sa.Column("draft13", sa.Boolean(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("delivered_at", _AT, nullable=True),
        sa.Column("notification_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["credential_offer_tokens.id"],
            name=op.f("fk_credential_deferred_token_id_credential_offer_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_deferred")),
        sa.UniqueConstraint("transaction_hash", name=op.f("uq_credential_deferred_transaction_hash")),
    )
    with op.batch_alter_table("credential_deferred", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_deferred_token_id"), ["token_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credential_deferred", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_deferred_token_id"))
    op.drop_table("credential_deferred")
    with _rows_kept(), op.batch_alter_table("credential_offer_tokens", schema=None) as batch_op:
        batch_op.drop_column("deferred_until")
    # Offers at enrolment have no award or account; they cannot survive a downgrade.
    op.execute("DELETE FROM credential_offers WHERE award_id IS NULL OR account_id IS NULL")
    with _rows_kept(), op.batch_alter_table("credential_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_offers_definition_id"))
        batch_op.drop_index(batch_op.f("ix_credential_offers_organisation_id"))
        batch_op.drop_constraint(batch_op.f("fk_credential_offers_definition_id_definitions"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_credential_offers_organisation_id_organisations"), type_="foreignkey")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("defer_until")
        batch_op.drop_column("recipient_did")
        batch_op.drop_column("recipient_key")
        batch_op.drop_column("definition_id")
        batch_op.drop_column("organisation_id")
        batch_op.alter_column("account_id", existing_type=_ID, nullable=False)
        batch_op.alter_column("award_id", existing_type=sa.String(length=36), nullable=False)
