"""The catalogue's repositories: organisations and versioned micro-credential definitions.

Each takes an open :class:`~sqlalchemy.orm.Session`; the service owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, NotFoundError
from cairn.model.definitions import (
    PUBLISHED,
    STATES,
    MicroCredentialDefinition,
    Organisation,
    SaveAction,
    content_hash,
    plan_save,
)
from cairn.store.tables import AwardRow, CoAwardRow, DefinitionRow, DefinitionVersionRow, OrganisationRow

__all__ = [
    "CoAwardDecision",
    "CoAwardRepository",
    "DefinitionRepository",
    "OrganisationRepository",
    "StoredDefinition",
]


class OrganisationRepository:
    """Issuing organisations."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, slug: str) -> Organisation:
        """The organisation ``slug``; NotFoundError when there is none."""
        row = self.session.scalar(select(OrganisationRow).where(OrganisationRow.slug == slug))
        if row is None:
            raise NotFoundError(f"no organisation '{slug}'")
        return Organisation.model_validate(row.document)

    def row(self, slug: str) -> OrganisationRow | None:
        """The stored row of ``slug``, or None."""
        return self.session.scalar(select(OrganisationRow).where(OrganisationRow.slug == slug))

    def slugs(self) -> set[str]:
        """Every organisation id."""
        return set(self.session.scalars(select(OrganisationRow.slug)))

    def list(self) -> list[Organisation]:
        """Every organisation, by id."""
        rows = self.session.scalars(select(OrganisationRow).order_by(OrganisationRow.slug))
        return [Organisation.model_validate(r.document) for r in rows]

    def save(self, organisation: Organisation, *, now: datetime) -> SaveAction:
        """Insert or update ``organisation``; says what happened. A stored logo stays when ``organisation``
        names none (logos are uploaded from the pages, not written in catalogue files)."""
        document = organisation.model_dump(mode="json", exclude_none=True)
        row = self.row(organisation.id)
        if row is not None and "logo" not in document and "logo" in row.document:
            document["logo"] = row.document["logo"]
        if row is None:
            self.session.add(
                OrganisationRow(
                    slug=organisation.id,
                    country=organisation.country,
                    type=organisation.type,
                    document=document,
                    created_at=now,
                    updated_at=now,
                )
            )
            return SaveAction.CREATE
        if row.document == document:
            return SaveAction.UNCHANGED
        row.document, row.country, row.type, row.updated_at = (
            document,
            organisation.country,
            organisation.type,
            now,
        )
        return SaveAction.REPLACE

    def set_logo(self, slug: str, sha256: str | None, *, now: datetime) -> bool:
        """Name (or, with None, remove) the organisation's logo; False when nothing changed. NotFoundError when
        there is no such organisation."""
        row = self.row(slug)
        if row is None:
            raise NotFoundError(f"no organisation '{slug}'")
        document = {k: v for k, v in row.document.items() if k != "logo"}
        if sha256 is not None:
            document["logo"] = sha256
        if document == row.document:
            return False
        row.document, row.updated_at = (
            Organisation.model_validate(document).model_dump(mode="json", exclude_none=True),
            now,
        )
        return True


@dataclass(frozen=True, slots=True)
class StoredDefinition:
    """A definition as stored: its content at one version, and when that version was made."""

    definition: MicroCredentialDefinition
    version: int
    latest_version: int
    version_id: int
    content_hash: str
    created_at: datetime
    state: str = "published"
    """``published`` (public, awardable) or ``draft`` (seen by its organisations' members only, not awarded)."""


