"""Queries for the trust network: accreditations made on this instance, trust anchors and registry peers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from cairn.store.tables import AccreditationRow, OrganisationRow, RegistryPeerRow, TrustAnchorRow, TrustStateRow

__all__ = ["TrustRepository"]


class TrustRepository:
    """The trust network's rows, in the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- the revision every process watches ----------------------------------------------------------

    def revision(self) -> int:
        """The current trust revision (0 before any change)."""
        return self.session.scalar(select(TrustStateRow.revision).where(TrustStateRow.id == 1)) or 0

    def bump(self) -> None:
        """Mark that accreditations, anchors or peers changed (other processes rebuild their index)."""
        done = self.session.execute(
            update(TrustStateRow).where(TrustStateRow.id == 1).values(revision=TrustStateRow.revision + 1)
        )
        if not getattr(done, "rowcount", 1):
            self.session.add(TrustStateRow(id=1, revision=1))

    # -- accreditations --------------------------------------------------------------------------------

    def accreditation(self, accreditation_id: str) -> AccreditationRow | None:
        """One accreditation made here, or None."""
        return self.session.get(AccreditationRow, accreditation_id)

    def accreditations(self, organisation_id: int | None = None) -> Sequence[AccreditationRow]:
        """Accreditations made here (by one organisation), newest first."""
        query = select(AccreditationRow).order_by(AccreditationRow.created_at.desc(), AccreditationRow.id)
        if organisation_id is not None:
            query = query.where(AccreditationRow.organisation_id == organisation_id)
        return self.session.scalars(query).all()

    def all_documents(self) -> list[tuple[str, dict[str, object]]]:
        """``(accrediting organisation slug, document)`` of every accreditation made here."""
        rows = self.session.execute(
            select(OrganisationRow.slug, AccreditationRow.document).join(
                OrganisationRow, OrganisationRow.id == AccreditationRow.organisation_id
            )
        )
        return [(slug, document) for slug, document in rows]

    def add(self, row: AccreditationRow) -> None:
        """Store a new accreditation."""
        self.session.add(row)
        self.bump()

    # -- anchors -------------------------------------------------------------------------------------

    def anchors(self) -> Sequence[TrustAnchorRow]:
        """The DIDs this instance trusts as roots."""
        return self.session.scalars(select(TrustAnchorRow).order_by(TrustAnchorRow.name)).all()

    def anchor(self, did: str) -> TrustAnchorRow | None:
        """One anchor, or None."""
        return self.session.get(TrustAnchorRow, did)

    def add_anchor(self, row: TrustAnchorRow) -> None:
        """Trust a new root."""
        self.session.add(row)
        self.bump()

    def remove_anchor(self, row: TrustAnchorRow) -> None:
        """Stop trusting a root."""
        self.session.delete(row)
        self.bump()

    # -- federated registries ----------------------------------------------------------------------------

    def peers(self) -> Sequence[RegistryPeerRow]:
        """The registries this instance federates with."""
        return self.session.scalars(select(RegistryPeerRow).order_by(RegistryPeerRow.id)).all()

    def peer(self, peer_id: int) -> RegistryPeerRow | None:
        """One peer, or None."""
        return self.session.get(RegistryPeerRow, peer_id)

    def peer_by_url(self, url: str) -> RegistryPeerRow | None:
        """The peer at ``url``, or None."""
        return self.session.scalar(select(RegistryPeerRow).where(RegistryPeerRow.url == url))

    def add_peer(self, row: RegistryPeerRow) -> None:
        """Federate with a new registry."""
        self.session.add(row)
        self.session.flush()
        self.bump()

    def remove_peer(self, row: RegistryPeerRow) -> None:
        """Stop federating with a registry."""
        self.session.delete(row)
        self.bump()

    def claim_peer(self, peer_id: int, *, now: datetime, checked_before: datetime) -> bool:
        """Mark the peer checked at ``now`` unless it was checked at or after ``checked_before``: True when this
        caller claimed it (one atomic update, so of several processes syncing on a schedule only one fetches)."""
        done = self.session.execute(
            update(RegistryPeerRow)
            .where(RegistryPeerRow.id == peer_id)
            .where(or_(RegistryPeerRow.checked_at.is_(None), RegistryPeerRow.checked_at < checked_before))
            .values(checked_at=now)
        )
        return bool(getattr(done, "rowcount", 0))
