"""Rate-limit hits in the database (:class:`~cairn.store.limit_tables.RateLimitHitRow`): counted, added and
purged here, so that N processes against one database keep one count.

:meth:`RateLimitRepository.lock` serialises the writers of one key for the rest of the transaction (PostgreSQL: an
advisory transaction lock; SQLite: the database write lock, taken up front), so that a check and the hit that follows
it are one step and concurrent attempts cannot all pass on the same count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from cairn.store.limit_tables import RateLimitHitRow

__all__ = ["RateLimitRepository"]


class RateLimitRepository:
    """The hits of every rate limit."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, key: str) -> None:
        """Hold ``key`` against other writers until the transaction ends."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

    def live(self, key: str, since: datetime) -> tuple[int, datetime | None]:
        """How many hits ``key`` has after ``since``, and the oldest of them."""
        count, oldest = self.session.execute(
            select(func.count(), func.min(RateLimitHitRow.at)).where(
                RateLimitHitRow.key == key, RateLimitHitRow.at > since
            )
        ).one()
        return int(count or 0), oldest

    def add(self, key: str, *, at: datetime, expires_at: datetime) -> None:
        """Count one hit of ``key``, and forget its hits that no longer count."""
        self.session.execute(
            delete(RateLimitHitRow).where(RateLimitHitRow.key == key, RateLimitHitRow.expires_at <= at)
        )
        self.session.add(RateLimitHitRow(key=key, at=at, expires_at=expires_at))

    def clear(self, key: str) -> None:
        """Forget every hit of ``key``."""
        self.session.execute(delete(RateLimitHitRow).where(RateLimitHitRow.key == key))

    def purge(self, now: datetime) -> int:
        """Delete the hits of every key that no longer count; how many went."""
        result = self.session.execute(delete(RateLimitHitRow).where(RateLimitHitRow.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)