class DefinitionRepository:
    """Micro-credential definitions and their versions."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _stored(self, d: DefinitionRow, v: DefinitionVersionRow) -> StoredDefinition:
        return StoredDefinition(
            definition=MicroCredentialDefinition.model_validate(v.content),
            version=v.version,
            latest_version=d.latest_version,
            version_id=v.id,
            content_hash=v.content_hash,
            created_at=v.created_at,
            state=d.state or PUBLISHED,
        )

    def get(self, slug: str, version: int | None = None) -> StoredDefinition:
        """Definition ``slug`` at ``version`` (the latest when None); NotFoundError otherwise."""
        d = self.session.scalar(select(DefinitionRow).where(DefinitionRow.slug == slug))
        if d is None:
            raise NotFoundError(f"no micro-credential '{slug}'")
        v = self.session.scalar(
            select(DefinitionVersionRow).where(
                DefinitionVersionRow.definition_id == d.id,
                DefinitionVersionRow.version == (version or d.latest_version),
            )
        )
        if v is None:
            raise NotFoundError(f"micro-credential '{slug}' has no version {version}")
        return self._stored(d, v)

    def latest(self) -> list[StoredDefinition]:
        """The latest version of every definition, by id."""
        stmt = (
            select(DefinitionRow, DefinitionVersionRow)
            .join(
                DefinitionVersionRow,
                (DefinitionVersionRow.definition_id == DefinitionRow.id)
                & (DefinitionVersionRow.version == DefinitionRow.latest_version),
            )
            .order_by(DefinitionRow.slug)
        )
        return [self._stored(d, v) for d, v in self.session.execute(stmt).tuples()]

    def published(self) -> list[StoredDefinition]:
        """The latest version of every published definition (a draft, or any state but ``published``, is not
        public), by id."""
        stmt = (
            select(DefinitionRow, DefinitionVersionRow)
            .join(
                DefinitionVersionRow,
                (DefinitionVersionRow.definition_id == DefinitionRow.id)
                & (DefinitionVersionRow.version == DefinitionRow.latest_version),
            )
            .where(DefinitionRow.state == "published")
            .order_by(DefinitionRow.slug)
        )
        return [self._stored(d, v) for d, v in self.session.execute(stmt).tuples()]

    def fingerprint(self) -> int:
        """A number that changes whenever what :meth:`published` returns may have changed (a definition added,
        published, withdrawn, a version made or corrected in place): read from the ids, states and content hashes
        only, so a cache of the catalogue knows cheaply when to rebuild."""
        stmt = select(DefinitionRow.id, DefinitionRow.state, DefinitionVersionRow.content_hash).join(
            DefinitionVersionRow,
            (DefinitionVersionRow.definition_id == DefinitionRow.id)
            & (DefinitionVersionRow.version == DefinitionRow.latest_version),
        )
        return hash(tuple(sorted(self.session.execute(stmt).tuples())))

    def versions(self, slug: str) -> list[int]:
        """Every version number of ``slug``, oldest first."""
        stmt = (
            select(DefinitionVersionRow.version)
            .join(DefinitionRow, DefinitionRow.id == DefinitionVersionRow.definition_id)
            .where(DefinitionRow.slug == slug)
            .order_by(DefinitionVersionRow.version)
        )
        return list(self.session.scalars(stmt))

    def is_awarded(self, version_id: int) -> bool:
        """True when any award points at this version."""
        return bool(self.session.scalar(select(exists().where(AwardRow.definition_version_id == version_id))))

    def set_state(self, slug: str, state: str) -> bool:
        """Make ``slug`` a draft or published; True when that changed it. NotFoundError when there is none."""
        if state not in STATES:
            raise ValueError(f"a definition's state is one of {', '.join(STATES)}")
        d = self.session.scalar(select(DefinitionRow).where(DefinitionRow.slug == slug))
        if d is None:
            raise NotFoundError(f"no micro-credential '{slug}'")
        changed = d.state != state
        d.state = state
        return changed

    def save(
        self, definition: MicroCredentialDefinition, *, now: datetime, state: str | None = None
    ) -> tuple[SaveAction, int]:
        """Store ``definition``: create it, leave it, correct an unawarded latest version in place, or add a
        new version when the latest one has been awarded. Returns what happened and the version number.

        ``state`` (``draft`` or ``published``) sets the definition's state; None keeps it (a new one is
        published)."""
        if state is not None and state not in STATES:
            raise ValueError(f"a definition's state is one of {', '.join(STATES)}")
        lead = self.session.scalar(select(OrganisationRow).where(OrganisationRow.slug == definition.awarding_bodies[0]))
        if lead is None:
            raise NotFoundError(f"no organisation '{definition.awarding_bodies[0]}'")
        new_hash = content_hash(definition)
        content = definition.model_dump(mode="json", exclude_none=True)
        d = self.session.scalar(select(DefinitionRow).where(DefinitionRow.slug == definition.id))
        if d is None:
            d = DefinitionRow(
                slug=definition.id, organisation_id=lead.id, latest_version=1, created_at=now, state=state or PUBLISHED
            )
            self.session.add(d)
            self.session.flush()
            self.session.add(
                DefinitionVersionRow(
                    definition_id=d.id, version=1, content=content, content_hash=new_hash, created_at=now
                )
            )
            return SaveAction.CREATE, 1
        if d.organisation_id != lead.id:
            raise ConflictError(
                f"micro-credential '{definition.id}' belongs to another organisation; choose another id"
            )
        latest = self.session.scalar(
            select(DefinitionVersionRow).where(
                DefinitionVersionRow.definition_id == d.id, DefinitionVersionRow.version == d.latest_version
            )
        )
        assert latest is not None
        if state is not None:
            d.state = state
        action = plan_save(
            latest_hash=latest.content_hash, latest_awarded=self.is_awarded(latest.id), new_hash=new_hash
        )
        if action is SaveAction.REPLACE:
            latest.content, latest.content_hash, latest.created_at = content, new_hash, now
        elif action is SaveAction.NEW_VERSION:
            d.latest_version += 1
            self.session.add(
                DefinitionVersionRow(
                    definition_id=d.id,
                    version=d.latest_version,
                    content=content,
                    content_hash=new_hash,
                    created_at=now,
                )
            )
        return action, d.latest_version

    def count(self) -> int:
        """How many definitions there are."""
        return int(self.session.scalar(select(func.count()).select_from(DefinitionRow)) or 0)


@dataclass(frozen=True, slots=True)
class CoAwardDecision:
    """A co-awarding organisation's answer for one definition."""

    organisation: str
    decision: str
    decided_at: datetime
    decided_by: str


