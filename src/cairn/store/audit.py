"""The append-only, hash-chained audit log: every feature writes its entries through :class:`AuditRepository`.

Each entry's hash covers the previous entry's hash and its own content (:func:`entry_hash`); the first entry
links to :data:`GENESIS`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cairn.store.tables import AuditEntry

__all__ = ["AUDIT_LOCK", "GENESIS", "AuditRepository", "entry_hash", "last_hash", "lock_chain"]

GENESIS = "0" * 64
"""What the first entry links to."""
AUDIT_LOCK = 4242001
"""The PostgreSQL advisory lock that serialises every change to the chain, whichever feature writes it."""


def lock_chain(session: Session) -> None:
    """Hold the chain for the rest of ``session``'s transaction (PostgreSQL; SQLite writers are serial anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({AUDIT_LOCK})"))


def last_hash(session: Session) -> str:
    """The hash of the newest entry (:data:`GENESIS` when the log is empty)."""
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS


def entry_hash(prev: str, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> str:
    """The hash of one entry chained to ``prev``."""
    body = json.dumps(
        [prev, at.astimezone(UTC).isoformat(timespec="microseconds"), actor, action, subject, details],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditRepository:
    """The append-only, hash-chained audit log."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, *, at: datetime, actor: str, action: str, subject: str, details: dict[str, Any]) -> AuditEntry:
        """Add an entry chained to the previous one (serialised across processes on PostgreSQL)."""
        lock_chain(self.session)
        prev = last_hash(self.session)
        entry = AuditEntry(
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=details,
            prev_hash=prev,
            hash=entry_hash(prev, at, actor, action, subject, details),
        )
        self.session.add(entry)
        self.session.flush()
        return entry

    def last_id(self) -> int:
        """The id of the newest entry (0 when the log is empty)."""
        return int(self.session.scalar(select(func.max(AuditEntry.id))) or 0)

    def recorded(self, *, action: str, subject: str, after: int = 0) -> bool:
        """Whether an entry of ``action`` about ``subject`` was appended after entry ``after``: only the entries
        after it are read (a range of the primary key), so a recent moment's ``last_id`` keeps this cheap."""
        query = (
            select(AuditEntry.id)
            .where(AuditEntry.id > after, AuditEntry.action == action, AuditEntry.subject == subject)
            .limit(1)
        )
        return self.session.scalar(query) is not None

    def first_broken(self) -> int | None:
        """The id of the first entry whose link or content does not check out, or None when the chain holds."""
        prev = GENESIS
        for entry in self.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            at = entry.at
            if entry.prev_hash != prev or entry.hash != entry_hash(
                prev, at, entry.actor, entry.action, entry.subject, entry.details
            ):
                return entry.id
            prev = entry.hash
        return None
