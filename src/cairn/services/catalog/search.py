"""Searching the published catalogue: an in-memory index of every published definition's facets, rebuilt when
the catalogue changes (:meth:`cairn.store.catalog.repository.DefinitionRepository.fingerprint`), so a search of a
few thousand definitions reads one small query and filters in memory (the rules: :mod:`cairn.model.catalog`)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from cairn.model.catalog import CatalogueQuery, Facets, facet_counts, facets_of, matches
from cairn.store.catalog.repository import DefinitionRepository, StoredDefinition
from cairn.store.database import Database

__all__ = ["CatalogueIndex", "Found"]


@dataclass(frozen=True, slots=True)
class Found:
    """What a search found: the definitions (in id order), how many the catalogue holds in all, and for each
    filter how many each of its values would find (see :func:`cairn.model.catalog.facet_counts`)."""

    definitions: list[StoredDefinition]
    total: int
    counts: dict[str, Counter[str]]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    fingerprint: int
    stored: tuple[StoredDefinition, ...]
    facets: tuple[Facets, ...]


class CatalogueIndex:
    """The published catalogue's facets, kept until the catalogue changes; safe across threads."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def _current(self) -> _Snapshot:
        with self.database.transaction(read_only=True) as session:
            repo = DefinitionRepository(session)
            fingerprint = repo.fingerprint()
            snapshot = self._snapshot
            if snapshot is not None and snapshot.fingerprint == fingerprint:
                return snapshot
            stored = tuple(repo.published())
        snapshot = _Snapshot(fingerprint, stored, tuple(facets_of(s.definition) for s in stored))
        with self._lock:
            self._snapshot = snapshot
        return snapshot

    def search(self, query: CatalogueQuery, *, limit: int = 500) -> Found:
        """The published definitions ``query`` finds (at most ``limit``), with the counts for each filter."""
        snapshot = self._current()
        hits = [s for s, f in zip(snapshot.stored, snapshot.facets, strict=True) if matches(f, query)]
        return Found(hits[:limit], len(snapshot.stored), facet_counts(snapshot.facets, query))

    def published_by(self, organisation: str) -> list[StoredDefinition]:
        """The published definitions ``organisation`` awards (alone or jointly)."""
        snapshot = self._current()
        return [s for s, f in zip(snapshot.stored, snapshot.facets, strict=True) if organisation in f.issuers]
