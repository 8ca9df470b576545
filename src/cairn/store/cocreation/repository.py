"""Shares of draft definitions with reviewing organisations, and their comment threads. Takes an open session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from cairn.store.cocreation_tables import DefinitionShareRow, DraftCommentRow
from cairn.store.tables import DefinitionRow, OrganisationRow

__all__ = ["ShareRecord", "ShareRepository"]

ShareRecord = tuple[DefinitionShareRow, DefinitionRow, OrganisationRow, OrganisationRow]
"""A share, its definition, the sharing organisation (the lead) and the reviewing one."""


class ShareRepository:
    """The ``definition_shares`` and ``draft_comments`` tables."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _records(self, *where: ColumnElement[bool]) -> list[ShareRecord]:
        lead_row, reviewer_row = aliased(OrganisationRow), aliased(OrganisationRow)
        query = (
            select(DefinitionShareRow, DefinitionRow, lead_row, reviewer_row)
            .join(DefinitionRow, DefinitionRow.id == DefinitionShareRow.definition_id)
            .join(lead_row, lead_row.id == DefinitionShareRow.organisation_id)
            .join(reviewer_row, reviewer_row.id == DefinitionShareRow.reviewer_id)
            .where(*where)
            .order_by(DefinitionShareRow.shared_at, DefinitionShareRow.id)
        )
        return [(s, d, o, r) for s, d, o, r in self.session.execute(query).tuples()]

    def of_definition(self, definition: str) -> list[ShareRecord]:
        """Every share of definition ``definition`` (ended ones too), oldest first."""
        return self._records(DefinitionRow.slug == definition)

    def with_reviewer(self, organisation_id: int) -> list[ShareRecord]:
        """The shares with organisation ``organisation_id`` that have not ended, oldest first."""
        return self._records(DefinitionShareRow.reviewer_id == organisation_id, DefinitionShareRow.ended_at.is_(None))

    def get(self, share_id: int) -> ShareRecord | None:
        """Share ``share_id``, or None."""
        found = self._records(DefinitionShareRow.id == share_id)
        return found[0] if found else None

    def definition_row(self, slug: str) -> int:
        """The row number of definition ``slug`` (which must exist)."""
        found = self.session.scalar(select(DefinitionRow.id).where(DefinitionRow.slug == slug))
        assert found is not None
        return found

    def find(self, definition_id: int, reviewer_id: int) -> DefinitionShareRow | None:
        """The share of a definition with a reviewer (ended or not), or None."""
        return self.session.scalar(
            select(DefinitionShareRow).where(
                DefinitionShareRow.definition_id == definition_id, DefinitionShareRow.reviewer_id == reviewer_id
            )
        )

    def add(self, row: DefinitionShareRow | DraftCommentRow) -> None:
        """Insert ``row`` (its id is set on return)."""
        self.session.add(row)
        self.session.flush()

    def comments(self, share_ids: list[int]) -> list[tuple[DraftCommentRow, OrganisationRow]]:
        """The comments on the shares ``share_ids``, with their organisations, oldest first."""
        if not share_ids:
            return []
        query = (
            select(DraftCommentRow, OrganisationRow)
            .join(OrganisationRow, OrganisationRow.id == DraftCommentRow.organisation_id)
            .where(DraftCommentRow.share_id.in_(share_ids))
            .order_by(DraftCommentRow.created_at, DraftCommentRow.id)
        )
        return [(c, o) for c, o in self.session.execute(query).tuples()]

    def comment(self, share_id: int, comment_id: int) -> DraftCommentRow | None:
        """Comment ``comment_id`` when it is on share ``share_id``, else None."""
        return self.session.scalar(
            select(DraftCommentRow).where(DraftCommentRow.id == comment_id, DraftCommentRow.share_id == share_id)
        )

    def end(self, row: DefinitionShareRow, *, now: datetime, actor: str) -> None:
        """End the share (nobody comments on it any more; the reviewer no longer sees it)."""
        row.ended_at, row.ended_by = now, actor
