"""Audit log checks: walk the keyed chain and name the first entry that does not check out, and seal the entries an
instance wrote before it had a secret (see :mod:`cairn.store.audit` for the chain itself)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from cairn.services.issuing.keys import derive_key
from cairn.store.audit import ChainWalk, seal_legacy
from cairn.store.database import Database
from cairn.store.tables import AuditChainRow, AuditEntry

__all__ = ["AUDIT_KEY_INFO", "AuditCheck", "AuditService", "audit_key"]

AUDIT_KEY_INFO = b"cairn-audit-chain-v1"
"""The HKDF label of the key the audit chain is linked with."""


def audit_key(secret_key: str) -> bytes:
    """The audit chain's key, derived from the instance's secret key."""
    return derive_key(secret_key, info=AUDIT_KEY_INFO)


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The chain's state: how many entries, whether it was checked with the key, and the first broken entry
    (None when the chain holds) with why."""

    entries: int
    broken_id: int | None = None
    broken_at: datetime | None = None
    broken_action: str | None = None
    broken_subject: str | None = None
    reason: str | None = None
    keyed: bool = True

    @property
    def ok(self) -> bool:
        """True when every entry links to the one before and its link matches its content."""
        return self.broken_id is None

    def describe(self) -> str:
        """One line for people."""
        if self.ok and self.keyed:
            return f"The audit log is intact: {self.entries} entries, each linked to the one before with the key."
        if self.ok:
            return (
                f"The audit log is intact: {self.entries} entries, each linked to the one before. The links are not "
                "keyed (CAIRN_SECRET_KEY is not set), so anyone who can write the database could re-link them."
            )
        when = self.broken_at.isoformat() if self.broken_at else "?"
        return (
            f"The audit log is broken at entry {self.broken_id} ({self.broken_action} {self.broken_subject}, {when}): "
            f"{self.reason}."
        )


class AuditService:
    """Checks over the audit log, and sealing its unkeyed entries once."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.clock = clock or (lambda: datetime.now(UTC))

    def verify(self, *, chunk: int = 2000) -> AuditCheck:
        """Check the whole chain, streaming it ``chunk`` entries at a time (memory stays flat for millions).

        Each entry must name the link of the one before and its own link must match its content: an HMAC with
        the audit key, or a plain hash for the unkeyed entries sealed before the chain was keyed, exactly as
        :class:`cairn.store.audit.ChainWalk` checks."""
        table = AuditEntry.__table__
        key = self.database.audit_key
        with self.database.transaction(read_only=True) as session:
            walk = ChainWalk(key, session.get(AuditChainRow, 1))
            rows = session.execute(select(table).order_by(table.c.id).execution_options(yield_per=chunk))
            count = 0
            for row in rows:
                count += 1
                reason = walk.step(row)
                if reason is not None:
                    rows.close()
                    total = int(session.scalar(select(func.count()).select_from(table)) or 0)
                    return AuditCheck(total, row.id, row.at, row.action, row.subject, reason, key is not None)
            reason = walk.finish()
            if reason is not None:
                return AuditCheck(count, walk.legacy_until, None, "(missing)", "", reason, key is not None)
        return AuditCheck(count, keyed=key is not None)

    def seal(self) -> int:
        """Seal the unkeyed entries this instance wrote before it had ``CAIRN_SECRET_KEY``, once; returns how
        many (ConfigurationError without a key or when they were sealed already)."""
        with self.database.transaction() as session:
            return seal_legacy(session, self.clock())
