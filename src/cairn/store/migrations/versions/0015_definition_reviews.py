"""definition reviews: a draft definition shared for comments with another organisation, and the comments

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "definition_shares",
        sa.Column("id", _ID, nullable=False),
        sa.Column("definition_id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("reviewer_id", _ID, nullable=False),
        sa.Column("shared_by", sa.String(length=500), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["definitions.id"],
            name=op.f("fk_definition_shares_definition_id_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_definition_shares_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["organisations.id"],
            name=op.f("fk_definition_shares_reviewer_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_definition_shares")),
        sa.UniqueConstraint("definition_id", "reviewer_id", name="uq_definition_shares_reviewer"),
    )
    with op.batch_alter_table("definition_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_definition_shares_reviewer_id"), ["reviewer_id"], unique=False)
    op.create_table(
        "draft_comments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("share_id", _ID, nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("author", sa.String(length=500), nullable=False),
        sa.Column("author_name", sa.String(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply_to_id", _ID, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["definition_shares.id"],
            name=op.f("fk_draft_comments_share_id_definition_shares"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_draft_comments_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["draft_comments.id"],
            name=op.f("fk_draft_comments_reply_to_id_draft_comments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_comments")),
    )
    with op.batch_alter_table("draft_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_comments_share_id"), ["share_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_comments_share_id"))
    op.drop_table("draft_comments")
    with op.batch_alter_table("definition_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_definition_shares_reviewer_id"))
    op.drop_table("definition_shares")
