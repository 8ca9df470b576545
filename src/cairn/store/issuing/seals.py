"""Seal certificates of organisations (the rows of :mod:`cairn.store.seal_tables`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.store.seal_tables import SealCertificateRow

__all__ = ["SealRepository"]


class SealRepository:
    """Read and write seal certificates inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def current(self, organisation_id: int) -> SealCertificateRow | None:
        """The certificate the organisation seals with now (the newest not retired), or None."""
        stmt = (
            select(SealCertificateRow)
            .where(SealCertificateRow.organisation_id == organisation_id, SealCertificateRow.retired_at.is_(None))
            .order_by(SealCertificateRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)

    def all(self, organisation_id: int) -> list[SealCertificateRow]:
        """Every certificate the organisation has had, retired ones too, oldest first."""
        stmt = (
            select(SealCertificateRow)
            .where(SealCertificateRow.organisation_id == organisation_id)
            .order_by(SealCertificateRow.id)
        )
        return list(self.session.scalars(stmt))

    def retire(self, organisation_id: int, *, now: datetime) -> int:
        """Retire every current certificate of the organisation and forget their keys; how many."""
        rows = self.session.scalars(
            select(SealCertificateRow).where(
                SealCertificateRow.organisation_id == organisation_id, SealCertificateRow.retired_at.is_(None)
            )
        ).all()
        for row in rows:
            row.retired_at = now
            row.key_encrypted = None
        return len(rows)

    def add(self, row: SealCertificateRow) -> SealCertificateRow:
        """Store a new certificate."""
        self.session.add(row)
        self.session.flush()
        return row
