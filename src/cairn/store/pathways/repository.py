"""Pathways, their versions, follows and composite claims. The rows hold a pathway's content as JSON; the service
turns it into :class:`cairn.model.pathways.PathwayDefinition`. Each repository takes an open session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cairn.store.tables import (
    OrganisationRow,
    PathwayClaimRow,
    PathwayFollowRow,
    PathwayRow,
    PathwayVersionRow,
)

__all__ = ["PathwayRepository", "StoredPathway"]


@dataclass(frozen=True, slots=True)
class StoredPathway:
    """One version of a pathway as stored."""

    id: int
    slug: str
    organisation: str
    version: int
    latest_version: int
    state: str
    content: dict[str, Any]
    content_hash: str
    created_at: datetime


class PathwayRepository:
    """Versioned pathways, the wallets that follow them, and composite claims."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- pathways ------------------------------------------------------------------------------------

    def row(self, slug: str) -> PathwayRow | None:
        """The pathway ``slug``, or None."""
        return self.session.scalar(select(PathwayRow).where(PathwayRow.slug == slug))

    def get(self, slug: str, version: int | None = None) -> StoredPathway | None:
        """Version ``version`` (the latest when None) of ``slug``, or None."""
        query = (
            select(PathwayRow, PathwayVersionRow, OrganisationRow.slug)
            .join(PathwayVersionRow, PathwayVersionRow.pathway_id == PathwayRow.id)
            .join(OrganisationRow, OrganisationRow.id == PathwayRow.organisation_id)
            .where(PathwayRow.slug == slug)
            .where(PathwayVersionRow.version == (PathwayRow.latest_version if version is None else version))
        )
        found = self.session.execute(query).first()
        return None if found is None else _stored(*found)

    def latest(self, *, drafts: bool = False, organisation: str | None = None) -> list[StoredPathway]:
        """The latest version of every pathway (published ones only unless ``drafts``), by slug."""
        query = (
            select(PathwayRow, PathwayVersionRow, OrganisationRow.slug)
            .join(PathwayVersionRow, PathwayVersionRow.pathway_id == PathwayRow.id)
            .join(OrganisationRow, OrganisationRow.id == PathwayRow.organisation_id)
            .where(PathwayVersionRow.version == PathwayRow.latest_version)
            .order_by(PathwayRow.slug)
        )
        if not drafts:
            query = query.where(PathwayRow.state == "published")
        if organisation is not None:
            query = query.where(OrganisationRow.slug == organisation)
        return [_stored(*found) for found in self.session.execute(query)]

    def versions(self, slug: str) -> list[int]:
        """The version numbers of ``slug``, oldest first."""
        query = (
            select(PathwayVersionRow.version)
            .join(PathwayRow, PathwayRow.id == PathwayVersionRow.pathway_id)
            .where(PathwayRow.slug == slug)
            .order_by(PathwayVersionRow.version)
        )
        return list(self.session.scalars(query))

    def save(
        self, *, slug: str, organisation_id: int, content: dict[str, Any], content_hash: str, state: str, now: datetime
    ) -> tuple[str, int]:
        """Store ``content`` as ``slug``'s first version, or as a new version when it differs from the latest one;
        says what happened (``created``, ``new-version``, ``unchanged``) and the version now latest."""
        row = self.row(slug)
        if row is None:
            row = PathwayRow(slug=slug, organisation_id=organisation_id, latest_version=1, state=state, created_at=now)
            self.session.add(row)
            self.session.flush()
            self._add_version(row.id, 1, content, content_hash, now)
            return "created", 1
        latest = self.session.scalar(
            select(PathwayVersionRow).where(
                PathwayVersionRow.pathway_id == row.id, PathwayVersionRow.version == row.latest_version
            )
        )
        row.state = state
        if latest is not None and latest.content_hash == content_hash:
            return "unchanged", row.latest_version
        row.latest_version += 1
        self._add_version(row.id, row.latest_version, content, content_hash, now)
        return "new-version", row.latest_version

    def _add_version(self, pathway_id: int, version: int, content: dict[str, Any], digest: str, now: datetime) -> None:
        self.session.add(
            PathwayVersionRow(
                pathway_id=pathway_id, version=version, content=content, content_hash=digest, created_at=now
            )
        )

    # -- follows -------------------------------------------------------------------------------------

    def follow(self, wallet_id: int, pathway_id: int, now: datetime) -> None:
        """``wallet_id`` follows ``pathway_id`` (nothing when it does already)."""
        if self.following(wallet_id, pathway_id):
            return
        self.session.add(PathwayFollowRow(wallet_id=wallet_id, pathway_id=pathway_id, created_at=now))

    def unfollow(self, wallet_id: int, pathway_id: int) -> None:
        """``wallet_id`` no longer follows ``pathway_id``."""
        self.session.execute(
            delete(PathwayFollowRow).where(
                PathwayFollowRow.wallet_id == wallet_id, PathwayFollowRow.pathway_id == pathway_id
            )
        )

    def following(self, wallet_id: int, pathway_id: int) -> bool:
        """Whether ``wallet_id`` follows ``pathway_id``."""
        query = select(PathwayFollowRow.id).where(
            PathwayFollowRow.wallet_id == wallet_id, PathwayFollowRow.pathway_id == pathway_id
        )
        return self.session.scalar(query) is not None

    def followed(self, wallet_id: int) -> set[str]:
        """The slugs of the pathways ``wallet_id`` follows."""
        query = (
            select(PathwayRow.slug)
            .join(PathwayFollowRow, PathwayFollowRow.pathway_id == PathwayRow.id)
            .where(PathwayFollowRow.wallet_id == wallet_id)
        )
        return set(self.session.scalars(query))

    # -- composite claims ----------------------------------------------------------------------------

    def add_claim(self, claim: PathwayClaimRow) -> PathwayClaimRow:
        """Store a new claim."""
        self.session.add(claim)
        self.session.flush()
        return claim

    def claim(self, public_id: str) -> PathwayClaimRow | None:
        """The claim ``public_id``, or None."""
        return self.session.scalar(select(PathwayClaimRow).where(PathwayClaimRow.public_id == public_id))

    def claim_of_award(self, award_id: str) -> PathwayClaimRow | None:
        """The claim whose composite is the award ``award_id``, or None (not a composite)."""
        return self.session.scalar(select(PathwayClaimRow).where(PathwayClaimRow.award_id == award_id))

    def claims(self, pathway_id: int, *, states: Sequence[str] = ()) -> list[PathwayClaimRow]:
        """The claims of ``pathway_id`` (in ``states`` when given), newest first."""
        query = select(PathwayClaimRow).where(PathwayClaimRow.pathway_id == pathway_id)
        if states:
            query = query.where(PathwayClaimRow.state.in_(states))
        return list(self.session.scalars(query.order_by(PathwayClaimRow.created_at.desc(), PathwayClaimRow.id.desc())))

    def claims_of_holder(self, pathway_id: int, holder: str) -> list[PathwayClaimRow]:
        """The claims ``holder`` made of ``pathway_id``, newest first."""
        query = select(PathwayClaimRow).where(
            PathwayClaimRow.pathway_id == pathway_id, PathwayClaimRow.holder == holder
        )
        return list(self.session.scalars(query.order_by(PathwayClaimRow.id.desc())))

    def claims_of_account(self, account_id: int) -> list[PathwayClaimRow]:
        """Every claim made from the wallet of ``account_id``, newest first."""
        query = select(PathwayClaimRow).where(PathwayClaimRow.account_id == account_id)
        return list(self.session.scalars(query.order_by(PathwayClaimRow.id.desc())))


def _stored(row: PathwayRow, version: PathwayVersionRow, organisation: str) -> StoredPathway:
    return StoredPathway(
        id=row.id,
        slug=row.slug,
        organisation=organisation,
        version=version.version,
        latest_version=row.latest_version,
        state=row.state,
        content=dict(version.content),
        content_hash=version.content_hash,
        created_at=version.created_at,
    )
