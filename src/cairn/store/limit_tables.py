"""The hits of the rate limits (sign-in, sign-up, link requests), kept in the database so that every process of an
instance counts the same attempts (see :mod:`cairn.store.limits`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["RateLimitHitRow"]


class RateLimitHitRow(Base):
    """One counted attempt. ``key``: the SHA-256 (hex) of the limit's name and what it counts (an email, a client
    network), so no address is stored in the clear; ``at``: when; ``expires_at``: when it stops counting (``at``
    plus the limit's window), after which any process may delete it."""

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
