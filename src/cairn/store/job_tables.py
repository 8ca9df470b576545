"""Bulk uploads waiting for, or done by, the job queue (see :mod:`cairn.services.jobs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = ["BulkUploadRow"]


class BulkUploadRow(Base):
    """A bulk award posted from the web, run by a job. One per organisation, micro-credential and file (SHA-256):
    posting the same file again finds this row. ``data``: the file, encrypted with a key derived from
    ``CAIRN_SECRET_KEY`` (it names learners), removed once the job is done. ``report``: the counts and, row by
    row, the status and award id (no address). ``status``: queued, running, done or failed."""

    __tablename__ = "bulk_uploads"
    __table_args__ = (UniqueConstraint("organisation_id", "definition", "file_sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    definition: Mapped[str] = mapped_column(String(80))
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
