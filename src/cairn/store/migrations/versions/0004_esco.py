"""esco: releases, skills, groups, hierarchy, collections, occupations, relations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:56:52.372228
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "esco_broader",
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("broader_uri", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("uri", "broader_uri", name=op.f("pk_esco_broader")),
    )
    with op.batch_alter_table("esco_broader", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_broader_broader_uri"), ["broader_uri"], unique=False)

    op.create_table(
        "esco_collections",
        sa.Column("collection", sa.String(length=40), nullable=False),
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("collection", "uri", name=op.f("pk_esco_collections")),
    )
    with op.batch_alter_table("esco_collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_collections_uri"), ["uri"], unique=False)

    op.create_table(
        "esco_isco_groups",
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_esco_isco_groups")),
    )
    with op.batch_alter_table("esco_isco_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_isco_groups_code"), ["code"], unique=False)

    op.create_table(
        "esco_occupation_skills",
        sa.Column("occupation_uri", sa.String(length=200), nullable=False),
        sa.Column("skill_uri", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("skill_type", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("occupation_uri", "skill_uri", name=op.f("pk_esco_occupation_skills")),
    )
    with op.batch_alter_table("esco_occupation_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_occupation_skills_skill_uri"), ["skill_uri"], unique=False)

    op.create_table(
        "esco_occupations",
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("isco_group", sa.String(length=10), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_esco_occupations")),
    )
    with op.batch_alter_table("esco_occupations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_occupations_isco_group"), ["isco_group"], unique=False)

    op.create_table(
        "esco_releases",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=True),
        sa.Column(
            "languages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "parts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "counts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esco_releases")),
    )
    with op.batch_alter_table("esco_releases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esco_releases_version"), ["version"], unique=False)

    op.create_table(
        "esco_skill_groups",
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_esco_skill_groups")),
    )
    op.create_table(
        "esco_skills",
        sa.Column("uri", sa.String(length=200), nullable=False),
        sa.Column("skill_type", sa.String(length=40), nullable=False),
        sa.Column("reuse_level", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("uri", name=op.f("pk_esco_skills")),
    )


def downgrade() -> None:
    op.drop_table("esco_skills")
    op.drop_table("esco_skill_groups")
    with op.batch_alter_table("esco_releases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_releases_version"))

    op.drop_table("esco_releases")
    with op.batch_alter_table("esco_occupations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_occupations_isco_group"))

    op.drop_table("esco_occupations")
    with op.batch_alter_table("esco_occupation_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_occupation_skills_skill_uri"))

    op.drop_table("esco_occupation_skills")
    with op.batch_alter_table("esco_isco_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_isco_groups_code"))

    op.drop_table("esco_isco_groups")
    with op.batch_alter_table("esco_collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_collections_uri"))

    op.drop_table("esco_collections")
    with op.batch_alter_table("esco_broader", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esco_broader_broader_uri"))

    op.drop_table("esco_broader")
