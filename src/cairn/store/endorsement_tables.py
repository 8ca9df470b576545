"""The table of endorsements: an organisation (an employer, typically) says it co-created or values an achievement
(one of this instance's definitions, or any achievement by its id), in a signed Open Badges 3.0
``EndorsementCredential`` kept as the organisation's award, so it is withdrawn by revoking that award."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["EndorsementRow"]


class EndorsementRow(Base):
    """One endorsement. ``relation``: ``co-created`` or ``values``; ``definition_slug``: the endorsed definition of
    this instance (None for an achievement elsewhere); ``achievement_key``: the SHA-256 (hex) of
    ``achievement_id``, to find endorsements by it; ``credential``: the signed credential (JSON)."""

    __tablename__ = "endorsements"
    __table_args__ = (
        UniqueConstraint("award_id", name="uq_endorsements_award_id"),
        Index("ix_endorsements_definition", "definition_slug", "withdrawn_at"),
        Index("ix_endorsements_achievement", "achievement_key", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    award_id: Mapped[str] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"))
    achievement_id: Mapped[str] = mapped_column(String(2000))
    achievement_key: Mapped[str] = mapped_column(String(64))
    definition_slug: Mapped[str | None] = mapped_column(String(80))
    relation: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    credential: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
