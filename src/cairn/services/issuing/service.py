"""Awarding: an Open Badges 3.0 credential per learner, signed, stored, claimable, audited, idempotent.

:meth:`IssuingService.award` builds the credential of a definition version for one recipient (email
and/or DID, optional name, grade and external id), gives it random revocation and suspension indexes,
signs it with the organisation's suite and key, and in one transaction stores it with a claim token
(only its SHA-256), queues the claim email (``{public_url}/claim/{token}``) and appends to the audit
log. The same definition version, recipient and external id make one award: asking again answers the
award already made (``created`` is False).

Bulk awards (:mod:`cairn.services.issuing.bulk`) use the same steps a batch at a time: :meth:`plan`,
:meth:`prepare`, signing (in worker processes), then :meth:`write` in the batch's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, NotFoundError, StorageError
from cairn.model.awards import Evidence, Recipient, add_months
from cairn.model.definitions import PUBLISHED
from cairn.model.types import pick
from cairn.services.catalog.badges import image_path, stored_badge
from cairn.services.catalog.coawards import CoAwardPendingError, pending_bodies
from cairn.services.issuing.claim_emails import claim_email
from cairn.services.issuing.claims import claim_link_expired
from cairn.services.issuing.credentials import AwardSpec, IssuanceContext, SignedAward, sign_award
from cairn.services.issuing.keys import KeyService, suite_of
from cairn.services.issuing.status_lists import PURPOSES, Slot, StatusListService
from cairn.store.catalog.images import ImageRepository
from cairn.store.catalog.repository import DefinitionRepository, OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import (
    AuditRecord,
    AwardRepository,
    StatusListRepository,
    append_audit,
    enqueue_emails,
)
from cairn.store.tables import AwardRow, DefinitionRow, DefinitionVersionRow, OrganisationRow

__all__ = [
    "AwardPlan",
    "AwardResult",
    "AwardView",
    "IssuingService",
    "Prepared",
    "WriteOutcome",
    "claim_token_hash",
]

MAX_SLOT_RETRIES: Final = 100
SkillLabels = Callable[[Sequence[str]], Mapping[str, str]]


def claim_token_hash(token: str) -> str:
    """The SHA-256 (hex) under which a claim token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AwardPlan:
    """What every award of one definition version shares, read once."""

    definition: str
    version: int
    version_id: int
    organisation_id: int
    organisation: str
    title: str
    issuer_name: str
    context: IssuanceContext
    language: str = "en"
    """The definition's first language: the claim email's."""


@dataclass(slots=True)
class Prepared:
    """One award ready to sign and write."""

    spec: AwardSpec
    recipient_key: str
    slots: tuple[Slot, ...]
    claim_token: str
    row_number: int | None = None
    signed: SignedAward | None = None
    renewed_from: str | None = None


@dataclass(frozen=True, slots=True)
class AwardResult:
    """An award made (``created``) or found again; ``claim_token`` only when just made."""

    award_id: str
    credential: dict[str, Any] | str
    created: bool
    claim_token: str | None = None
    claim_url: str | None = None


@dataclass(frozen=True, slots=True)
class AwardView:
    """An award as pages and the API show it."""

    award_id: str
    organisation: str
    definition: str
    version: int
    issued_at: datetime
    credential: dict[str, Any] | str
    recipient_did: str | None
    external_id: str | None
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended: bool
    suspension_reason: str | None
    claimed_at: datetime | None
    claim_sent_at: datetime | None = None
    claim_sends: int = 0
    valid_until: datetime | None = None
    renewed_from: str | None = None
    renewed_by: str | None = None
    """The award that renewed this one, if any."""


@dataclass
class WriteOutcome:
    """What a write did: awards created, and recipient keys found already awarded (key -> award id)."""

    created: list[Prepared] = field(default_factory=list)
    existing: dict[str, str] = field(default_factory=dict)


