"""SQLAlchemy tables. The schema itself is created and changed only by Alembic migrations.

Every table works on SQLite and PostgreSQL alike; JSON columns become JSONB on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AuditEntry",
    "AwardRow",
    "Base",
    "DefinitionRow",
    "DefinitionVersionRow",
    "KeyRow",
    "LearnerRow",
    "OrganisationRow",
    "StatusListRow",
]


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite itself keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be time-zone aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints the same on every database."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JsonType, datetime: UtcDateTime()}


class OrganisationRow(Base):
    """An issuing organisation; ``document`` holds the validated Organisation as JSON."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(40))
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DefinitionRow(Base):
    """A micro-credential definition: the stable identity of its versions."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("slug", name="uq_definitions_slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DefinitionVersionRow(Base):
    """One version of a definition; immutable once awarded."""

    __tablename__ = "definition_versions"
    __table_args__ = (UniqueConstraint("definition_id", "version", name="uq_definition_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LearnerRow(Base):
    """A learner known to this instance."""

    __tablename__ = "learners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    did: Mapped[str | None] = mapped_column(String(2000))
    display_name: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AwardRow(Base):
    """One award of a definition version; the signed credential is kept as issued."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("definition_version_id", "recipient_key", name="uq_awards_recipient"),
        Index("ix_awards_learner", "learner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_version_id: Mapped[int] = mapped_column(ForeignKey("definition_versions.id", ondelete="RESTRICT"))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learners.id", ondelete="SET NULL"))
    recipient_key: Mapped[str] = mapped_column(String(128))
    recipient_hash: Mapped[str | None] = mapped_column(String(200))
    recipient_did: Mapped[str | None] = mapped_column(String(2000))
    external_id: Mapped[str | None] = mapped_column(String(500))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    grade: Mapped[str | None] = mapped_column(String(500))
    credential: Mapped[dict[str, Any] | None]
    revocation_index: Mapped[int | None] = mapped_column(Integer)
    suspension_index: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)


class KeyRow(Base):
    """An organisation's signing key; the private part is encrypted at rest."""

    __tablename__ = "keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(2000), unique=True)
    type: Mapped[str] = mapped_column(String(20))
    public_key_multibase: Mapped[str] = mapped_column(String(200))
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class StatusListRow(Base):
    """A Bitstring Status List of an organisation, for one purpose (revocation or suspension)."""

    __tablename__ = "status_lists"
    __table_args__ = (UniqueConstraint("organisation_id", "purpose", "sequence", name="uq_status_lists_seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """An append-only, hash-chained record of who did what, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
