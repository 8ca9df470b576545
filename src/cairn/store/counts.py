"""Counts for policy analytics (:mod:`cairn.store.analytics_tables`) added with one statement each, and a
learner's consented answers.

:func:`add_counts` is one ``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + excluded.count`` over every
row given (SQLite 3.24+ and PostgreSQL both read it), so N processes that each flush their own counts into one
database add up, and nobody reads a count before writing it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cairn.store.analytics_tables import DemandCountRow, LearnerProfileRow, VerificationCountRow
from cairn.store.tables import AwardRow, DefinitionVersionRow, OrganisationRow

__all__ = [
    "VERIFICATION_DIMENSIONS",
    "CountsRepository",
    "LearnerProfileRepository",
    "add_counts",
    "count_key",
]

VERIFICATION_DIMENSIONS = (
    "day",
    "channel",
    "verifier_kind",
    "verifier_type",
    "verifier_country",
    "issuing_organisation_id",
    "issuer_country",
    "definition_id",
    "verified",
)
"""The columns of ``verification_counts`` a count is kept by, in the order of its ``key``."""
_DEMAND_DIMENSIONS = ("month", "kind", "uri")


def count_key(values: Mapping[str, Any], dimensions: Sequence[str]) -> str:
    """The dimensions' values joined with ``|`` (None as empty, booleans as 1 or 0, dates as ISO 8601)."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, date):
            return value.isoformat()
        return str(value).replace("|", "/")

    return "|".join(text(values[name]) for name in dimensions)


def add_counts(
    session: Session, table: type[VerificationCountRow] | type[DemandCountRow], rows: Iterable[Mapping[str, Any]]
) -> int:
    """Add every row's ``count`` to the stored count of its dimensions (created at that count when new): one
    statement. How many rows were given."""
    dimensions = VERIFICATION_DIMENSIONS if table is VerificationCountRow else _DEMAND_DIMENSIONS
    values = [{**row, "key": count_key(row, dimensions)} for row in rows if row.get("count")]
    if not values:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.key], set_={"count": table.count + statement.excluded.count}
    )
    session.execute(statement)
    return len(values)


class CountsRepository:
    """What the counters need to know about this instance's organisations and awards, read in bulk."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def organisations(self, slugs: Iterable[str]) -> dict[str, tuple[int, str, str]]:
        """This instance's organisations among ``slugs``: slug -> (id, type, country)."""
        wanted = sorted(set(slugs))[:1000]
        if not wanted:
            return {}
        rows = self.session.execute(
            select(OrganisationRow.slug, OrganisationRow.id, OrganisationRow.type, OrganisationRow.country).where(
                OrganisationRow.slug.in_(wanted)
            )
        )
        return {slug: (int(id_), str(type_), str(country)) for slug, id_, type_, country in rows}

    def organisations_by_id(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """id -> (type, country) of this instance's organisations among ``ids``."""
        wanted = sorted(set(ids))[:1000]
        if not wanted:
            return {}
        rows = self.session.execute(
            select(OrganisationRow.id, OrganisationRow.type, OrganisationRow.country).where(
                OrganisationRow.id.in_(wanted)
            )
        )
        return {int(id_): (str(type_), str(country)) for id_, type_, country in rows}

    def definitions_of_awards(self, award_ids: Iterable[str]) -> dict[str, int]:
        """award id -> definition id, for the awards among ``award_ids`` made from a definition."""
        wanted = sorted(set(award_ids))[:1000]
        if not wanted:
            return {}
        rows = self.session.execute(
            select(AwardRow.id, DefinitionVersionRow.definition_id)
            .join(DefinitionVersionRow, DefinitionVersionRow.id == AwardRow.definition_version_id)
            .where(AwardRow.id.in_(wanted))
        )
        return {str(award): int(definition) for award, definition in rows}


class LearnerProfileRepository:
    """Learners' consented answers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, account_id: int) -> LearnerProfileRow | None:
        """The account's answers, or None when it has not consented."""
        return self.session.get(LearnerProfileRow, account_id)

    def save(self, account_id: int, values: Mapping[str, Any]) -> LearnerProfileRow:
        """Store (or replace) the account's answers."""
        row = self.get(account_id)
        if row is None:
            row = LearnerProfileRow(account_id=account_id, **values)
            self.session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        self.session.flush()
        return row

    def delete(self, account_id: int) -> bool:
        """Delete the account's answers; whether there were any."""
        result = self.session.execute(delete(LearnerProfileRow).where(LearnerProfileRow.account_id == account_id))
        return bool(getattr(result, "rowcount", 0))
