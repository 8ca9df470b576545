"""Queries for learners' wallets: credentials, collections, and erasing an account with everything it owns."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from cairn.store.analytics_tables import LearnerProfileRow
from cairn.store.audit import rewrite_chain
from cairn.store.tables import (
    AccountRow,
    AuditEntry,
    AwardRow,
    LearnerRow,
    OutboxRow,
    SignInLinkRow,
    WalletCollectionItemRow,
    WalletCollectionRow,
    WalletCredentialRow,
    WalletRow,
)

__all__ = ["WalletRepository", "erase_account", "redact_audit"]


class WalletRepository:
    """A wallet and what it holds, in the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- wallets ---------------------------------------------------------------------------------

    def by_account(self, account_id: int) -> WalletRow | None:
        """The wallet of an account, or None."""
        return self.session.scalar(select(WalletRow).where(WalletRow.account_id == account_id))

    def add(self, *, account_id: int, did: str, private_key_encrypted: bytes, now: datetime) -> WalletRow:
        """A new wallet."""
        row = WalletRow(account_id=account_id, did=did, private_key_encrypted=private_key_encrypted, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row

    def account(self, account_id: int) -> AccountRow | None:
        """The account row (for its email)."""
        return self.session.get(AccountRow, account_id)

    # -- credentials -----------------------------------------------------------------------------

    def credential(self, wallet_id: int, credential_id: str) -> WalletCredentialRow | None:
        """One credential of this wallet (None when absent or in another wallet)."""
        return self.session.scalar(
            select(WalletCredentialRow).where(
                WalletCredentialRow.wallet_id == wallet_id, WalletCredentialRow.id == credential_id[:36]
            )
        )

    def by_hash(self, wallet_id: int, content_hash: str) -> WalletCredentialRow | None:
        """The credential with this content hash in this wallet, or None."""
        return self.session.scalar(
            select(WalletCredentialRow).where(
                WalletCredentialRow.wallet_id == wallet_id, WalletCredentialRow.content_hash == content_hash
            )
        )

    def add_credential(self, **values: Any) -> WalletCredentialRow:
        """Store a credential."""
        row = WalletCredentialRow(**values)
        self.session.add(row)
        self.session.flush()
        return row

    def credentials(
        self, wallet_id: int, *, q: str | None = None, status: str | None = None, collection: int | None = None
    ) -> Sequence[WalletCredentialRow]:
        """The wallet's credentials, newest first, filtered by words, status and collection."""
        query = select(WalletCredentialRow).where(WalletCredentialRow.wallet_id == wallet_id)
        if status:
            query = query.where(WalletCredentialRow.status == status)
        if collection is not None:
            query = query.join(
                WalletCollectionItemRow, WalletCollectionItemRow.credential_id == WalletCredentialRow.id
            ).where(WalletCollectionItemRow.collection_id == collection)
        for word in (q or "").lower().split()[:10]:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(WalletCredentialRow.search_text.like(f"%{escaped}%", escape="\\"))
        query = query.order_by(WalletCredentialRow.added_at.desc(), WalletCredentialRow.id)
        return self.session.scalars(query).all()

    # -- the re-check job ------------------------------------------------------------------------

    def due(self, *, checked_before: datetime, limit: int, skip: Collection[str] = ()) -> list[str]:
        """The ids of credentials (of every wallet) last checked before ``checked_before``, longest unchecked
        first, at most ``limit``, none of ``skip``."""
        query = select(WalletCredentialRow.id).where(WalletCredentialRow.checked_at < checked_before)
        if skip:
            query = query.where(WalletCredentialRow.id.not_in(list(skip)))
        query = query.order_by(WalletCredentialRow.checked_at, WalletCredentialRow.id).limit(limit)
        return list(self.session.scalars(query))

    def locked(self, credential_id: str) -> WalletCredentialRow | None:
        """A credential of any wallet, locked for this transaction (PostgreSQL; SQLite has one writer)."""
        query = select(WalletCredentialRow).where(WalletCredentialRow.id == credential_id).with_for_update()
        return self.session.scalar(query)

    def delete_credential(self, row: WalletCredentialRow) -> None:
        """Remove a credential (its memberships and share links go with it)."""
        self.session.delete(row)
        self.session.flush()

    # -- collections -----------------------------------------------------------------------------

    def collections(self, wallet_id: int) -> list[tuple[WalletCollectionRow, int]]:
        """The wallet's collections with how many credentials each holds, by name."""
        counts = (
            select(WalletCollectionItemRow.collection_id, func.count().label("n"))
            .group_by(WalletCollectionItemRow.collection_id)
            .subquery()
        )
        rows = self.session.execute(
            select(WalletCollectionRow, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.collection_id == WalletCollectionRow.id)
            .where(WalletCollectionRow.wallet_id == wallet_id)
            .order_by(WalletCollectionRow.name, WalletCollectionRow.id)
        ).all()
        return [(row, int(n)) for row, n in rows]

    def collection(self, wallet_id: int, collection_id: int) -> WalletCollectionRow | None:
        """One collection of this wallet, or None."""
        return self.session.scalar(
            select(WalletCollectionRow).where(
                WalletCollectionRow.wallet_id == wallet_id, WalletCollectionRow.id == collection_id
            )
        )

    def collection_by_name(self, wallet_id: int, name: str) -> WalletCollectionRow | None:
        """The collection called ``name`` (case-insensitively), or None."""
        return self.session.scalar(
            select(WalletCollectionRow).where(
                WalletCollectionRow.wallet_id == wallet_id, func.lower(WalletCollectionRow.name) == name.lower()
            )
        )

    def add_collection(self, wallet_id: int, name: str, now: datetime) -> WalletCollectionRow:
        """A new collection."""
        row = WalletCollectionRow(wallet_id=wallet_id, name=name, created_at=now)
        self.session.add(row)
        self.session.flush()
        return row

    def memberships(self, credential_ids: Sequence[str]) -> dict[str, list[tuple[int, str]]]:
        """For each credential id, the ``(id, name)`` of the collections it is in."""
        found: dict[str, list[tuple[int, str]]] = {i: [] for i in credential_ids}
        if not credential_ids:
            return found
        rows = self.session.execute(
            select(WalletCollectionItemRow.credential_id, WalletCollectionRow.id, WalletCollectionRow.name)
            .join(WalletCollectionRow, WalletCollectionRow.id == WalletCollectionItemRow.collection_id)
            .where(WalletCollectionItemRow.credential_id.in_(list(credential_ids)))
            .order_by(WalletCollectionRow.name)
        ).all()
        for credential_id, collection_id, name in rows:
            found.setdefault(credential_id, []).append((collection_id, name))
        return found

    def is_member(self, collection_id: int, credential_id: str) -> bool:
        """Whether the credential is in the collection."""
        return (
            self.session.get(WalletCollectionItemRow, {"collection_id": collection_id, "credential_id": credential_id})
            is not None
        )

    def add_member(self, collection_id: int, credential_id: str) -> None:
        """Put a credential in a collection (nothing when it is there already)."""
        if not self.is_member(collection_id, credential_id):
            self.session.add(WalletCollectionItemRow(collection_id=collection_id, credential_id=credential_id))
            self.session.flush()

    def remove_member(self, collection_id: int, credential_id: str) -> None:
        """Take a credential out of a collection."""
        self.session.execute(
            delete(WalletCollectionItemRow).where(
                WalletCollectionItemRow.collection_id == collection_id,
                WalletCollectionItemRow.credential_id == credential_id,
            )
        )

    # -- claims ----------------------------------------------------------------------------------

    def claimed_by_account(self, award_id: str) -> int | None:
        """The account whose wallet holds the award through its claim link, if any."""
        stmt = (
            select(WalletRow.account_id)
            .join(WalletCredentialRow, WalletCredentialRow.wallet_id == WalletRow.id)
            .where(WalletCredentialRow.award_id == award_id, WalletCredentialRow.source == "claim")
            .limit(1)
        )
        found = self.session.scalar(stmt)
        return int(found) if found is not None else None

    def link_award(self, award_id: str, email: str, now: datetime) -> None:
        """Mark an award claimed by the learner with ``email`` (found or recorded in ``learners``)."""
        award = self.session.get(AwardRow, award_id)
        if award is None:
            return
        learner = self.session.scalar(select(LearnerRow).where(LearnerRow.email == email))
        if learner is None:
            learner = LearnerRow(email=email, created_at=now)
            self.session.add(learner)
            self.session.flush()
        award.learner_id = learner.id
        if award.claimed_at is None:
            award.claimed_at = now


def redact_audit(session: Session, email: str, replacement: str) -> int:
    """Replace the address ``email`` (case-insensitively, and only as a whole address: ``joann@example.org`` is
    not ``ann@example.org``) in audit subjects and details, then re-link the chain from the first entry changed,
    so it still checks out (:func:`cairn.store.audit.rewrite_chain`); returns how many entries were redacted."""
    needle = email.strip().lower()
    pattern = f"%{needle}%"
    address = re.compile(rf"(?<![\w.!#$%&'*+/=?^`{{|}}~-]){re.escape(needle)}(?![\w-]|\.[\w-])", re.IGNORECASE)
    candidates = session.scalars(  # entries that hold the text somewhere; the address itself is matched below
        select(AuditEntry.id)
        .where(
            or_(
                func.lower(AuditEntry.subject).like(pattern),
                func.lower(cast(AuditEntry.details, String)).like(pattern),
            )
        )
        .order_by(AuditEntry.id)
    )
    about = set(candidates)
    if not about:
        return 0

    def redact(entry: AuditEntry) -> bool:
        if entry.id not in about:
            return False
        subject, details = _scrub(entry.subject, address, replacement), _scrub(entry.details, address, replacement)
        if subject == entry.subject and details == entry.details:
            return False
        entry.subject, entry.details = subject, details
        return True

    return rewrite_chain(session, min(about), redact)


def _scrub(value: Any, address: re.Pattern[str], replacement: str) -> Any:
    if isinstance(value, str):
        return address.sub(replacement, value)
    if isinstance(value, dict):
        return {_scrub(k, address, replacement): _scrub(v, address, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, address, replacement) for v in value]
    return value


def erase_account(session: Session, account_id: int, email: str) -> None:
    """Delete an account and every row about its person: wallet (credentials, collections, share links), the
    answers given for statistics, sessions and memberships (cascading), sign-in links and queued mail to the
    address, the learner record (awards keep their issuer's copy, unlinked)."""
    wallet = session.scalar(select(WalletRow).where(WalletRow.account_id == account_id))
    if wallet is not None:
        session.delete(wallet)
    session.execute(delete(LearnerProfileRow).where(LearnerProfileRow.account_id == account_id))
    session.execute(delete(SignInLinkRow).where(func.lower(SignInLinkRow.email) == email))
    session.execute(delete(OutboxRow).where(func.lower(OutboxRow.to_address) == email))
    learner_ids = list(session.scalars(select(LearnerRow.id).where(func.lower(LearnerRow.email) == email)))
    if learner_ids:
        for award in session.scalars(select(AwardRow).where(AwardRow.learner_id.in_(learner_ids))):
            award.learner_id = None
        session.flush()
        session.execute(delete(LearnerRow).where(LearnerRow.id.in_(learner_ids)))
    account = session.get(AccountRow, account_id)
    if account is not None:
        session.delete(account)
    session.flush()
