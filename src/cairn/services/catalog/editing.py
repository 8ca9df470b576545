"""Editing an organisation's catalogue from the pages: list, save (with versions) and preview definitions.

An organisation edits the micro-credentials it awards first (``awarding_bodies[0]``); other awarding
bodies may be named beside it, and each is asked to accept (:mod:`cairn.services.catalog.coawards`): until it
does, the definition cannot be awarded. Saving goes through
:meth:`~cairn.store.catalog.repository.DefinitionRepository.save`: a version that has never been awarded is
corrected in place, an awarded one stays as it is and the change becomes a new version. Every change is
written to the audit log.

A preview is the credential a learner would get, built for a sample learner, signed with a throwaway
did:key and checked by the verification service as a verifier would check it. Nothing of it is stored.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.definitions import PUBLISHED, MicroCredentialDefinition, Organisation, SaveAction
from cairn.services.catalog.coawards import pending_bodies
from cairn.services.catalog.service import CatalogEntry
from cairn.services.verification.service import VerificationService
from cairn.skills.labels import shipped_labels
from cairn.store.audit import AuditRepository
from cairn.store.catalog.images import ImageRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database
from cairn.vc import KeyPair, Report, issue
from cairn.vc.dids import did_key

__all__ = [
    "PREVIEW_LEARNER",
    "PREVIEW_SUITE",
    "CatalogueItem",
    "EditingService",
    "Preview",
    "SavedDefinition",
]

PREVIEW_LEARNER = Recipient(name="Sample Learner", email="sample.learner@example.org")
"""The made-up learner a preview is awarded to."""

PREVIEW_SUITE = "eddsa-rdfc-2022"
"""The cryptosuite a preview is signed with (Cairn's default for awards)."""


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """A definition (latest version) as an organisation's catalogue page lists it."""

    entry: CatalogEntry
    awarded: bool
    """True when the latest version has been awarded (an edit then makes a new version)."""
    lead: bool
    """True when the organisation is the first awarding body, the one that edits it."""
    pending: tuple[str, ...] = ()
    """The co-awarding bodies that have not accepted (the definition cannot be awarded until they do)."""


@dataclass(frozen=True, slots=True)
class SavedDefinition:
    """What saving a definition did."""

    definition_id: str
    version: int
    action: SaveAction

    @property
    def new_version(self) -> bool:
        """True when a new version was made because the previous one has been awarded."""
        return self.action is SaveAction.NEW_VERSION

    @property
    def awarded_version(self) -> int | None:
        """The awarded version that made a new one necessary, or None."""
        return self.version - 1 if self.new_version else None

    def describe(self) -> str:
        """One sentence for people."""
        if self.action is SaveAction.NEW_VERSION:
            return (
                f"A new version {self.version} was created because version {self.version - 1} has been awarded; "
                f"its awards keep version {self.version - 1}."
            )
        if self.action is SaveAction.UNCHANGED:
            return f"Nothing had changed; version {self.version} stays as it was."
        return f"Saved as version {self.version}."


@dataclass(frozen=True, slots=True)
class Preview:
    """A sample credential of a definition version and what verifying it reports."""

    entry: CatalogEntry
    credential: dict[str, Any]
    report: Report
    issuer_did: str


class EditingService:
    """Catalogue editing for one organisation at a time, over one database."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime], verification: VerificationService) -> None:
        self.database = database
        self.clock = clock
        self.verification = verification

    def organisations(self) -> list[Organisation]:
        """Every organisation (those a definition may name as awarding bodies), by id."""
        with self.database.transaction(read_only=True) as session:
            return OrganisationRepository(session).list()

    def catalogue(self, organisation: str) -> list[CatalogueItem]:
        """The latest version of every definition ``organisation`` awards, alone or with others."""
        with self.database.transaction(read_only=True) as session:
            orgs = {o.id: o for o in OrganisationRepository(session).list()}
            definitions = DefinitionRepository(session)
            items = []
            for stored in definitions.latest():
                bodies = stored.definition.awarding_bodies
                if organisation not in bodies:
                    continue
                entry = CatalogEntry(stored, tuple(orgs[b] for b in bodies if b in orgs))
                awarded, lead = definitions.is_awarded(stored.version_id), bodies[0] == organisation
                pending = tuple(pending_bodies(session, stored.definition))
                items.append(CatalogueItem(entry, awarded, lead, pending))
            return items

    def entry(self, organisation: str, definition_id: str, version: int | None = None) -> CatalogueItem:
        """One definition of ``organisation`` (the latest version unless given).

        NotFoundError when it does not exist or ``organisation`` is none of its awarding bodies.
        """
        with self.database.transaction(read_only=True) as session:
            definitions = DefinitionRepository(session)
            try:
                stored = definitions.get(definition_id, version)
                latest = stored if version is None else definitions.get(definition_id)
            except NotFoundError:
                raise NotFoundError("There is nothing at this address.") from None
            if organisation not in latest.definition.awarding_bodies:
                raise NotFoundError("There is nothing at this address.")
            repo = OrganisationRepository(session)
            entry = CatalogEntry(stored, tuple(repo.get(b) for b in stored.definition.awarding_bodies))
            lead = latest.definition.awarding_bodies[0] == organisation
            pending = tuple(pending_bodies(session, stored.definition))
            return CatalogueItem(entry, definitions.is_awarded(stored.version_id), lead, pending)

    def editable(self, organisation: str, definition_id: str) -> CatalogueItem:
        """The latest version of a definition ``organisation`` may edit; PermissionDeniedError when it only
        co-awards it, NotFoundError when it is not among its awarding bodies."""
        item = self.entry(organisation, definition_id)
        if not item.lead:
            lead = item.entry.definition.awarding_bodies[0]
            raise PermissionDeniedError(f"only its first awarding body ({lead}) may edit '{definition_id}'")
        return item

    def publish(self, organisation: str, definition_id: str, *, actor: str) -> bool:
        """Publish a draft of ``organisation`` (its first awarding body): it joins the public catalogue and can be
        awarded. True when it was a draft (audited as ``definition.publish``); NotFoundError when it is not
        ``organisation``'s, PermissionDeniedError when ``organisation`` only co-awards it."""
        self.editable(organisation, definition_id)
        with self.database.transaction() as session:
            changed = DefinitionRepository(session).set_state(definition_id, PUBLISHED)
            if changed:
                details = {"organisation": organisation}
                AuditRepository(session).append(
                    at=self.clock(), actor=actor, action="definition.publish", subject=definition_id, details=details
                )
        return changed

    def save(
        self,
        *,
        organisation: str,
        definition: MicroCredentialDefinition,
        actor: str,
        create: bool,
        state: str | None = None,
    ) -> SavedDefinition:
        """Store ``definition`` for ``organisation``, which must be its first awarding body.

        ``create`` says the caller means a new definition (ConflictError when the id is taken); otherwise the
        definition must exist and belong to ``organisation`` (NotFoundError). Every awarding body must be a
        known organisation (InputError). An unawarded latest version is corrected in place; an awarded one
        gets a new version. Each co-awarding body newly named that has not accepted is asked (audited as
        ``coaward.request``); the definition cannot be awarded until it accepts. ``state`` (``draft`` or
        ``published``) sets the definition's state; None keeps it (a new definition is then published).
        """
        if definition.awarding_bodies[0] != organisation:
            raise InputError(f"the first awarding body must be {organisation}, the organisation that edits it")
        if len(set(definition.awarding_bodies)) != len(definition.awarding_bodies):
            raise InputError("an awarding body is named twice")
        now = self.clock()
        try:
            with self.database.transaction() as session:
                known = OrganisationRepository(session).slugs()
                unknown = [b for b in definition.awarding_bodies if b not in known]
                if unknown:
                    raise InputError(f"no organisation '{unknown[0]}' is known here")
                image = definition.badge.image if definition.badge else None
                if image and ImageRepository(session).owner(image) != organisation:
                    raise InputError("the badge image is not one this organisation uploaded")
                definitions = DefinitionRepository(session)
                existing = definitions.versions(definition.id)
                if create and existing:
                    raise ConflictError(f"a micro-credential with the identifier '{definition.id}' already exists")
                named_before: tuple[str, ...] = ()
                if not create:
                    if not existing:
                        raise NotFoundError("There is nothing at this address.")
                    named_before = definitions.get(definition.id).definition.awarding_bodies
                    if named_before[0] != organisation:
                        raise NotFoundError("There is nothing at this address.")
                action, version = definitions.save(definition, now=now, state=state)
                if action is not SaveAction.UNCHANGED:
                    audit = AuditRepository(session)
                    audit.append(
                        at=now,
                        actor=actor,
                        action=f"definition.{action.value}",
                        subject=definition.id,
                        details={"version": version, "organisation": organisation},
                    )
                    session.flush()
                    for body in pending_bodies(session, definition):
                        if body not in named_before:
                            audit.append(
                                at=now,
                                actor=actor,
                                action="coaward.request",
                                subject=definition.id,
                                details={"organisation": body, "version": version, "lead": organisation},
                            )
        except IntegrityError:
            raise ConflictError(
                f"'{definition.id}' was changed by someone else at the same moment; load it again and retry"
            ) from None
        return SavedDefinition(definition.id, version, action)

    def preview(
        self,
        organisation: str,
        definition_id: str,
        *,
        version: int | None = None,
        base_url: str = "https://cairn.invalid",
        key: KeyPair | None = None,
        lang: str | None = None,
    ) -> Preview:
        """A credential of the definition for :data:`PREVIEW_LEARNER`, signed with a throwaway did:key
        (``key``, or a fresh one) and verified offline. ``base_url`` makes the achievement's id."""
        item = self.entry(organisation, definition_id, version)
        entry = item.entry
        stored = entry.stored
        key = key or KeyPair.generate()
        did = did_key(key.public)
        now = self.clock()
        organisations = entry.organisations
        issuer_ids = {o.id: o.website for o in organisations} | {organisations[0].id: did}
        award = Award(definition_id=definition_id, version=stored.version, recipient=PREVIEW_LEARNER, issued_at=now)
        uris = [uri for outcome in stored.definition.learning_outcomes for uri in outcome.esco_skills]
        credential = build_credential(
            definition=stored.definition,
            version=stored.version,
            organisations=organisations,
            issuer_ids=issuer_ids,
            award=award,
            credential_id=f"urn:uuid:{uuid.uuid4()}",
            achievement_id=f"{base_url.rstrip('/')}/micro-credentials/{definition_id}?version={stored.version}",
            salt=secrets.token_hex(16),
            lang=lang if lang and lang in stored.definition.title else None,
            skill_labels=shipped_labels().labels(uris),
            badge_image=f"{base_url.rstrip('/')}/micro-credentials/{definition_id}/badge?version={stored.version}",
        )
        signed = issue(credential, key=key, suite=PREVIEW_SUITE, created=now)
        assert isinstance(signed, dict)
        return Preview(entry, signed, self.verification.verify(signed), did)
