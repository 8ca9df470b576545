"""Storing analytics snapshots: written in pieces, read back file by file, the oldest dropped."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cairn.store.analytics_tables import AnalyticsChunkRow, AnalyticsSnapshotRow

__all__ = ["CHUNK", "StoredSnapshot", "latest_snapshot", "prune_snapshots", "read_snapshot_file", "save_snapshot"]

CHUNK: Final = 8 * 1024 * 1024


class StoredSnapshot:
    """A snapshot's id, time and description, as stored."""

    __slots__ = ("created_at", "id", "meta")

    def __init__(self, id: int, created_at: datetime, meta: dict[str, Any]) -> None:
        self.id, self.created_at, self.meta = id, created_at, meta


def save_snapshot(session: Session, created_at: datetime, meta: dict[str, Any], files: list[Path]) -> StoredSnapshot:
    """Store ``files`` (read in pieces of :data:`CHUNK` bytes) as a new snapshot described by ``meta``."""
    described: dict[str, dict[str, Any]] = {}
    row = AnalyticsSnapshotRow(created_at=created_at, meta={})
    session.add(row)
    session.flush()
    for path in files:
        digest, size, seq = hashlib.sha256(), 0, 0
        with path.open("rb") as source:
            while piece := source.read(CHUNK):
                session.add(AnalyticsChunkRow(snapshot_id=row.id, file=path.name, seq=seq, data=piece))
                session.flush()
                digest.update(piece)
                size, seq = size + len(piece), seq + 1
        described[path.name] = {"bytes": size, "sha256": digest.hexdigest()}
    row.meta = {**meta, "files": described}
    return StoredSnapshot(row.id, created_at, row.meta)


def latest_snapshot(session: Session) -> StoredSnapshot | None:
    """The newest complete snapshot (None before the first refresh)."""
    row = session.scalars(select(AnalyticsSnapshotRow).order_by(AnalyticsSnapshotRow.id.desc()).limit(1)).first()
    return None if row is None else StoredSnapshot(row.id, row.created_at, dict(row.meta))


def read_snapshot_file(session: Session, snapshot_id: int, name: str) -> Iterator[bytes]:
    """The pieces of one file of a snapshot, in order (one piece in memory at a time)."""
    seqs = session.scalars(
        select(AnalyticsChunkRow.seq)
        .where(AnalyticsChunkRow.snapshot_id == snapshot_id, AnalyticsChunkRow.file == name)
        .order_by(AnalyticsChunkRow.seq)
    ).all()
    for seq in seqs:
        yield session.get_one(AnalyticsChunkRow, (snapshot_id, name, seq)).data
        session.expunge_all()


def prune_snapshots(session: Session, keep: int) -> int:
    """Delete all but the newest ``keep`` snapshots; how many were deleted."""
    ids = session.scalars(select(AnalyticsSnapshotRow.id).order_by(AnalyticsSnapshotRow.id.desc())).all()
    old = list(ids[keep:])
    if old:
        session.execute(delete(AnalyticsChunkRow).where(AnalyticsChunkRow.snapshot_id.in_(old)))
        session.execute(delete(AnalyticsSnapshotRow).where(AnalyticsSnapshotRow.id.in_(old)))
    return len(old)
