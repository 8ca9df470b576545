"""wallet credentials say whether they are about their holder; co-awarding organisations accept or decline

``wallet_credentials.holder_match``: ``holder`` when the credential names the wallet's holder (the wallet's DID,
or the account's verified email address in a hashed or plain identifier), ``someone-else`` when it names another
person, ``unknown`` when it names nobody. Rows stored before are set by the same rule
(:func:`cairn.vc.holder.holder_match`, pure), and a credential claimed through this instance's claim flow counts
as the holder's (the claim checked the address then).

``co_awards``: a co-awarding organisation's answer to being named in a definition. Definitions that named a
second awarding body before this revision get no row, so their co-awarding bodies are asked: those definitions
cannot be awarded until each accepts (or the operator imports the catalogue again, which counts as acceptance).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cairn.vc.holder import HOLDER, holder_match

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    op.add_column(
        "wallet_credentials",
        sa.Column("holder_match", sa.String(length=20), server_default="someone-else", nullable=False),
    )
    op.create_table(
        "co_awards",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("definition_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.id"],
            name=op.f("fk_co_awards_definition_id_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_co_awards_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_co_awards")),
        sa.UniqueConstraint("definition_id", "organisation_id", name="uq_co_awards_definition"),
    )
    op.create_index(op.f("ix_co_awards_organisation_id"), "co_awards", ["organisation_id"], unique=False)
    _match_stored_credentials()


def _match_stored_credentials() -> None:
    """Set ``holder_match`` of every stored wallet credential by the rule new ones follow."""
    bind = op.get_bind()
    credentials = sa.table(
        "wallet_credentials",
        sa.column("id", sa.String),
        sa.column("wallet_id", sa.Integer),
        sa.column("source", sa.String),
        sa.column("document", sa.JSON),
        sa.column("holder_match", sa.String),
    )
    wallets = sa.table("wallets", sa.column("id", sa.Integer), sa.column("did", sa.String), sa.column("account_id"))
    accounts = sa.table(
        "accounts", sa.column("id", sa.Integer), sa.column("email", sa.String), sa.column("email_verified_at")
    )
    holders = {
        wallet_id: (did, email if verified is not None else None)
        for wallet_id, did, email, verified in bind.execute(
            sa.select(wallets.c.id, wallets.c.did, accounts.c.email, accounts.c.email_verified_at).join(
                accounts, accounts.c.id == wallets.c.account_id
            )
        )
    }
    last = ""
    while True:
        rows = bind.execute(
            sa.select(credentials.c.id, credentials.c.wallet_id, credentials.c.source, credentials.c.document)
            .where(credentials.c.id > last)
            .order_by(credentials.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for credential_id, wallet_id, source, document in rows:
            did, email = holders.get(wallet_id, ("", None))
            if source == "claim":
                match = HOLDER
            else:
                match = holder_match(document if isinstance(document, dict) else {}, dids={did}, email=email)
            bind.execute(credentials.update().where(credentials.c.id == credential_id).values(holder_match=match))
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index(op.f("ix_co_awards_organisation_id"), table_name="co_awards")
    op.drop_table("co_awards")
    # Native ALTER TABLE ... DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would cascade
    # deletes into share links and collections on SQLite, whose foreign keys are on.
    op.execute("ALTER TABLE wallet_credentials DROP COLUMN holder_match")
