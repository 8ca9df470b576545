"""Endorsements, found by the endorsed definition or achievement. Takes an open session."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cairn.store.tables import EndorsementRow, OrganisationRow

__all__ = ["EndorsementRepository"]


class EndorsementRepository:
    """The endorsements table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: EndorsementRow) -> EndorsementRow:
        """Insert ``row`` (its id is set on return)."""
        self.session.add(row)
        self.session.flush()
        return row

    def by_award(self, award_id: str) -> EndorsementRow | None:
        """The endorsement whose signed credential is award ``award_id``, or None."""
        return self.session.scalars(select(EndorsementRow).where(EndorsementRow.award_id == award_id)).first()

    def current(
        self, *, achievement_key: str, definition_slug: str | None, limit: int = 50
    ) -> list[tuple[EndorsementRow, OrganisationRow]]:
        """The endorsements not withdrawn of the achievement (by the SHA-256 of its id) or of the definition, with
        their endorsing organisations, oldest first."""
        match = EndorsementRow.achievement_key == achievement_key
        if definition_slug is not None:
            match = or_(match, EndorsementRow.definition_slug == definition_slug)
        query = (
            select(EndorsementRow, OrganisationRow)
            .join(OrganisationRow, OrganisationRow.id == EndorsementRow.organisation_id)
            .where(match, EndorsementRow.withdrawn_at.is_(None))
            .order_by(EndorsementRow.created_at, EndorsementRow.id)
            .limit(limit)
        )
        return [(e, o) for e, o in self.session.execute(query).tuples()]

    def of_organisation(self, organisation_id: int, limit: int = 500) -> list[EndorsementRow]:
        """The endorsements ``organisation_id`` gave, withdrawn ones too, newest first."""
        query = (
            select(EndorsementRow)
            .where(EndorsementRow.organisation_id == organisation_id)
            .order_by(EndorsementRow.created_at.desc(), EndorsementRow.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))
