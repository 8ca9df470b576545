"""Endorsements: an organisation of this instance (an employer, typically) says it co-created or values a
micro-credential, in an Open Badges 3.0 ``EndorsementCredential`` it signs with its own key
(:func:`cairn.formats.endorsement.endorsement_credential`, issued through :class:`ApiIssuingService`, so it carries
the organisation's revocation and suspension entries and is kept as its award). Withdrawing one revokes that
credential. Only the organisation's issuers (and owners) endorse or withdraw on its behalf; every step is audited.

What verifiers are shown (:meth:`EndorsementService.shown_for`) comes from verification, never from text a signer
wrote: an endorsement counts for a credential only when that credential verified and, for one of this instance's
definitions, was signed by one of its awarding bodies; each endorsement is verified again on the one verification
path, and must be signed by the endorsing organisation's own DID, about this achievement, with the words stored.
The endorser's name is the one this instance's registry gives it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.formats.endorsement import ENDORSEMENT_TYPES, RELATIONS, endorsement_credential
from cairn.model.types import pick
from cairn.services.accounts.access import (
    OrganisationAccess,
    Role,
    TokenPrincipal,
    organisation_name,
    organisation_names,
)
from cairn.services.catalog.service import CatalogService
from cairn.services.issuing.api import ApiIssuingService
from cairn.services.issuing.status_lists import StatusListService
from cairn.services.verification.service import VerificationService
from cairn.store.audit import AuditRepository
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.endorsements.repository import EndorsementRepository
from cairn.store.tables import EndorsementRow, OrganisationRow
from cairn.vc.report import Outcome, Report
from cairn.vc.values import as_list, id_of

__all__ = ["MAX_COMMENT", "MAX_SHOWN", "CheckedEndorsement", "Endorsement", "EndorsementService"]

MAX_COMMENT: Final = 1000
MAX_SHOWN: Final = 10
"""Endorsements verified and shown for one credential."""

ISSUE_SCOPE: Final = "credentials:issue"
"""The API token scope that endorses and withdraws (an endorsement is a credential the organisation issues)."""
NOT_SIGNED_BY_ENDORSER: Final = "The endorsement is not signed by the organisation it names."
NOT_ABOUT_THIS: Final = "The endorsement does not say what this instance recorded."


@dataclass(frozen=True, slots=True)
class Endorsement:
    """An endorsement as stored; ``names``: the endorser's legal name by language, from this instance's registry."""

    award_id: str
    organisation: str
    name: str
    achievement_id: str
    definition: str | None
    relation: str
    comment: str
    credential: str
    """The signed credential as issued (JSON)."""
    created_at: datetime
    withdrawn_at: datetime | None = None
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckedEndorsement:
    """An endorsement with what verifying its credential again found."""

    endorsement: Endorsement
    verified: bool
    verdict: str
    reason: str = ""
    """Why it does not count (a phrase), when it does not."""


def _key(achievement_id: str) -> str:
    return hashlib.sha256(achievement_id.encode("utf-8")).hexdigest()


def _view(row: EndorsementRow, org: OrganisationRow) -> Endorsement:
    return Endorsement(
        award_id=row.award_id,
        organisation=org.slug,
        name=organisation_name(org),
        achievement_id=row.achievement_id,
        definition=row.definition_slug,
        relation=row.relation,
        comment=row.comment,
        credential=row.credential,
        created_at=row.created_at,
        withdrawn_at=row.withdrawn_at,
        names=organisation_names(org),
    )


class EndorsementService:
    """Endorsing, withdrawing, listing and checking endorsements."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        catalog: CatalogService,
        api_issuing: ApiIssuingService,
        status_lists: StatusListService,
        verification: VerificationService,
        public_url: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.catalog = catalog
        self.api_issuing = api_issuing
        self.status_lists = status_lists
        self.verification = verification
        self.public_url = public_url.rstrip("/")

    @property
    def _definitions(self) -> str:
        return f"{self.public_url}/micro-credentials/"

    def definition_of(self, achievement_id: str) -> str | None:
        """The slug of this instance's definition an achievement id names (any version), or None."""
        if not isinstance(achievement_id, str) or not achievement_id.startswith(self._definitions):
            return None
        slug = achievement_id[len(self._definitions) :].split("/", 1)[0]
        return slug[:80] or None

    # -- endorsing -----------------------------------------------------------------------------------

    @staticmethod
    def _check_access(organisation: str, access: OrganisationAccess | TokenPrincipal) -> str:
        """Who acts (as the audit log names them), when ``access`` may endorse for ``organisation``: one of its
        issuers or owners, or an API token of its own with the ``credentials:issue`` scope."""
        if access.organisation != organisation:
            raise PermissionDeniedError("you do not act for %(organisation)s", organisation=organisation)
        if isinstance(access, TokenPrincipal):
            if ISSUE_SCOPE not in access.scopes:
                raise PermissionDeniedError("only the organisation's issuers and owners endorse on its behalf")
            return access.actor
        if not access.role.covers(Role.ISSUER):
            raise PermissionDeniedError("only the organisation's issuers and owners endorse on its behalf")
        return access.account.actor

    def _target(self, organisation: str, target: str) -> tuple[str, str, str | None]:
        """The achievement id, its name and this instance's definition slug (or None) that ``target`` names."""
        target = target.strip() if isinstance(target, str) else ""
        if not target or len(target) > 2000:
            raise InputError("name the micro-credential to endorse")
        slug = self.definition_of(target) or (target if ":" not in target else None)
        if slug is None:
            return target, target, None
        entry = self.catalog.entry(slug)  # NotFoundError for an unknown or draft definition
        if organisation in entry.definition.awarding_bodies:
            raise InputError("an organisation does not endorse its own micro-credential")
        version = entry.stored.latest_version
        name = pick(entry.definition.title, "en")[1] or slug
        return f"{self._definitions}{slug}/versions/{version}", name, slug

    def endorse(
        self,
        organisation: str,
        target: str,
        *,
        comment: str,
        relation: str,
        access: OrganisationAccess | TokenPrincipal,
    ) -> Endorsement:
        """``organisation`` endorses ``target`` (one of this instance's definitions, by slug or achievement id, or
        any achievement by its id): it ``co-created`` or ``values`` it, in its ``comment``. ``access`` must be an
        issuer's (or an owner's) of ``organisation``, or its API token with ``credentials:issue``. The signed credential
        is issued and kept."""
        actor = self._check_access(organisation, access)
        if relation not in RELATIONS:
            raise InputError("say whether the organisation co-created or values it")
        words = " ".join(comment.split())[:MAX_COMMENT] if isinstance(comment, str) else ""
        if not words:
            raise InputError("write what the organisation says about it")
        achievement_id, achievement_name, slug = self._target(organisation, target)
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(organisation)
            if org is None:
                raise NotFoundError(f"no organisation '{organisation}'")
            org_id, org_name = org.id, organisation_name(org)
        credential_id = f"urn:uuid:{uuid.uuid4()}"
        document = endorsement_credential(
            credential_id=credential_id,
            issuer={"id": self.api_issuing.keys.did(organisation), "type": ["Profile"], "name": org_name},
            achievement_id=achievement_id,
            achievement_name=achievement_name,
            relation=relation,
            comment=words,
            issued=self.clock(),
        )
        signed = self.api_issuing.issue(document, organisation=organisation, suite=None, actor=actor)
        award_id = self.api_issuing.award_id_for(credential_id, organisation=organisation)
        now = self.clock()
        with self.database.transaction() as session:
            row = EndorsementRepository(session).add(
                EndorsementRow(
                    organisation_id=org_id,
                    award_id=award_id,
                    achievement_id=achievement_id,
                    achievement_key=_key(achievement_id),
                    definition_slug=slug,
                    relation=relation,
                    comment=words,
                    credential=json.dumps(signed, ensure_ascii=False, separators=(",", ":")),
                    created_by=actor,
                    created_at=now,
                    withdrawn_at=None,
                )
            )
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="endorsement.create",
                subject=award_id,
                details={"organisation": organisation, "achievement": achievement_id, "relation": relation},
            )
            org_row = OrganisationRepository(session).row(organisation)
            assert org_row is not None
            return _view(row, org_row)

    def withdraw(
        self, award_id: str, *, organisation: str, access: OrganisationAccess | TokenPrincipal, reason: str = ""
    ) -> None:
        """Withdraw ``organisation``'s endorsement ``award_id``: its credential is revoked, and it is no longer
        listed. NotFoundError for another organisation's; ConflictError when withdrawn already."""
        actor = self._check_access(organisation, access)
        with self.database.transaction(read_only=True) as session:
            row = EndorsementRepository(session).by_award(award_id) if isinstance(award_id, str) else None
            org = OrganisationRepository(session).row(organisation)
            if row is None or org is None or row.organisation_id != org.id:
                raise NotFoundError("no such endorsement")
            if row.withdrawn_at is not None:
                raise ConflictError("this endorsement was withdrawn already")
        why = " ".join(str(reason).split())[:500] or "endorsement withdrawn"
        self.status_lists.revoke(award_id, reason=why, actor=actor, organisation=organisation)
        now = self.clock()
        with self.database.transaction() as session:
            stored = EndorsementRepository(session).by_award(award_id)
            assert stored is not None
            stored.withdrawn_at = now
            AuditRepository(session).append(
                at=now,
                actor=actor,
                action="endorsement.withdraw",
                subject=award_id,
                details={"organisation": organisation, "reason": why},
            )

    # -- reading -------------------------------------------------------------------------------------

    def of_achievement(self, achievement_id: str) -> list[Endorsement]:
        """The current (not withdrawn) endorsements of an achievement: of this instance's definition it names (any
        version), else of that very id; oldest first."""
        if not isinstance(achievement_id, str) or not achievement_id or len(achievement_id) > 2000:
            return []
        with self.database.transaction(read_only=True) as session:
            found = EndorsementRepository(session).current(
                achievement_key=_key(achievement_id), definition_slug=self.definition_of(achievement_id)
            )
            return [_view(row, org) for row, org in found]

    def of_organisation(self, organisation: str) -> list[Endorsement]:
        """The endorsements ``organisation`` gave, withdrawn ones too (``withdrawn_at`` set), newest first (at most
        500). NotFoundError for an unknown organisation."""
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(organisation) if isinstance(organisation, str) else None
            if org is None:
                raise NotFoundError(f"no organisation '{str(organisation)[:80]}'")
            return [_view(row, org) for row in EndorsementRepository(session).of_organisation(org.id)]

    def get(self, award_id: str, *, organisation: str) -> Endorsement:
        """``organisation``'s endorsement ``award_id`` (withdrawn or not); NotFoundError for another's."""
        with self.database.transaction(read_only=True) as session:
            row = EndorsementRepository(session).by_award(award_id) if isinstance(award_id, str) else None
            org = OrganisationRepository(session).row(organisation)
            if row is None or org is None or row.organisation_id != org.id:
                raise NotFoundError("no such endorsement")
            return _view(row, org)

    def check(self, endorsement: Endorsement) -> CheckedEndorsement:
        """Verify the endorsement's credential again on the one verification path; it counts only when it
        verifies, is an EndorsementCredential signed by the endorsing organisation's DID, about the achievement
        recorded, in the words recorded."""
        report = self.verification.verify(endorsement.credential)
        document = report.credential or {}
        subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, Mapping)]
        said = str(subjects[0].get("endorsementComment") or "") if subjects else ""
        reason = ""
        if not report.verified:
            failed = [c.reason for c in report.checks if c.outcome is Outcome.FAIL]
            reason = failed[0] if failed else report.verdict
        elif id_of(report.issuer.get("id")) != self.api_issuing.keys.did(endorsement.organisation):
            reason = NOT_SIGNED_BY_ENDORSER
        elif (
            not set(ENDORSEMENT_TYPES) <= set(as_list(document.get("type")))
            or not subjects
            or subjects[0].get("id") != endorsement.achievement_id
            or not said.endswith(endorsement.comment)
        ):
            reason = NOT_ABOUT_THIS
        return CheckedEndorsement(endorsement, verified=not reason, verdict=report.verdict, reason=reason)

    def shown_for(self, report: Report) -> list[CheckedEndorsement]:
        """The endorsements to show with a credential's report, each checked (:meth:`check`): none unless the
        credential verified and, for one of this instance's definitions, was signed by one of its awarding
        bodies."""
        if not report.verified or not report.credential:
            return []
        subjects = [s for s in as_list(report.credential.get("credentialSubject")) if isinstance(s, Mapping)]
        achievement = subjects[0].get("achievement") if subjects else None
        achievement_id = id_of(achievement) if isinstance(achievement, Mapping) else None
        if not achievement_id:
            return []
        slug = self.definition_of(achievement_id)
        if slug is not None:
            try:
                bodies = self.catalog.entry(slug, drafts=True).definition.awarding_bodies
            except NotFoundError:
                return []
            if id_of(report.issuer.get("id")) not in {self.api_issuing.keys.did(b) for b in bodies}:
                return []
        return [self.check(e) for e in self.of_achievement(achievement_id)[:MAX_SHOWN]]