class IssuingService:
    """Single awards, and the steps bulk awards share."""

    def __init__(
        self,
        database: Database,
        *,
        keys: KeyService,
        status_lists: StatusListService,
        clock: Callable[[], datetime],
        skill_labels: SkillLabels | None = None,
    ) -> None:
        self.database = database
        self.keys = keys
        self.status_lists = status_lists
        self.clock = clock
        self.skill_labels = skill_labels

    @property
    def public_url(self) -> str:
        """The instance's public URL."""
        return self.keys.public_url

    def now(self) -> datetime:
        """The time of issuing: the clock, to the second."""
        return self.clock().replace(microsecond=0)

    # -- the steps ----------------------------------------------------------------------------------

    def plan(
        self, definition: str, version: int | None = None, *, organisation: str | None = None, language: str = ""
    ) -> AwardPlan:
        """Read a definition version, its awarding bodies and the signing key (made if missing). The claim email
        is written in ``language`` (the page's where the award was made) when the definition is given in it,
        else in the definition's first language.

        :class:`~cairn.services.catalog.coawards.CoAwardPendingError` when the version names a co-awarding
        body that has not accepted (every award, single or bulk, is planned here first)."""
        with self.database.transaction() as session:
            # A writer from the start: the first award of a definition stores its badge (and of an organisation,
            # makes its key), and on SQLite a read transaction that turns writer after another connection wrote
            # (a status list signed by a job, say) fails at once with 'database is locked'.
            stored = DefinitionRepository(session).get(definition, version)
            d = stored.definition
            if organisation is not None and d.awarding_bodies[0] != organisation:
                raise NotFoundError(f"no micro-credential '{definition}'")
            if stored.state != PUBLISHED:
                raise ConflictError("micro-credential '%(id)s' is a draft: publish it before awarding it", id=d.id)
            pending = pending_bodies(session, d)
            if pending:
                raise CoAwardPendingError(d.id, pending)
            orgs = OrganisationRepository(session)
            bodies = tuple(orgs.get(slug) for slug in d.awarding_bodies)
            lead = orgs.row(d.awarding_bodies[0])
            assert lead is not None
            signing = self.keys.signing_key(session, lead)
            suite = suite_of(lead)
            badge = stored_badge(session, d, bodies[0], organisation_id=lead.id, now=self.clock())
            logo = ImageRepository(session).get(bodies[0].logo) if bodies[0].logo else None
        skills = sorted({uri for outcome in d.learning_outcomes for uri in outcome.esco_skills})
        context = IssuanceContext(
            definition=d,
            version=stored.version,
            organisations=bodies,
            issuer_ids={o.id: self.keys.did(o.id) for o in bodies},
            achievement_id=f"{self.public_url}/micro-credentials/{d.id}/versions/{stored.version}",
            suite=suite,
            key_kind=signing.key.kind.value,
            key_secret=signing.key.secret,
            verification_method=signing.verification_method,
            skill_labels=dict(self.skill_labels(skills)) if self.skill_labels and skills else {},
            badge_image=self.public_url + image_path(*badge),
            issuer_image=self.public_url + image_path(logo.sha256, logo.media_type) if logo else None,
        )
        wanted = pick(d.title, language)[0] if language else ""
        lang = wanted if wanted and wanted.split("-")[0] == language.split("-")[0] else next(iter(d.title))
        return AwardPlan(
            definition=d.id,
            version=stored.version,
            version_id=stored.version_id,
            organisation_id=lead.id,
            organisation=lead.slug,
            title=pick(d.title, lang)[1],
            issuer_name=pick(bodies[0].legal_name, lang)[1],
            context=context,
            language=lang,
        )

    def recipient_key(self, recipient: Recipient, external_id: str | None) -> str:
        """The idempotency key of an award within a definition version."""
        return self.keys.recipient_key(recipient.email, recipient.did, external_id)

    def prepare(
        self,
        plan: AwardPlan,
        recipient: Recipient,
        *,
        issued_at: datetime,
        grade: str | None = None,
        external_id: str | None = None,
        recipient_key: str | None = None,
        row_number: int | None = None,
        evidence: tuple[Evidence, ...] = (),
        narrative: str | None = None,
        composite: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> Prepared:
        """Give an award its id, salt, claim token and status indexes (not signed yet).

        A definition with a validity period (``validity_months``) makes the award valid until that many months
        after ``issued_at`` (the credential's ``validUntil``)."""
        months = plan.context.definition.validity_months
        slots = tuple(self.status_lists.allocate(plan.organisation_id, p)[0] for p in PURPOSES)
        spec = AwardSpec(
            award_id=str(uuid.uuid4()),
            recipient=recipient,
            issued_at=issued_at,
            salt=secrets.token_hex(16),
            statuses=tuple(self.status_lists.entry(plan.organisation, s) for s in slots),
            grade=grade,
            external_id=external_id,
            evidence=evidence,
            narrative=narrative,
            valid_until=add_months(issued_at, months) if months else None,
            composite=composite,
        )
        key = recipient_key or self.recipient_key(recipient, external_id)
        return Prepared(spec, key, slots, secrets.token_urlsafe(32), row_number)

    def _reslot(self, plan: AwardPlan, item: Prepared) -> Prepared:
        for purpose in PURPOSES:
            self.status_lists.refresh(plan.organisation_id, purpose)
        slots = tuple(self.status_lists.allocate(plan.organisation_id, p)[0] for p in PURPOSES)
        spec = replace(item.spec, statuses=tuple(self.status_lists.entry(plan.organisation, s) for s in slots))
        signed = sign_award(plan.context, spec)
        return Prepared(spec, item.recipient_key, slots, item.claim_token, item.row_number, signed, item.renewed_from)

    def _row(self, plan: AwardPlan, item: Prepared, job_id: int | None) -> dict[str, Any]:
        signed = item.signed
        assert signed is not None
        revocation, suspension = item.slots
        spec = item.spec
        return {
            "id": spec.award_id,
            "definition_version_id": plan.version_id,
            "learner_id": None,
            "recipient_key": item.recipient_key,
            "recipient_hash": signed.recipient_hash,
            "recipient_did": spec.recipient.did,
            "external_id": spec.external_id,
            "issued_at": spec.issued_at,
            "grade": spec.grade,
            "credential": signed.credential_json,
            "revocation_list_id": revocation.list_id,
            "revocation_index": revocation.index,
            "suspension_list_id": suspension.list_id,
            "suspension_index": suspension.index,
            "suspended": False,
            "organisation_id": plan.organisation_id,
            "suite": plan.context.suite,
            "credential_jwt": signed.jwt,
            "claim_token_hash": claim_token_hash(item.claim_token),
            "claim_sent_at": spec.issued_at,
            "claim_sends": 1 if spec.recipient.email else 0,
            "bulk_job_id": job_id,
            "row_number": item.row_number,
            "valid_until": spec.valid_until,
            "renewed_from": item.renewed_from,
        }

    def write(
        self,
        session: Session,
        plan: AwardPlan,
        items: Sequence[Prepared],
        *,
        actor: str,
        now: datetime,
        job_id: int | None = None,
    ) -> WriteOutcome:
        """Store signed awards in the caller's transaction, with their claim emails and audit entries.

        All rows go in one statement on a SAVEPOINT; if a UNIQUE constraint refuses it, each row is
        retried alone: a recipient already awarded is reported as existing, a status index another
        process took meanwhile is replaced by a fresh one (and the credential signed again).
        """
        awards = AwardRepository(session)
        outcome = WriteOutcome()
        try:
            with session.begin_nested():
                awards.insert_many([self._row(plan, item, job_id) for item in items])
            outcome.created = list(items)
        except IntegrityError:
            for item in items:
                self._write_one(session, plan, item, outcome, job_id)
        created = outcome.created
        if not created:
            return outcome
        lists = StatusListRepository(session)
        for position in range(len(PURPOSES)):
            counts: dict[int, int] = {}
            for item in created:
                counts[item.slots[position].list_id] = counts.get(item.slots[position].list_id, 0) + 1
            for list_id, count in sorted(counts.items()):
                lists.add_allocated(list_id, count)
        enqueue_emails(session, (self._email(plan, item) for item in created if item.spec.recipient.email), now=now)
        details: dict[str, Any] = {"definition": plan.definition, "version": plan.version, "suite": plan.context.suite}
        records = []
        for item in created:
            extra: dict[str, Any] = {"job": job_id, "row": item.row_number} if job_id is not None else {}
            if item.renewed_from is not None:
                extra["renewed_from"] = item.renewed_from
            records.append(AuditRecord(now, actor, "award.create", item.spec.award_id, {**details, **extra}))
        append_audit(session, records)
        return outcome

    def _write_one(
        self, session: Session, plan: AwardPlan, item: Prepared, outcome: WriteOutcome, job_id: int | None
    ) -> None:
        awards = AwardRepository(session)
        for _ in range(MAX_SLOT_RETRIES):
            try:
                with session.begin_nested():
                    awards.insert_many([self._row(plan, item, job_id)])
            except IntegrityError:
                found = awards.find(plan.version_id, item.recipient_key)
                if found is not None:
                    outcome.existing[item.recipient_key] = found.id
                    return
                item = self._reslot(plan, item)  # a status index was taken by another process meanwhile
                continue
            outcome.created.append(item)
            return
        raise StorageError("could not find a free status list index; try again")

    def _email(self, plan: AwardPlan, item: Prepared) -> tuple[str, str, str]:
        recipient = item.spec.recipient
        assert recipient.email is not None
        subject, body = claim_email(
            language=plan.language,
            title=plan.title,
            issuer=plan.issuer_name,
            name=recipient.name,
            link=self.claim_url(item.claim_token),
        )
        return recipient.email, subject, body

    def claim_url(self, token: str) -> str:
        """The link in the claim email: ``{public_url}/claim/{token}``."""
        return f"{self.public_url}/claim/{token}"

    # -- single awards ------------------------------------------------------------------------------

    def award(
        self,
        definition: str,
        recipient: Recipient,
        *,
        actor: str,
        version: int | None = None,
        external_id: str | None = None,
        grade: str | None = None,
        organisation: str | None = None,
        evidence: tuple[Evidence, ...] = (),
        narrative: str | None = None,
        idempotency_key: str | None = None,
        language: str = "",
        composite: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    ) -> AwardResult:
        """Award a definition (its latest version unless given) to one recipient; idempotent. The claim email is
        in ``language`` where the definition is given in it (see :meth:`plan`).

        With ``organisation`` the definition must belong to it (NotFoundError otherwise). The same definition
        version, recipient and external id make one award; with ``idempotency_key`` (an API client's
        ``Idempotency-Key``) the same key and definition version make one award, whatever else is sent.
        """
        plan = self.plan(definition, version, organisation=organisation, language=language)
        key = (
            self.keys.recipient_key("idempotency-key", plan.organisation, idempotency_key)
            if idempotency_key is not None
            else self.recipient_key(recipient, external_id)
        )
        with self.database.transaction(read_only=True) as session:
            found = AwardRepository(session).find(plan.version_id, key)
            if found is not None:
                return AwardResult(found.id, _credential_of(found), created=False)
        now = self.now()
        item = self.prepare(
            plan,
            recipient,
            issued_at=now,
            grade=grade,
            external_id=external_id,
            recipient_key=key,
            evidence=evidence,
            narrative=narrative,
            composite=composite,
        )
        item.signed = sign_award(plan.context, item.spec)
        with self.database.transaction() as session:
            outcome = self.write(session, plan, [item], actor=actor, now=now)
            if not outcome.created:
                row = AwardRepository(session).get(outcome.existing[key])
                assert row is not None
                return AwardResult(row.id, _credential_of(row), created=False)
        created = outcome.created[0]
        assert created.signed is not None
        credential: dict[str, Any] | str = created.signed.jwt or created.signed.credential
        token = created.claim_token
        return AwardResult(created.spec.award_id, credential, True, token, self.claim_url(token))

    def renew(self, award_id: str, *, organisation: str, actor: str, email: str | None = None) -> AwardResult:
        """Re-issue an award to the same learner with a new validity (see :mod:`cairn.services.issuing.renewal`)."""
        from cairn.services.issuing.renewal import renew

        return renew(self, award_id, organisation=organisation, actor=actor, email=email)

    # -- reading ------------------------------------------------------------------------------------

    def get(self, award_id: str, *, organisation: str | None = None) -> AwardView:
        """One award; NotFoundError when there is none or it belongs to another organisation."""
        with self.database.transaction(read_only=True) as session:
            row = AwardRepository(session).get(award_id)
            view = _view(session, row) if row is not None else None
        if view is None or (organisation is not None and view.organisation != organisation):
            raise NotFoundError(f"no award '{award_id}'")
        return view

    def by_claim_token(self, token: str) -> AwardView | None:
        """The award a claim link names, or None (also when the link is past its lifetime, see
        :data:`cairn.services.issuing.claims.CLAIM_LINK_LIFETIME`)."""
        with self.database.transaction(read_only=True) as session:
            row = AwardRepository(session).by_claim_hash(claim_token_hash(token))
            if row is None or claim_link_expired(row, self.clock()):
                return None
            return _view(session, row)


def _credential_of(row: AwardRow) -> dict[str, Any] | str:
    return row.credential_jwt or dict(row.credential or {})


def _view(session: Session, row: AwardRow) -> AwardView | None:
    """The award; one issued through the VC-API has no definition (``""``, version 0)."""
    org = session.get(OrganisationRow, row.organisation_id) if row.organisation_id else None
    if org is None:
        return None
    slug, number = "", 0
    if row.definition_version_id is not None:
        version = session.get(DefinitionVersionRow, row.definition_version_id)
        definition = session.get(DefinitionRow, version.definition_id) if version else None
        if version is None or definition is None:
            return None
        slug, number = definition.slug, version.version
    return AwardView(
        award_id=row.id,
        organisation=org.slug,
        definition=slug,
        version=number,
        issued_at=row.issued_at,
        credential=_credential_of(row),
        recipient_did=row.recipient_did,
        external_id=row.external_id,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        suspended=bool(row.suspended),
        suspension_reason=row.suspension_reason,
        claimed_at=row.claimed_at,
        claim_sent_at=row.claim_sent_at,
        claim_sends=int(row.claim_sends or 0),
        valid_until=row.valid_until,
        renewed_from=row.renewed_from,
        renewed_by=renewal.id if (renewal := AwardRepository(session).renewal_of(row.id)) is not None else None,
    )
