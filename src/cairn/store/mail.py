"""The outbox: emails written in the same transaction as what caused them, sent later by the mailer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.store.tables import OutboxRow

__all__ = ["OutboxRepository"]


class OutboxRepository:
    """Emails to send: written in the same transaction as what caused them, sent later by the mailer."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(self, *, to: str, subject: str, body: str, now: datetime) -> OutboxRow:
        """Queue an email; it leaves only if the surrounding transaction commits."""
        row = OutboxRow(to_address=to, subject=subject, body_text=body, created_at=now, attempts=0)
        self.session.add(row)
        return row

    def pending(self, *, limit: int = 100) -> list[OutboxRow]:
        """Unsent emails, oldest first."""
        stmt = select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id).limit(limit)
        return list(self.session.scalars(stmt))
