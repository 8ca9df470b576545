"""sign-up pending on the link: a sign-up for an address that has an account already keeps the password and name
chosen on its confirmation link, not on the account, until the link proves the address (issue 19)

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (nullable): no table rebuild on SQLite
    op.add_column("sign_in_links", sa.Column("pending_password_hash", sa.String(length=200), nullable=True))
    op.add_column("sign_in_links", sa.Column("pending_display_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # sign_in_links has no dependent rows, so SQLite's rebuild of it deletes nothing elsewhere
    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.drop_column("pending_display_name")
        batch_op.drop_column("pending_password_hash")
