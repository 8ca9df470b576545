"""Wallet credentials verified again in the background: the queue's ``wallet.refresh`` job.

Every credential of every wallet whose last check is older than the re-check age (``CAIRN_WALLET_RECHECK_MINUTES``)
is verified again through the one verification use case, the longest unchecked first, in batches of :data:`BATCH`,
at most :data:`RUN_CAP` a run, starting none after :data:`RUN_SECONDS`. Each credential is read in one short
transaction, verified outside any (a remote status list is fetched by the bounded fetcher: its size and time limits
hold), and what was found is kept in a second short transaction, unless the credential was removed or checked by
someone else meanwhile. A credential whose verification raises is logged and left for the next run; the others go
on.

When the status a check finds is one the learner is to be told about (:func:`~cairn.services.wallet.records.
status_notice`: revoked, suspended, valid again) the wallet page shows the notice; for a credential that did not
come through this instance's claim flow (another issuer's, or one imported as a file) an email says so too, once
per status (``status_mailed``), to the account's verified address, in the credential's language. The copies of
this instance's awards get their email when the issuer changes the status
(:func:`~cairn.services.issuing.claims.queue_status_notice`), not a second one here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from cairn.services.issuing.claim_emails import credential_language, status_email
from cairn.services.wallet.records import status_notice
from cairn.services.wallet.service import WalletService
from cairn.store.mail import OutboxRepository
from cairn.store.tables import WalletCredentialRow, WalletRow
from cairn.store.wallet.repository import WalletRepository

__all__ = ["BATCH", "REFRESH_TASK", "RUN_CAP", "RUN_SECONDS", "Refreshed", "WalletRefresher"]

log = logging.getLogger("cairn.wallet")

REFRESH_TASK: Final = "wallet.refresh"
BATCH: Final = 50
"""Due credentials read at a time."""
RUN_CAP: Final = 1000
"""Credentials one run verifies at most (the next run goes on from there)."""
RUN_SECONDS: Final = 120.0
"""How long one run starts new checks for: slow issuers do not hold the worker (on SQLite, the one thread that also
sends emails and runs bulk awards) for long."""
MAX_EMAIL_TEXT: Final = 200


@dataclass
class Refreshed:
    """What one run did: credentials verified again, whose status changed, emails queued, verifications that
    raised."""

    checked: int = 0
    changed: int = 0
    emailed: int = 0
    failed: int = 0


def _plain(text: str | None) -> str | None:
    """Another issuer's words, fit for an email's subject and body: one line, bounded."""
    cleaned = " ".join(str(text or "").split())[:MAX_EMAIL_TEXT]
    return cleaned or None


class WalletRefresher:
    """Verifies due wallet credentials again (the ``wallet.refresh`` job) and tells learners of status changes."""

    def __init__(
        self,
        wallet: WalletService,
        *,
        public_url: str,
        cap: int = RUN_CAP,
        batch: int = BATCH,
        seconds: float = RUN_SECONDS,
    ) -> None:
        self.wallet = wallet
        self.public_url = public_url.rstrip("/")
        self.cap = cap
        self.batch = batch
        self.seconds = seconds

    def run(self, *, cap: int | None = None) -> Refreshed:
        """Verify again up to ``cap`` (else :attr:`cap`) credentials whose last check is older than the re-check
        age, longest unchecked first, starting none after :attr:`seconds`."""
        limit = self.cap if cap is None else cap
        database, done = self.wallet.database, Refreshed()
        failed: set[str] = set()
        tried, deadline = 0, time.monotonic() + self.seconds
        while tried < limit and time.monotonic() < deadline:
            before = self.wallet.clock() - self.wallet.recheck_after
            with database.transaction(read_only=True) as session:
                ids = WalletRepository(session).due(
                    checked_before=before, limit=min(self.batch, limit - tried), skip=failed
                )
            if not ids:
                break
            for credential_id in ids:
                if time.monotonic() >= deadline:
                    break
                tried += 1
                try:
                    self._refresh(credential_id, done)
                except Exception:  # one credential's failure (a bug, the database) does not stop the others
                    failed.add(credential_id)
                    done.failed += 1
                    log.exception("wallet credential %s could not be verified again", credential_id)
        if done.checked or done.failed:
            log.info(
                "wallet refresh: %s verified again, %s changed, %s emailed, %s failed",
                done.checked, done.changed, done.emailed, done.failed,
            )  # fmt: skip
        return done

    def _refresh(self, credential_id: str, done: Refreshed) -> None:
        database = self.wallet.database
        with database.transaction(read_only=True) as session:
            row = session.get(WalletCredentialRow, credential_id)
            if row is None or self.wallet.clock() - row.checked_at <= self.wallet.recheck_after:
                return  # removed, or checked since it was found due
            original, checked_at = row.original, row.checked_at
        report = self.wallet.verification.verify(original)  # outside any transaction: a slow issuer holds no lock
        with database.transaction() as session:
            row = WalletRepository(session).locked(credential_id)
            if row is None or row.checked_at != checked_at:
                return  # removed, or checked meanwhile (opened by its owner, another run): that check stands
            wallet = session.get(WalletRow, row.wallet_id)
            if wallet is None:
                return
            status = row.status
            self.wallet.keep_check(session, wallet, row, report)
            done.checked += 1
            done.changed += row.status != status
            done.emailed += self._tell(session, wallet, row)

    def _tell(self, session: Session, wallet: WalletRow, row: WalletCredentialRow) -> bool:
        """Queue the email about the credential's new status, once per status, when the learner is to be told and
        no other email tells them; whether one was queued."""
        change = status_notice(row.status, row.status_seen)
        if change is None or row.status_mailed == row.status or row.award_id is not None:
            return False
        row.status_mailed = row.status  # told once, whether or not an email can go
        account = WalletRepository(session).account(wallet.account_id)
        if account is None or account.email_verified_at is None or account.disabled_at is not None:
            return False
        document = row.document or {}
        subject, body = status_email(
            language=credential_language(document),
            change=change,
            title=_plain(row.title) or "?",
            issuer=_plain(row.issuer_name),
            reason=None,
            wallet_url=f"{self.public_url}/wallet",
        )
        OutboxRepository(session).enqueue(to=account.email, subject=subject, body=body, now=self.wallet.clock())
        return True