class CoAwardRepository:
    """Co-awarding organisations' answers (``co_awards``): no row means the request is pending."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def decisions(self, definition: str) -> dict[str, CoAwardDecision]:
        """The answers given for definition ``definition``, by organisation id."""
        rows = self.session.execute(
            select(CoAwardRow, OrganisationRow.slug)
            .join(DefinitionRow, DefinitionRow.id == CoAwardRow.definition_id)
            .join(OrganisationRow, OrganisationRow.id == CoAwardRow.organisation_id)
            .where(DefinitionRow.slug == definition)
        ).tuples()
        return {slug: CoAwardDecision(slug, row.decision, row.decided_at, row.decided_by) for row, slug in rows}

    def decide(self, definition: str, organisation: str, *, decision: str, now: datetime, actor: str) -> None:
        """Record (or change) ``organisation``'s answer for ``definition``; NotFoundError when either is unknown."""
        d = self.session.scalar(select(DefinitionRow).where(DefinitionRow.slug == definition))
        o = self.session.scalar(select(OrganisationRow).where(OrganisationRow.slug == organisation))
        if d is None or o is None:
            raise NotFoundError(f"no micro-credential '{definition}' co-awarded by '{organisation}'")
        row = self.session.scalar(
            select(CoAwardRow).where(CoAwardRow.definition_id == d.id, CoAwardRow.organisation_id == o.id)
        )
        if row is None:
            self.session.add(
                CoAwardRow(
                    definition_id=d.id, organisation_id=o.id, decision=decision, decided_at=now, decided_by=actor
                )
            )
        else:
            row.decision, row.decided_at, row.decided_by = decision, now, actor
        self.session.flush()
