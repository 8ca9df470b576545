"""Audit log checks: walk the hash chain and name the first entry that does not check out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from cairn.store.audit import GENESIS, entry_hash
from cairn.store.database import Database
from cairn.store.tables import AuditEntry

__all__ = ["AuditCheck", "AuditService"]


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The chain's state: how many entries, and the first broken one (None when the chain holds)."""

    entries: int
    broken_id: int | None = None
    broken_at: datetime | None = None
    broken_action: str | None = None
    broken_subject: str | None = None

    @property
    def ok(self) -> bool:
        """True when every entry links to the one before and its hash matches its content."""
        return self.broken_id is None

    def describe(self) -> str:
        """One line for people."""
        if self.ok:
            return f"The audit log is intact: {self.entries} entries, each linked to the one before."
        when = self.broken_at.isoformat() if self.broken_at else "?"
        return (
            f"The audit log is broken at entry {self.broken_id} ({self.broken_action} {self.broken_subject}, {when}): "
            "it was changed, removed or inserted after it was written."
        )


class AuditService:
    """Read-only checks over the audit log."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def verify(self, *, chunk: int = 2000) -> AuditCheck:
        """Check the whole chain, streaming it ``chunk`` entries at a time (memory stays flat for millions).

        Each entry must name the hash of the one before and hash to its own content, exactly as
        :meth:`cairn.store.catalog.repository.AuditRepository.first_broken` checks.
        """
        table = AuditEntry.__table__
        count, prev = 0, GENESIS
        with self.database.transaction() as session:
            rows = session.execute(select(table).order_by(table.c.id).execution_options(yield_per=chunk))
            for row in rows:
                count += 1
                digest = entry_hash(prev, row.at, row.actor, row.action, row.subject, row.details)
                if row.prev_hash != prev or row.hash != digest:
                    rows.close()
                    total = int(session.scalar(select(func.count()).select_from(table)) or 0)
                    return AuditCheck(total, row.id, row.at, row.action, row.subject)
                prev = row.hash
        return AuditCheck(count)
