"""Read-only queries over an organisation's awards: a filtered page newest first, counts by status, and
awards found again by their recipient keys.

Like the other repositories it takes an open :class:`~sqlalchemy.orm.Session` and leaves the transaction
to the service. Nothing here writes. An award is *revoked* when ``revoked_at`` is set, *suspended* when it
is suspended and not revoked, and *valid* otherwise.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from cairn.store.tables import AwardRow, DefinitionRow, DefinitionVersionRow, OrganisationRow

__all__ = ["STATUSES", "AwardFilter", "AwardQueryRepository", "AwardRecord"]

STATUSES: Final = ("valid", "revoked", "suspended")
"""The statuses an award can be listed by."""
_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class AwardFilter:
    """Which awards of an organisation to list.

    ``text`` matches, without regard to case, part of the external id, the recipient's DID, the grade or the
    definition's identifier, or the start of the award id; ``recipient_keys`` (keyed hashes of an email, see
    :meth:`cairn.services.issuing.keys.KeyService.recipient_key`) match awards made to that email exactly.
    """

    text: str = ""
    recipient_keys: tuple[str, ...] = ()
    status: str | None = None
    definition: str | None = None


@dataclass(frozen=True, slots=True)
class AwardRecord:
    """One award as the queries read it, with its definition's identifier and version (``""`` and 0 for a
    credential issued through the VC-API)."""

    award_id: str
    definition: str
    version: int
    issued_at: datetime
    credential: dict[str, Any] | None
    recipient_did: str | None
    has_email: bool
    external_id: str | None
    grade: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended: bool
    suspension_reason: str | None
    claimed_at: datetime | None
    bulk_job_id: int | None
    claim_sent_at: datetime | None = None
    claim_sends: int = 0


def _status_clause(status: str) -> ColumnElement[bool]:
    if status == "revoked":
        return AwardRow.revoked_at.is_not(None)
    if status == "suspended":
        return and_(AwardRow.revoked_at.is_(None), AwardRow.suspended.is_(True))
    if status == "valid":
        return and_(AwardRow.revoked_at.is_(None), AwardRow.suspended.is_(False))
    raise ValueError(f"unknown status {status!r}; the statuses are {', '.join(STATUSES)}")


class AwardQueryRepository:
    """Reads an organisation's awards."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def organisation_id(self, slug: str) -> int | None:
        """The id of the organisation with this slug, or None."""
        found = self.session.scalar(select(OrganisationRow.id).where(OrganisationRow.slug == slug))
        return int(found) if found is not None else None

    def _filtered(self, columns: Select[Any], organisation_id: int, where: AwardFilter) -> Select[Any]:
        stmt = (
            columns.outerjoin(DefinitionVersionRow, DefinitionVersionRow.id == AwardRow.definition_version_id)
            .outerjoin(DefinitionRow, DefinitionRow.id == DefinitionVersionRow.definition_id)
            .where(AwardRow.organisation_id == organisation_id)
        )
        if where.status:
            stmt = stmt.where(_status_clause(where.status))
        if where.definition:
            stmt = stmt.where(DefinitionRow.slug == where.definition)
        text = where.text.strip().lower()
        if text or where.recipient_keys:
            matches: list[ColumnElement[bool]] = []
            if text:
                matches.append(AwardRow.id.startswith(text, autoescape=True))
                for column in (AwardRow.external_id, AwardRow.recipient_did, AwardRow.grade, DefinitionRow.slug):
                    matches.append(func.lower(column).contains(text, autoescape=True))
            if where.recipient_keys:
                matches.append(AwardRow.recipient_key.in_(where.recipient_keys))
            stmt = stmt.where(or_(*matches) if matches else false())
        return stmt

    def count(self, organisation_id: int, where: AwardFilter) -> int:
        """How many awards of the organisation ``where`` matches."""
        stmt = self._filtered(select(func.count(AwardRow.id)).select_from(AwardRow), organisation_id, where)
        return int(self.session.scalar(stmt) or 0)

    def page(self, organisation_id: int, where: AwardFilter, *, offset: int, limit: int) -> list[AwardRecord]:
        """The matching awards, newest first (then by id, so pages never overlap)."""
        columns = select(AwardRow, DefinitionRow.slug, DefinitionVersionRow.version).select_from(AwardRow)
        stmt = (
            self._filtered(columns, organisation_id, where)
            .order_by(AwardRow.issued_at.desc(), AwardRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_record(row, slug, version) for row, slug, version in self.session.execute(stmt).tuples()]

    def get(self, organisation_id: int, award_id: str) -> AwardRecord | None:
        """One award of the organisation, or None (also when it belongs to another organisation)."""
        stmt = (
            select(AwardRow, DefinitionRow.slug, DefinitionVersionRow.version)
            .outerjoin(DefinitionVersionRow, DefinitionVersionRow.id == AwardRow.definition_version_id)
            .outerjoin(DefinitionRow, DefinitionRow.id == DefinitionVersionRow.definition_id)
            .where(AwardRow.organisation_id == organisation_id, AwardRow.id == award_id)
        )
        found = self.session.execute(stmt).tuples().first()
        return _record(*found) if found else None

    def counts(self, organisation_id: int) -> dict[str, int]:
        """``{"total", "valid", "revoked", "suspended"}`` over every award of the organisation."""
        revoked = AwardRow.revoked_at.is_not(None)
        suspended = and_(AwardRow.revoked_at.is_(None), AwardRow.suspended.is_(True))
        stmt = select(
            func.count(AwardRow.id),
            func.coalesce(func.sum(case((revoked, 1), else_=0)), 0),
            func.coalesce(func.sum(case((suspended, 1), else_=0)), 0),
        ).where(AwardRow.organisation_id == organisation_id)
        total, n_revoked, n_suspended = (int(v or 0) for v in self.session.execute(stmt).one())
        return {
            "total": total,
            "valid": total - n_revoked - n_suspended,
            "revoked": n_revoked,
            "suspended": n_suspended,
        }

    def claim_times(self, organisation_id: int, where: AwardFilter) -> list[tuple[str, datetime, datetime | None]]:
        """``(definition, issued_at, claimed_at)`` of every award ``where`` matches (``""``: issued through the
        VC-API), for the claim figures."""
        columns = select(DefinitionRow.slug, AwardRow.issued_at, AwardRow.claimed_at).select_from(AwardRow)
        rows = self.session.execute(self._filtered(columns, organisation_id, where)).tuples()
        return [(str(slug or ""), issued, claimed) for slug, issued, claimed in rows]

    def by_recipient_keys(
        self, organisation_id: int, definition: str, version: int, recipient_keys: Collection[str]
    ) -> dict[str, str]:
        """``recipient key -> award id`` for the keys awarded this definition version by the organisation."""
        version_id = self.session.scalar(
            select(DefinitionVersionRow.id)
            .join(DefinitionRow, DefinitionRow.id == DefinitionVersionRow.definition_id)
            .where(DefinitionRow.slug == definition, DefinitionVersionRow.version == version)
        )
        found: dict[str, str] = {}
        if version_id is None:
            return found
        keys = sorted(set(recipient_keys))
        for start in range(0, len(keys), _CHUNK):
            stmt = select(AwardRow.recipient_key, AwardRow.id).where(
                AwardRow.organisation_id == organisation_id,
                AwardRow.definition_version_id == version_id,
                AwardRow.recipient_key.in_(keys[start : start + _CHUNK]),
            )
            found.update({str(k): str(i) for k, i in self.session.execute(stmt).tuples()})
        return found

    def made_by_bulk_job(self, job_id: int, *, since: datetime) -> set[str]:
        """The ids of the awards bulk job ``job_id`` issued at ``since`` or later."""
        stmt = select(AwardRow.id).where(AwardRow.bulk_job_id == job_id, AwardRow.issued_at >= since)
        return set(self.session.scalars(stmt))


def _record(row: AwardRow, definition: str | None, version: int | None) -> AwardRecord:
    """An award; one issued through the VC-API (no definition) has definition ``""`` and version 0."""
    return AwardRecord(
        award_id=row.id,
        definition=str(definition or ""),
        version=int(version or 0),
        issued_at=row.issued_at,
        credential=dict(row.credential) if isinstance(row.credential, dict) else None,
        recipient_did=row.recipient_did,
        has_email=row.recipient_hash is not None,
        external_id=row.external_id,
        grade=row.grade,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        suspended=bool(row.suspended),
        suspension_reason=row.suspension_reason,
        claimed_at=row.claimed_at,
        bulk_job_id=row.bulk_job_id,
        claim_sent_at=row.claim_sent_at,
        claim_sends=int(row.claim_sends or 0),
    )
