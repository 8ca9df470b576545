"""recognition applications: a hashed access key for applicants outside Cairn's wallet, and the applicant's language

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recognition_applications") as batch:
        batch.add_column(sa.Column("access_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recognition_applications") as batch:
        batch.drop_column("language")
        batch.drop_column("access_hash")
