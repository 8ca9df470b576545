"""Tables of policy analytics: the snapshots the refresh job exports, kept in the database so that every process,
on any machine, reads the same one (each copies the newest to a local cache folder once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["AnalyticsChunkRow", "AnalyticsSnapshotRow"]


class AnalyticsSnapshotRow(Base):
    """One exported snapshot: when, and what it holds (``meta``: rows per table, seconds, files with their sizes
    and SHA-256)."""

    __tablename__ = "analytics_snapshots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    meta: Mapped[dict[str, Any]]


class AnalyticsChunkRow(Base):
    """A piece (at most :data:`cairn.store.analytics.CHUNK` bytes) of one Parquet file of a snapshot."""

    __tablename__ = "analytics_snapshot_chunks"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("analytics_snapshots.id", ondelete="CASCADE"), primary_key=True)
    file: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
