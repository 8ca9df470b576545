"""Queries behind sharing: a learner's credentials as the owner sees them, share links, the public profile.

Each takes an open :class:`~sqlalchemy.orm.Session`; the service owns the transaction. Every read of a
credential on behalf of a learner goes through the owning account, so another account never finds it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cairn.store.tables import ShareLinkRow, WalletCredentialRow, WalletRow
from cairn.vc.holder import HOLDER

__all__ = ["SharingRepository"]


class SharingRepository:
    """Share links, and the wallet fields sharing reads and writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the owner's side ------------------------------------------------------------------------

    def wallet_of(self, account_id: int) -> WalletRow | None:
        """The wallet of ``account_id``, or None when it has none yet."""
        return self.session.scalar(select(WalletRow).where(WalletRow.account_id == account_id))

    def owned_credential(self, account_id: int, credential_id: str) -> WalletCredentialRow | None:
        """Credential ``credential_id`` when it lies in ``account_id``'s wallet, else None."""
        query = (
            select(WalletCredentialRow)
            .join(WalletRow, WalletRow.id == WalletCredentialRow.wallet_id)
            .where(WalletRow.account_id == account_id, WalletCredentialRow.id == credential_id)
        )
        return self.session.scalar(query)

    def credential(self, credential_id: str) -> WalletCredentialRow | None:
        """Credential ``credential_id`` (to store what checking it again found), or None."""
        return self.session.get(WalletCredentialRow, credential_id)

    def links_of(self, credential_id: str) -> list[ShareLinkRow]:
        """Every share link of a credential, newest first."""
        query = (
            select(ShareLinkRow)
            .where(ShareLinkRow.credential_id == credential_id)
            .order_by(ShareLinkRow.created_at.desc(), ShareLinkRow.id.desc())
        )
        return list(self.session.scalars(query))

    def count_links(self, credential_id: str) -> int:
        """How many share links a credential has (revoked and expired ones included)."""
        query = select(func.count()).select_from(ShareLinkRow).where(ShareLinkRow.credential_id == credential_id)
        return int(self.session.scalar(query) or 0)

    def add_link(
        self, *, credential_id: str, token_hash: str, seed: str | None, now: datetime, expires_at: datetime | None
    ) -> ShareLinkRow:
        """A new share link."""
        row = ShareLinkRow(
            credential_id=credential_id,
            token_hash=token_hash,
            seed=seed,
            created_at=now,
            expires_at=expires_at,
            views=0,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def link_of(self, credential_id: str, link_id: int) -> ShareLinkRow | None:
        """Link ``link_id`` when it belongs to ``credential_id``."""
        query = select(ShareLinkRow).where(ShareLinkRow.id == link_id, ShareLinkRow.credential_id == credential_id)
        return self.session.scalar(query)

    # -- the public side ---------------------------------------------------------------------------

    def by_token_hash(self, token_hash: str) -> tuple[ShareLinkRow, WalletCredentialRow] | None:
        """The link whose token hashes to ``token_hash`` and its credential, or None."""
        query = (
            select(ShareLinkRow, WalletCredentialRow)
            .join(WalletCredentialRow, WalletCredentialRow.id == ShareLinkRow.credential_id)
            .where(ShareLinkRow.token_hash == token_hash)
        )
        found = self.session.execute(query).first()
        return None if found is None else (found[0], found[1])

    def count_view(self, link_id: int, now: datetime) -> None:
        """One more view of a link (an atomic increment, so concurrent views all count)."""
        statement = (
            update(ShareLinkRow)
            .where(ShareLinkRow.id == link_id)
            .values(views=ShareLinkRow.views + 1, last_viewed_at=now)
            .execution_options(synchronize_session=False)
        )
        self.session.execute(statement)

    def wallet_by_slug(self, slug: str) -> WalletRow | None:
        """The wallet whose profile lives at ``slug``, or None."""
        return self.session.scalar(select(WalletRow).where(WalletRow.profile_slug == slug))

    def slug_taken(self, slug: str, *, other_than: int) -> bool:
        """True when another wallet than ``other_than`` uses ``slug``."""
        query = select(WalletRow.id).where(WalletRow.profile_slug == slug, WalletRow.id != other_than)
        return self.session.scalar(query) is not None

    def public_credentials(self, wallet_id: int) -> list[WalletCredentialRow]:
        """The credentials of a wallet marked for the public profile and about its holder, newest first."""
        query = (
            select(WalletCredentialRow)
            .where(
                WalletCredentialRow.wallet_id == wallet_id,
                WalletCredentialRow.public.is_(True),
                WalletCredentialRow.holder_match == HOLDER,
            )
            .order_by(WalletCredentialRow.issued_at.desc(), WalletCredentialRow.added_at.desc())
        )
        return list(self.session.scalars(query))

    def public_credential(self, wallet_id: int, credential_id: str) -> WalletCredentialRow | None:
        """One credential of a wallet when it is marked public and about its holder."""
        query = select(WalletCredentialRow).where(
            WalletCredentialRow.wallet_id == wallet_id,
            WalletCredentialRow.id == credential_id,
            WalletCredentialRow.public.is_(True),
            WalletCredentialRow.holder_match == HOLDER,
        )
        return self.session.scalar(query)
