"""Co-awarding needs consent: an organisation named as an awarding body of a definition it does not lead accepts
or declines, and until it accepts the definition cannot be awarded.

The first awarding body (``awarding_bodies[0]``) edits a definition and may name others beside it
(:mod:`cairn.services.catalog.editing`). Naming one asks it: the request is *pending* until one of its owners
accepts or declines it from ``/orgs/{slug}/co-awards``; every answer is written to the audit log
(``coaward.accept``, ``coaward.decline``; the request itself is ``coaward.request``). The answer holds for the
definition, whatever version names the organisation, and an owner may change it later.

Awarding a definition version that names a co-awarding body which has not accepted is **refused**
(:class:`CoAwardPendingError`, naming the organisations), rather than issued without them: a credential must
never name an organisation that did not agree to it, and leaving one out would issue something other than the
definition describes. The lead sees which bodies are pending in its catalogue.

An operator's catalogue import (``cairn catalog import``, and the demo, which imports the example catalogue)
counts as acceptance by every co-awarding body it names: the operator runs the instance and vouches for the
files (see :meth:`cairn.services.catalog.service.CatalogService.import_catalog`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, NotFoundError
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import CoAwardRepository, DefinitionRepository, OrganisationRepository
from cairn.store.database import Database

__all__ = [
    "ACCEPTED",
    "DECLINED",
    "NOT_ACCEPTED",
    "PENDING",
    "CoAwardPendingError",
    "CoAwardRequest",
    "CoAwardService",
    "accept_all",
    "pending_bodies",
]

PENDING: Final = "pending"
ACCEPTED: Final = "accepted"
DECLINED: Final = "declined"
CoAwardState = Literal["pending", "accepted", "declined"]

NOT_ACCEPTED: Final = (
    "'%(definition)s' cannot be awarded until every co-awarding body accepts; still to accept: %(organisations)s. "
    "Their owners answer on their co-awarding requests page, or the lead removes them from the awarding bodies"
)
"""Why a definition cannot be awarded (``%(organisations)s``: the co-awarding bodies that have not accepted)."""


class CoAwardPendingError(ConflictError):
    """A definition version names co-awarding organisations that have not accepted (yet, or at all)."""

    def __init__(self, definition: str, organisations: Sequence[str]) -> None:
        self.definition = definition
        self.organisations = tuple(organisations)
        super().__init__(NOT_ACCEPTED, organisations=", ".join(self.organisations), definition=definition)


@dataclass(frozen=True, slots=True)
class CoAwardRequest:
    """A definition that names an organisation as a co-awarding body, and that organisation's answer."""

    definition: MicroCredentialDefinition
    version: int
    lead: Organisation
    state: CoAwardState
    decided_at: datetime | None = None
    decided_by: str | None = None


def pending_bodies(session: Session, definition: MicroCredentialDefinition) -> list[str]:
    """The co-awarding bodies ``definition`` names (all but the first) that have not accepted, in its order."""
    if len(definition.awarding_bodies) < 2:
        return []
    decisions = CoAwardRepository(session).decisions(definition.id)
    return [
        body for body in definition.awarding_bodies[1:] if body not in decisions or decisions[body].decision != ACCEPTED
    ]


def accept_all(
    session: Session, definition: MicroCredentialDefinition, *, now: datetime, actor: str, how: str
) -> list[str]:
    """Record acceptance by every co-awarding body ``definition`` names that has not accepted (an operator's
    import vouches for them), each audited with ``how``; returns them."""
    accepted = pending_bodies(session, definition)
    repo, audit = CoAwardRepository(session), AuditRepository(session)
    for body in accepted:
        repo.decide(definition.id, body, decision=ACCEPTED, now=now, actor=actor)
        audit.append(
            at=now,
            actor=actor,
            action="coaward.accept",
            subject=definition.id,
            details={"organisation": body, "by": how},
        )
    return accepted


class CoAwardService:
    """Co-awarding requests as the named organisations see and answer them, over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def requests(self, organisation: str) -> list[CoAwardRequest]:
        """Every definition whose latest version names ``organisation`` as a co-awarding body (not the first),
        pending ones first, then by definition id."""
        with self.database.transaction(read_only=True) as session:
            orgs = {o.id: o for o in OrganisationRepository(session).list()}
            decisions = CoAwardRepository(session)
            found = []
            for stored in DefinitionRepository(session).latest():
                bodies = stored.definition.awarding_bodies
                if organisation not in bodies[1:] or bodies[0] not in orgs:
                    continue
                answer = decisions.decisions(stored.definition.id).get(organisation)
                found.append(
                    CoAwardRequest(
                        definition=stored.definition,
                        version=stored.version,
                        lead=orgs[bodies[0]],
                        state=PENDING if answer is None else ACCEPTED if answer.decision == ACCEPTED else DECLINED,
                        decided_at=answer.decided_at if answer else None,
                        decided_by=answer.decided_by if answer else None,
                    )
                )
        return sorted(found, key=lambda r: (r.state != PENDING, r.definition.id))

    def pending_count(self, organisation: str) -> int:
        """How many requests ``organisation`` has not answered."""
        return sum(1 for r in self.requests(organisation) if r.state == PENDING)

    def decide(self, *, organisation: str, definition_id: str, accept: bool, actor: str) -> CoAwardRequest:
        """Accept (or decline) being a co-awarding body of ``definition_id``, audited; NotFoundError unless its
        latest version names ``organisation`` beside another lead."""
        now = self.clock()
        decision = ACCEPTED if accept else DECLINED
        try:
            with self.database.transaction() as session:
                try:
                    stored = DefinitionRepository(session).get(definition_id[:80])
                except NotFoundError:
                    raise NotFoundError("There is nothing at this address.") from None
                if organisation not in stored.definition.awarding_bodies[1:]:
                    raise NotFoundError("There is nothing at this address.")
                CoAwardRepository(session).decide(
                    stored.definition.id, organisation, decision=decision, now=now, actor=actor
                )
                AuditRepository(session).append(
                    at=now,
                    actor=actor,
                    action=f"coaward.{'accept' if accept else 'decline'}",
                    subject=stored.definition.id,
                    details={"organisation": organisation, "version": stored.version},
                )
        except IntegrityError:
            raise ConflictError("someone else answered this request at the same moment; load it again") from None
        return next(r for r in self.requests(organisation) if r.definition.id == stored.definition.id)
