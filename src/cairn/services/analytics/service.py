"""Policy analytics: refresh the snapshot (a job), and answer indicator tables with small cells suppressed.

:meth:`AnalyticsService.refresh` exports a snapshot (:mod:`cairn.services.analytics.snapshot`) and stores its
Parquet files in the database (:mod:`cairn.store.analytics`), keeping the newest :data:`KEEP`; it runs as the
``analytics.refresh`` job (nightly, and when an operator asks). Every process reads the newest stored snapshot:
it copies the files once into its cache folder, checks their SHA-256, and opens DuckDB over them
(:class:`~cairn.services.analytics.engine.Engine`). :meth:`AnalyticsService.table` is the only way figures leave:
every table goes through :func:`~cairn.services.analytics.privacy.suppress` with the instance's *k*.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from cairn.services.analytics.engine import Engine, Query, Table
from cairn.services.analytics.privacy import DEFAULT_K, suppress
from cairn.services.analytics.release import make_release
from cairn.services.analytics.snapshot import SnapshotInfo, export_snapshot
from cairn.store.analytics import latest_snapshot, prune_snapshots, read_snapshot_file, save_snapshot
from cairn.store.database import Database

__all__ = ["KEEP", "REFRESH_TASK", "AnalyticsService", "Freshness"]

log = logging.getLogger("cairn.analytics")

KEEP: Final = 2
"""Snapshots kept in the database (the newest, and the one before while processes move over)."""
REFRESH_TASK: Final = "analytics.refresh"
CHECK_SECONDS: Final = 30.0
"""How often a process asks the database whether a newer snapshot exists."""


@dataclass(frozen=True, slots=True)
class Freshness:
    """Which snapshot the figures come from."""

    snapshot_id: int
    created_at: datetime


class AnalyticsService:
    """Refreshing and reading policy analytics."""

    def __init__(
        self,
        database: Database,
        cache: Path,
        *,
        clock: Callable[[], datetime],
        k: int = DEFAULT_K,
        epsilon: float = 0.0,
        bound: int = 5,
    ) -> None:
        if k < 2:
            raise ValueError("the small-cell threshold k must be at least 2")
        self.database = database
        self.cache = cache
        self.clock = clock
        self.k = k
        self.epsilon = epsilon
        self.bound = bound
        self.scopes: Callable[[], list[tuple[int, ...]]] = list
        """The scopes whose first dashboard view a refresh precomputes: each registry's accredited organisations
        (set by bootstrap, which knows the registries)."""
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._freshness: Freshness | None = None
        self._checked = 0.0

    # -- refreshing ---------------------------------------------------------------------------------

    def refresh(self) -> SnapshotInfo:
        """Export a new snapshot from the production tables and store it; the older ones beyond :data:`KEEP` go."""
        self.cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=self.cache))
        try:
            info = export_snapshot(self.database, work, now=self.clock(), scopes=self.scopes())
            files = sorted(info.path.glob("*.parquet"))
            meta: dict[str, object] = {"rows": info.rows, "seconds": info.seconds}
            if self.epsilon > 0:  # made once here, so that every process serves the same noise
                engine = Engine(info.path)
                try:
                    meta["release"] = make_release(
                        engine, epsilon=self.epsilon, bound=self.bound, created_at=info.created_at
                    )
                finally:
                    engine.close()
            with self.database.transaction() as session:
                stored = save_snapshot(session, info.created_at, meta, files)
                prune_snapshots(session, KEEP)
            log.info("analytics snapshot %s: %s in %.1f s", stored.id, info.rows, info.seconds)
            return info
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # -- reading ------------------------------------------------------------------------------------

    def freshness(self) -> Freshness | None:
        """The snapshot the figures come from; None before the first refresh."""
        self.engine()
        return self._freshness

    def engine(self) -> Engine | None:
        """The engine over the newest stored snapshot (copied into the cache first when new), for releases that
        apply their own protection (open data) and for tests: figures for people come from :meth:`table`."""
        with self._lock:
            if self._engine is not None and time.monotonic() - self._checked < CHECK_SECONDS:
                return self._engine
            with self.database.transaction(read_only=True) as session:
                stored = latest_snapshot(session)
            self._checked = time.monotonic()
            if stored is None:
                return None
            if self._freshness is not None and self._freshness.snapshot_id == stored.id and self._engine:
                return self._engine
            folder = self.cache / f"snapshot-{stored.id}"
            if not folder.exists():
                self._download(stored.id, stored.meta.get("files", {}), folder)
            old, self._engine = self._engine, Engine(folder)
            self._freshness = Freshness(stored.id, stored.created_at)
            if old is not None:
                old.close()
                shutil.rmtree(old.snapshot, ignore_errors=True)
            return self._engine

    def _download(self, snapshot_id: int, files: dict[str, dict[str, object]], folder: Path) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".snapshot-{snapshot_id}-", dir=folder.parent))
        try:
            for name, described in files.items():
                digest, size = hashlib.sha256(), 0
                with self.database.transaction(read_only=True) as session, (work / name).open("wb") as out:
                    for piece in read_snapshot_file(session, snapshot_id, name):
                        out.write(piece)
                        digest.update(piece)
                        size += len(piece)
                if digest.hexdigest() != described.get("sha256") or size != described.get("bytes"):
                    raise RuntimeError(f"analytics snapshot {snapshot_id}: {name} does not match what was stored")
            os.replace(work, folder)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise

    def release(self) -> dict[str, Any] | None:
        """The newest snapshot's differentially private open-data release (None when releases are off, or before
        the first refresh)."""
        with self.database.transaction(read_only=True) as session:
            stored = latest_snapshot(session)
        found = stored.meta.get("release") if stored is not None else None
        return found if isinstance(found, dict) else None

    def table(self, query: Query) -> Table | None:
        """The indicator's table with every cell that must not be released suppressed; None before the first
        refresh. InputError for an indicator, breakdown or filter that does not exist."""
        query.check()
        engine = self.engine()
        if engine is None:
            return None
        return suppress(engine.table(query), self.k)

    def values(
        self, dimension: str, *, view: str = "award_facts", scope: tuple[int, ...] | None = None
    ) -> list[str] | None:
        """The values of ``dimension`` a filter may offer within ``scope`` (for awards: those of the catalogue's
        definitions awarded at least once, public facts about courses); None before the first refresh."""
        engine = self.engine()
        if engine is None:
            return None
        return [value for value, _ in engine.values(dimension, view=view, scope=scope)]

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
