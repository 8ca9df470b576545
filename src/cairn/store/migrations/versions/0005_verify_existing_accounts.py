"""accounts made before sign-up existed were made by operators: mark their email addresses verified

Since learners can sign up themselves, a password works only once its address is confirmed. Every account stored before
then was created by an operator (`cairn accounts create`, organisation members, the demo), so it counts as
verified from its creation; without this its password would be refused until a link confirmed it again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 12:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE accounts SET email_verified_at = created_at WHERE email_verified_at IS NULL")


def downgrade() -> None:
    """Nothing to undo: verified addresses stay verified."""
