"""trust network: accreditations, trust anchors, federated registry peers, and the trust revision

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "accreditations",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("legal_name", sa.String(length=500), nullable=False),
        sa.Column("document", _JSON, nullable=False),
        sa.Column("credential", _JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_accreditations_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accreditations")),
    )
    op.create_index(op.f("ix_accreditations_organisation_id"), "accreditations", ["organisation_id"])
    op.create_table(
        "trust_anchors",
        sa.Column("did", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("did", name=op.f("pk_trust_anchors")),
    )
    op.create_table(
        "registry_peers",
        sa.Column("id", _ID, nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("did", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("list_data", sa.LargeBinary(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("list_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_peers")),
        sa.UniqueConstraint("url", name=op.f("uq_registry_peers_url")),
    )
    op.create_table(
        "trust_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_state")),
    )
    op.execute("INSERT INTO trust_state (id, revision) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("trust_state")
    op.drop_table("registry_peers")
    op.drop_table("trust_anchors")
    op.drop_index(op.f("ix_accreditations_organisation_id"), table_name="accreditations")
    op.drop_table("accreditations")
