"""sign-up pending on the link, share tokens hashed (issue 19): a sign-up for an address that has an account already
keeps the password and name chosen on its confirmation link, not on the account, until the link proves the address;
share_links.token holds the SHA-256 of the token (existing tokens are hashed here, so their URLs keep working) and a
new seed column what new tokens are derived from with the secret key

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 03:10:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (nullable): no table rebuild on SQLite
    op.add_column("sign_in_links", sa.Column("pending_password_hash", sa.String(length=200), nullable=True))
    op.add_column("sign_in_links", sa.Column("pending_display_name", sa.String(length=200), nullable=True))
    op.add_column("share_links", sa.Column("seed", sa.String(length=64), nullable=True))
    links = sa.table("share_links", sa.column("id", sa.Integer()), sa.column("token", sa.String()))
    bind = op.get_bind()
    for link_id, token in bind.execute(sa.select(links.c.id, links.c.token)).all():
        digest = hashlib.sha256(str(token).encode("utf-8")).hexdigest()
        bind.execute(sa.update(links).where(links.c.id == link_id).values(token=digest))


def downgrade() -> None:
    # the share tokens cannot be had back from their hashes: links made before stop working after a downgrade.
    # Neither table has dependent rows, so SQLite's rebuild of them deletes nothing elsewhere
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.drop_column("seed")
    with op.batch_alter_table("sign_in_links", schema=None) as batch_op:
        batch_op.drop_column("pending_display_name")
        batch_op.drop_column("pending_password_hash")
