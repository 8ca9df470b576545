"""Tables of stackable pathways: a pathway's versions (like a definition's), who follows which, and the claims of
composite credentials with the components presented and what evaluating the pathway's rules found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["PathwayClaimRow", "PathwayFollowRow", "PathwayRow", "PathwayVersionRow"]


class PathwayRow(Base):
    """A pathway: the stable identity of its versions, owned by the organisation that awards its target."""

    __tablename__ = "pathways"
    __table_args__ = (UniqueConstraint("slug", name="uq_pathways_slug"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="published")  # or "draft"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PathwayVersionRow(Base):
    """One version of a pathway's rules; a composite names the version it was awarded under."""

    __tablename__ = "pathway_versions"
    __table_args__ = (UniqueConstraint("pathway_id", "version", name="uq_pathway_versions_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PathwayFollowRow(Base):
    """A wallet follows a pathway: its progress shows in the wallet even before any credential touches it."""

    __tablename__ = "pathway_follows"
    __table_args__ = (UniqueConstraint("wallet_id", "pathway_id", name="uq_pathway_follows"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id", ondelete="CASCADE"))
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PathwayClaimRow(Base):
    """A learner's claim of a pathway's composite credential: the components presented (ids, digests, documents),
    the evaluation, and the outcome: ``awarded``, ``review`` (waiting for the issuer) or ``refused``."""

    __tablename__ = "pathway_claims"
    __table_args__ = (
        UniqueConstraint("public_id", name="uq_pathway_claims_public_id"),
        Index("ix_pathway_claims_pathway_state", "pathway_id", "state"),
        Index("ix_pathway_claims_holder", "holder"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36))
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(2000))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    components: Mapped[dict[str, Any]]  # {"items": [{"id", "digest", "document"}, ...]}
    evaluation: Mapped[dict[str, Any]]
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(Text)
