"""ESCO rows: bulk replacement of a whole table in chunks, releases, and the lookups careers pages need.

Takes an open :class:`~sqlalchemy.orm.Session`; the service owns the transaction. Nothing in Cairn points
at these rows with a foreign key (credentials keep their own skill URIs), so replacing them is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from cairn.store.tables import (
    EscoBroaderRow,
    EscoCollectionRow,
    EscoIscoGroupRow,
    EscoOccupationRow,
    EscoOccupationSkillRow,
    EscoReleaseRow,
    EscoSkillGroupRow,
    EscoSkillRow,
)

__all__ = ["CHUNK", "ESCO_TABLES", "EscoStore"]

CHUNK = 5_000
"""Rows a single INSERT statement carries (executemany on SQLite, multi-row VALUES on PostgreSQL)."""

ESCO_TABLES: dict[str, type[Any]] = {
    "skills": EscoSkillRow,
    "skill_groups": EscoSkillGroupRow,
    "broader": EscoBroaderRow,
    "collections": EscoCollectionRow,
    "occupations": EscoOccupationRow,
    "isco_groups": EscoIscoGroupRow,
    "occupation_skills": EscoOccupationSkillRow,
}
"""The ESCO concept and relation tables, by the name used in import counts."""


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class EscoStore:
    """The ESCO tables, read and replaced inside the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- writing --------------------------------------------------------------------------------------

    def replace(self, name: str, rows: Iterable[dict[str, Any]]) -> int:
        """Delete every row of the table ``name`` (see :data:`ESCO_TABLES`) and insert ``rows``, in chunks."""
        table = ESCO_TABLES[name].__table__
        batch = list(rows)
        self.session.execute(delete(table))
        for chunk in _chunks(batch):
            self.session.execute(insert(table), chunk)
        return len(batch)

    def add_release(
        self,
        *,
        version: str | None,
        languages: list[str],
        parts: list[str],
        counts: dict[str, int],
        source: str,
        now: datetime,
    ) -> EscoReleaseRow:
        """Record one import."""
        row = EscoReleaseRow(
            version=version, languages=languages, parts=parts, counts=counts, source=source[:500], imported_at=now
        )
        self.session.add(row)
        self.session.flush()
        return row

    # -- reading --------------------------------------------------------------------------------------

    def all(self, name: str) -> list[dict[str, Any]]:
        """Every row of the table ``name`` as a dict of its columns."""
        table = ESCO_TABLES[name].__table__
        return [dict(row) for row in self.session.execute(select(table)).mappings()]

    def labelled(self, name: str) -> dict[str, dict[str, Any]]:
        """Rows of a concept table (skills, skill_groups, occupations, isco_groups) keyed by URI."""
        return {row["uri"]: row for row in self.all(name)}

    def counts(self) -> dict[str, int]:
        """How many rows each ESCO table holds."""
        out = {}
        for name, row_type in ESCO_TABLES.items():
            out[name] = int(self.session.scalar(select(func.count()).select_from(row_type.__table__)) or 0)
        return out

    def releases(self) -> list[EscoReleaseRow]:
        """Every import, oldest first."""
        return list(self.session.scalars(select(EscoReleaseRow).order_by(EscoReleaseRow.id)))

    def latest_release_id(self) -> int | None:
        """The id of the newest import (changes whenever anything is imported), or None."""
        return self.session.scalar(select(func.max(EscoReleaseRow.id)))

    def skill(self, uri: str) -> EscoSkillRow | None:
        """One skill by URI."""
        return self.session.get(EscoSkillRow, uri)

    def occupation(self, uri: str) -> EscoOccupationRow | None:
        """One occupation by URI."""
        return self.session.get(EscoOccupationRow, uri)

    def skills_of_occupation(self, occupation_uri: str) -> list[EscoOccupationSkillRow]:
        """The relations of one occupation (essential first), by the primary key."""
        query = (
            select(EscoOccupationSkillRow)
            .where(EscoOccupationSkillRow.occupation_uri == occupation_uri)
            .order_by(EscoOccupationSkillRow.relation, EscoOccupationSkillRow.skill_uri)
        )
        return list(self.session.scalars(query))

    def occupations_of_skills(self, skill_uris: Iterable[str]) -> list[EscoOccupationSkillRow]:
        """The relations that name any of ``skill_uris``, by the skill index."""
        uris = sorted(set(skill_uris))
        found: list[EscoOccupationSkillRow] = []
        for start in range(0, len(uris), 500):
            query = select(EscoOccupationSkillRow).where(
                EscoOccupationSkillRow.skill_uri.in_(uris[start : start + 500])
            )
            found.extend(self.session.scalars(query))
        return sorted(found, key=lambda r: (r.occupation_uri, r.skill_uri))
