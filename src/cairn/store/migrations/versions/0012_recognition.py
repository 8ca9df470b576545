"""recognition: courses and rules (versioned), applications with their review and decision

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-20 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _versioned(name: str, versions: str, key: str) -> None:
    """A document's identity (``name``) and its versions (``versions``, ``key`` naming the identity)."""
    op.create_table(
        name,
        sa.Column("id", _ID, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f(f"fk_{name}_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("slug", name=f"uq_{name}_slug"),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_organisation_id"), ["organisation_id"], unique=False)
    op.create_table(
        versions,
        sa.Column("id", _ID, nullable=False),
        sa.Column(key, _ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", _JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint([key], [f"{name}.id"], name=op.f(f"fk_{versions}_{key}_{name}"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{versions}")),
        sa.UniqueConstraint(key, "version", name=f"uq_{versions}_version"),
    )


def upgrade() -> None:
    _versioned("recognition_courses", "recognition_course_versions", "course_id")
    _versioned("recognition_rules", "recognition_rules_versions", "rules_id")
    op.create_table(
        "recognition_applications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", _ID, nullable=False),
        sa.Column("rules_id", _ID, nullable=False),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("course_id", _ID, nullable=False),
        sa.Column("course_version", sa.Integer(), nullable=False),
        sa.Column("account_id", _ID, nullable=True),
        sa.Column("holder", sa.String(length=2000), nullable=False),
        sa.Column("presented", _JSON, nullable=False),
        sa.Column("assessment", _JSON, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewer", sa.String(length=500), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("ects", sa.Float(), nullable=True),
        sa.Column("differences", _JSON, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("messages", _JSON, nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("appeals", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.String(length=36), nullable=True),
        sa.Column("evidence_key", sa.String(length=64), nullable=False),
        sa.Column("precedent_key", sa.String(length=64), nullable=True),
        sa.Column("precedent_of", sa.String(length=36), nullable=True),
        sa.Column("challenge", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_recognition_applications_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["award_id"], ["awards.id"], name=op.f("fk_recognition_applications_award_id_awards"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["recognition_courses.id"],
            name=op.f("fk_recognition_applications_course_id_recognition_courses"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_recognition_applications_organisation_id_organisations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rules_id"],
            ["recognition_rules.id"],
            name=op.f("fk_recognition_applications_rules_id_recognition_rules"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recognition_applications")),
        sa.UniqueConstraint("challenge", name=op.f("uq_recognition_applications_challenge")),
        sa.UniqueConstraint("public_id", name="uq_recognition_applications_public_id"),
    )
    with op.batch_alter_table("recognition_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognition_applications_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recognition_applications_award_id"), ["award_id"], unique=False)
        batch_op.create_index("ix_recognition_applications_holder", ["holder"], unique=False)
        batch_op.create_index("ix_recognition_applications_precedent", ["evidence_key", "state"], unique=False)
        batch_op.create_index(
            "ix_recognition_applications_queue", ["organisation_id", "state", "deadline"], unique=False
        )
        batch_op.create_index("ix_recognition_applications_rules", ["rules_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recognition_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_recognition_applications_rules")
        batch_op.drop_index("ix_recognition_applications_queue")
        batch_op.drop_index("ix_recognition_applications_precedent")
        batch_op.drop_index("ix_recognition_applications_holder")
        batch_op.drop_index(batch_op.f("ix_recognition_applications_award_id"))
        batch_op.drop_index(batch_op.f("ix_recognition_applications_account_id"))
    op.drop_table("recognition_applications")
    for name, versions in (
        ("recognition_rules", "recognition_rules_versions"),
        ("recognition_courses", "recognition_course_versions"),
    ):
        op.drop_table(versions)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_organisation_id"))
        op.drop_table(name)
