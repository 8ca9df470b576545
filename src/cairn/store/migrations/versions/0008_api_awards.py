"""credentials issued through the VC-API are stored as awards without a definition version

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.alter_column("definition_version_id", existing_type=_ID, nullable=True)


def downgrade() -> None:
    # Awards issued through the VC-API have no definition version; they cannot survive a downgrade.
    op.execute("DELETE FROM awards WHERE definition_version_id IS NULL")
    with op.batch_alter_table("awards", schema=None) as batch_op:
        batch_op.alter_column("definition_version_id", existing_type=_ID, nullable=False)
