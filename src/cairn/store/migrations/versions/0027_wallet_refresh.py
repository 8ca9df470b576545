"""wallet refresh: the status a learner was last emailed about, and an index for the re-check job's batches

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_mailed", sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f("ix_wallet_credentials_checked_at"), ["checked_at"], unique=False)
    # what is there now counts as told: the first job after the upgrade sends no email about an older change
    op.execute("UPDATE wallet_credentials SET status_mailed = status")


def downgrade() -> None:
    with op.batch_alter_table("wallet_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_credentials_checked_at"))
        batch_op.drop_column("status_mailed")
