"""Courses and recognition rules (versioned), and recognition applications. The rows hold the documents as JSON;
the service turns them into :class:`cairn.model.recognition.Course` and :class:`RecognitionRules`. Each repository
takes an open session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cairn.store.tables import (
    OrganisationRow,
    RecognitionApplicationRow,
    RecognitionCourseRow,
    RecognitionCourseVersionRow,
    RecognitionRulesRow,
    RecognitionRulesVersionRow,
)

__all__ = ["Kind", "RecognitionRepository", "StoredDocument"]

Kind = Literal["course", "recognition"]
"""Which document: a course (``kind: course``) or recognition rules (``kind: recognition``)."""

_TABLES: dict[str, tuple[Any, Any, str]] = {
    "course": (RecognitionCourseRow, RecognitionCourseVersionRow, "course_id"),
    "recognition": (RecognitionRulesRow, RecognitionRulesVersionRow, "rules_id"),
}


@dataclass(frozen=True, slots=True)
class StoredDocument:
    """One version of a course or of recognition rules as stored."""

    id: int
    slug: str
    organisation: str
    version: int
    latest_version: int
    state: str
    content: dict[str, Any]
    content_hash: str
    created_at: datetime


class RecognitionRepository:
    """Versioned courses and rules, and the applications made under the rules."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- documents -----------------------------------------------------------------------------------

    def row(self, kind: Kind, slug: str) -> Any:
        """The course or rules row ``slug``, or None."""
        table = _TABLES[kind][0]
        return self.session.scalar(select(table).where(table.slug == slug))

    def get(self, kind: Kind, slug: str, version: int | None = None) -> StoredDocument | None:
        """Version ``version`` (the latest when None) of ``slug``, or None."""
        table, versions, key = _TABLES[kind]
        query = (
            select(table, versions, OrganisationRow.slug)
            .join(versions, getattr(versions, key) == table.id)
            .join(OrganisationRow, OrganisationRow.id == table.organisation_id)
            .where(table.slug == slug)
            .where(versions.version == (table.latest_version if version is None else version))
        )
        found = self.session.execute(query).first()
        return None if found is None else _stored(*found)

    def latest(self, kind: Kind, *, drafts: bool = False, organisation: str | None = None) -> list[StoredDocument]:
        """The latest version of every course or rules (published ones only unless ``drafts``), by slug."""
        table, versions, key = _TABLES[kind]
        query = (
            select(table, versions, OrganisationRow.slug)
            .join(versions, getattr(versions, key) == table.id)
            .join(OrganisationRow, OrganisationRow.id == table.organisation_id)
            .where(versions.version == table.latest_version)
            .order_by(table.slug)
        )
        if not drafts:
            query = query.where(table.state == "published")
        if organisation is not None:
            query = query.where(OrganisationRow.slug == organisation)
        return [_stored(*found) for found in self.session.execute(query)]

    def versions(self, kind: Kind, slug: str) -> list[int]:
        """The version numbers of ``slug``, oldest first."""
        table, versions, key = _TABLES[kind]
        query = (
            select(versions.version)
            .join(table, table.id == getattr(versions, key))
            .where(table.slug == slug)
            .order_by(versions.version)
        )
        return list(self.session.scalars(query))

    def save(
        self,
        kind: Kind,
        *,
        slug: str,
        organisation_id: int,
        content: dict[str, Any],
        content_hash: str,
        state: str,
        now: datetime,
    ) -> tuple[str, int]:
        """Store ``content`` as ``slug``'s first version, or as a new version when it differs from the latest one;
        says what happened (``created``, ``new-version``, ``unchanged``) and the version now latest."""
        table, versions, key = _TABLES[kind]
        row = self.row(kind, slug)
        if row is None:
            row = table(slug=slug, organisation_id=organisation_id, latest_version=1, state=state, created_at=now)
            self.session.add(row)
            self.session.flush()
            self.session.add(
                versions(**{key: row.id}, version=1, content=content, content_hash=content_hash, created_at=now)
            )
            return "created", 1
        latest = self.session.scalar(
            select(versions).where(getattr(versions, key) == row.id, versions.version == row.latest_version)
        )
        row.state = state
        if latest is not None and latest.content_hash == content_hash:
            return "unchanged", int(row.latest_version)
        row.latest_version += 1
        self.session.add(
            versions(
                **{key: row.id}, version=row.latest_version, content=content, content_hash=content_hash, created_at=now
            )
        )
        return "new-version", int(row.latest_version)

    # -- applications --------------------------------------------------------------------------------

    def add(self, application: RecognitionApplicationRow) -> RecognitionApplicationRow:
        """Store a new application."""
        self.session.add(application)
        self.session.flush()
        return application

    def application(self, public_id: str) -> RecognitionApplicationRow | None:
        """The application ``public_id``, or None."""
        query = select(RecognitionApplicationRow).where(RecognitionApplicationRow.public_id == public_id[:36])
        return self.session.scalar(query)

    def challenge_used(self, challenge: str) -> bool:
        """Whether an application was made with ``challenge`` already."""
        query = select(RecognitionApplicationRow.id).where(RecognitionApplicationRow.challenge == challenge)
        return self.session.scalar(query) is not None

    def queue(self, organisation_id: int, states: Sequence[str]) -> list[RecognitionApplicationRow]:
        """The applications of ``organisation_id`` in ``states``, the nearest deadline first."""
        query = (
            select(RecognitionApplicationRow)
            .where(RecognitionApplicationRow.organisation_id == organisation_id)
            .where(RecognitionApplicationRow.state.in_(states))
            .order_by(RecognitionApplicationRow.deadline, RecognitionApplicationRow.id)
        )
        return list(self.session.scalars(query))

    def precedent(self, evidence_key: str, states: Sequence[str]) -> RecognitionApplicationRow | None:
        """The most recent application decided (in ``states``) on the same evidence under the same rules."""
        query = (
            select(RecognitionApplicationRow)
            .where(RecognitionApplicationRow.evidence_key == evidence_key)
            .where(RecognitionApplicationRow.state.in_(states))
            .where(RecognitionApplicationRow.decision.is_not(None))
            .order_by(RecognitionApplicationRow.decided_at.desc(), RecognitionApplicationRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def of_holder(self, rules_id: int, holder: str) -> list[RecognitionApplicationRow]:
        """The applications ``holder`` made under rules ``rules_id``, newest first."""
        query = select(RecognitionApplicationRow).where(
            RecognitionApplicationRow.rules_id == rules_id, RecognitionApplicationRow.holder == holder
        )
        return list(self.session.scalars(query.order_by(RecognitionApplicationRow.id.desc())))

    def of_account(self, account_id: int) -> list[RecognitionApplicationRow]:
        """The applications made from the wallet of ``account_id``, newest first."""
        query = select(RecognitionApplicationRow).where(RecognitionApplicationRow.account_id == account_id)
        return list(self.session.scalars(query.order_by(RecognitionApplicationRow.id.desc())))

    def of_organisation(self, organisation_id: int) -> list[RecognitionApplicationRow]:
        """Every application made to ``organisation_id``, oldest first (for its measures)."""
        query = select(RecognitionApplicationRow).where(RecognitionApplicationRow.organisation_id == organisation_id)
        return list(self.session.scalars(query.order_by(RecognitionApplicationRow.id)))

    def slugs(self, application: RecognitionApplicationRow) -> tuple[str, str, str]:
        """The rules', the course's and the institution's slugs of ``application``."""
        rules = self.session.get(RecognitionRulesRow, application.rules_id)
        course = self.session.get(RecognitionCourseRow, application.course_id)
        org = self.session.get(OrganisationRow, application.organisation_id)
        assert rules is not None
        assert course is not None
        assert org is not None
        return rules.slug, course.slug, org.slug


def _stored(row: Any, version: Any, organisation: str) -> StoredDocument:
    return StoredDocument(
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
