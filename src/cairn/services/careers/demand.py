"""Demand for skills and occupations, counted for policy analytics (issue 18): each job-ad analysis adds one to
the month's count of every ESCO skill (and occupation) it found, with one upsert
(:func:`cairn.store.counts.add_counts`). The advertisement's text is never stored, nor who pasted it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Final

from cairn.store.analytics_tables import DemandCountRow
from cairn.store.counts import add_counts
from cairn.store.database import Database

__all__ = ["DEMAND_KINDS", "DemandCounts"]

DEMAND_KINDS: Final = ("job-ad-skill", "job-ad-occupation", "occupation-followed")
_MAX_URIS: Final = 200


class DemandCounts:
    """Monthly counts of the ESCO skills and occupations job ads ask for."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def count_job_ad(self, skills: Iterable[str], occupations: Iterable[str] = ()) -> int:
        """Add one to this month's count of each skill and occupation URI (each once per analysis): one
        statement. How many counts it touched."""
        today = self.clock().date()
        month = date(today.year, today.month, 1)
        rows = [
            {"month": month, "kind": kind, "uri": uri, "count": 1}
            for kind, uris in (("job-ad-skill", skills), ("job-ad-occupation", occupations))
            for uri in sorted({u for u in uris if isinstance(u, str) and 0 < len(u) <= 250})[:_MAX_URIS]
        ]
        if not rows:
            return 0
        with self.database.transaction() as session:
            return add_counts(session, DemandCountRow, rows)
