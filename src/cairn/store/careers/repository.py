"""Read-only queries for careers: the verified credentials in an account's wallet, as evidence of skills.

Only credentials whose last verification found them *valid*, and that are about the wallet's holder, count;
expired, revoked, suspended and unverifiable ones, and credentials about someone else, are left out. Takes an
open session and leaves the transaction to the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.store.tables import WalletCredentialRow, WalletRow
from cairn.vc.holder import HOLDER

__all__ = ["EVIDENCE_STATUSES", "CareersRepository", "WalletEvidence"]

EVIDENCE_STATUSES: Final = ("valid",)
"""Wallet credential statuses whose skills count as evidence."""
MAX_CREDENTIALS: Final = 2_000


@dataclass(frozen=True, slots=True)
class WalletEvidence:
    """One verified wallet credential: its parsed document and what the wallet recorded about it."""

    id: str
    title: str
    issuer_name: str | None
    issuer_id: str | None
    issued_at: datetime | None
    document: dict[str, Any]
    language: str | None


class CareersRepository:
    """Reads what careers need from the wallet tables."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def verified_credentials(self, account_id: int) -> list[WalletEvidence]:
        """The valid credentials about the holder in ``account_id``'s wallet, newest first (none when there is
        no wallet)."""
        stmt = (
            select(WalletCredentialRow, WalletRow.language)
            .join(WalletRow, WalletRow.id == WalletCredentialRow.wallet_id)
            .where(
                WalletRow.account_id == account_id,
                WalletCredentialRow.status.in_(EVIDENCE_STATUSES),
                WalletCredentialRow.holder_match == HOLDER,
            )
            .order_by(WalletCredentialRow.issued_at.desc(), WalletCredentialRow.id)
            .limit(MAX_CREDENTIALS)
        )
        return [
            WalletEvidence(
                id=row.id,
                title=row.title,
                issuer_name=row.issuer_name,
                issuer_id=row.issuer_id,
                issued_at=row.issued_at,
                document=row.document if isinstance(row.document, dict) else {},
                language=language,
            )
            for row, language in self.session.execute(stmt).tuples()
        ]
