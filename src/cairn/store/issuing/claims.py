"""Claim links after an award: the awards a claim email can be sent again to, the learner who claimed an award,
and the wallet copies of an award whose status changed.

Like the other repositories it takes an open :class:`~sqlalchemy.orm.Session` and leaves the transaction to
the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cairn.store.tables import AwardRow, LearnerRow, WalletCredentialRow

__all__ = ["WALLET_COPIES_DUE", "ClaimRepository"]

WALLET_COPIES_DUE: Final = "cairn.wallet_copies_due"
"""The ``session.info`` key set when a transaction made wallet copies due: once it commits, the wallet's re-check
job is deferred (:mod:`cairn.services.jobs.tasks`)."""


class ClaimRepository:
    """Reads and writes about claim links and claims."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def unclaimed_of_job(self, organisation_id: int, job_id: int) -> list[AwardRow]:
        """The awards of a bulk job not claimed yet and not revoked, by row, locked until the transaction ends."""
        stmt = (
            select(AwardRow)
            .where(
                AwardRow.organisation_id == organisation_id,
                AwardRow.bulk_job_id == job_id,
                AwardRow.claimed_at.is_(None),
                AwardRow.revoked_at.is_(None),
            )
            .order_by(AwardRow.row_number, AwardRow.id)
            .with_for_update()
        )
        return list(self.session.scalars(stmt))

    def learner_email(self, award: AwardRow) -> str | None:
        """The address of the learner who claimed ``award`` into a wallet, when one did."""
        if award.learner_id is None:
            return None
        learner = self.session.get(LearnerRow, award.learner_id)
        return learner.email if learner is not None else None

    def mark_copies_due(self, award_id: str, *, checked_before: datetime) -> int:
        """Make the wallet copies of an award due for a fresh check (its status changed); returns how many."""
        stmt = (
            update(WalletCredentialRow)
            .where(WalletCredentialRow.award_id == award_id)
            .values(checked_at=checked_before)
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(self.session.execute(stmt), "rowcount", 0) or 0)
        if count:  # the job queue's listener defers the wallet re-check when this transaction commits
            self.session.info[WALLET_COPIES_DUE] = True
        return count
