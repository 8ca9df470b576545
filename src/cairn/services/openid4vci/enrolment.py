"""Offers at enrolment: an organisation offers a learner the credential of a micro-credential they are enrolled in,
before the award exists; the credential comes once the result is in (OpenID4VCI deferred issuance).

An organisation's API token (``credentials:issue``) makes the offer for one of its definitions and a learner named
as its awards name them (email and/or DID, and the external id the award will carry). The offer is redeemed as any
other (pre-authorised code and transaction code, :data:`ENROLMENT_OFFER_LIFETIME`); at the credential endpoint,
while no award of that definition to that learner exists, the request is deferred
(:mod:`cairn.services.openid4vci.deferred`) for at most :data:`DEFER_LIFETIME` after the offer was made. When an
award exists at the credential request already, it is issued at once.

The award is found the way Cairn finds an award of a learner again (:func:`award_of`): by the definition (any
version) and the keyed hash of the learner's email, DID and external id (``recipient_key``, what makes awards
idempotent), or by the same DID. Nothing else about the learner is kept with the offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, NotFoundError, TooManyAttemptsError
from cairn.model.awards import Recipient
from cairn.services.issuing.service import IssuingService
from cairn.services.openid4vci.protocol import digest
from cairn.services.openid4vci.service import OFFER_LIFETIME, OpenID4VCIService
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.limits import RateLimitRepository
from cairn.store.tables import AwardRow, CredentialOfferRow, DefinitionRow, DefinitionVersionRow, OrganisationRow

__all__ = [
    "DEFER_LIFETIME",
    "ENROLMENT_OFFER_LIFETIME",
    "MAX_ENROLMENT_OFFERS_PER_HOUR",
    "EnrolmentOffer",
    "EnrolmentOffers",
    "award_of",
]

ENROLMENT_OFFER_LIFETIME: Final = OFFER_LIFETIME
"""How long an offer at enrolment can be redeemed: as any offer (the learner is shown it at enrolment)."""
DEFER_LIFETIME: Final = timedelta(days=180)
"""How long after the offer its deferred credentials wait for the award; after that they are refused."""
MAX_ENROLMENT_OFFERS_PER_HOUR: Final = 1000
"""Offers at enrolment one organisation may make in an hour."""


@dataclass(frozen=True, slots=True)
class EnrolmentOffer:
    """An offer at enrolment as the API answers it, once (the transaction code is not kept)."""

    offer_id: int
    link: str
    offer_uri: str
    tx_code: str
    expires_at: datetime
    defer_until: datetime
    configurations: tuple[str, ...]


def award_of(session: Session, offer: CredentialOfferRow) -> AwardRow | None:
    """The award an offer at enrolment waits for: of its definition (any version), to its learner (same
    ``recipient_key`` or same DID); a valid one before a revoked or suspended one, the newest first. None while
    there is none (and for an offer of an award)."""
    if offer.definition_id is None or offer.recipient_key is None:
        return None
    versions = select(DefinitionVersionRow.id).where(DefinitionVersionRow.definition_id == offer.definition_id)
    learner = AwardRow.recipient_key == offer.recipient_key
    if offer.recipient_did:
        learner = or_(learner, AwardRow.recipient_did == offer.recipient_did)
    found = list(
        session.scalars(
            select(AwardRow)
            .where(AwardRow.definition_version_id.in_(versions), learner)
            .order_by(AwardRow.issued_at.desc(), AwardRow.id)
        )
    )
    valid = [a for a in found if a.revoked_at is None and not a.suspended]
    chosen = valid or found
    return chosen[0] if chosen else None


class EnrolmentOffers:
    """Offers at enrolment, made and withdrawn by an organisation's API token."""

    def __init__(self, service: OpenID4VCIService, issuing: IssuingService) -> None:
        self.service = service
        self.issuing = issuing
        self.database = service.database
        self.clock = service.clock

    def make(
        self,
        organisation: str,
        definition: str,
        recipient: Recipient,
        *,
        actor: str,
        external_id: str | None = None,
        configurations: tuple[str, ...] | None = None,
    ) -> EnrolmentOffer:
        """Offer ``recipient`` the credential of ``definition`` (a published micro-credential of
        ``organisation``, else NotFoundError / ConflictError), to be issued once it is awarded to them."""
        formats = self.service.formats
        offered = tuple(c for c in (configurations or tuple(formats.ids())) if formats.get(c))
        if not offered:
            raise ConflictError("this instance offers no credential format")
        handle, code, tx_code = self.service.new_secrets()
        now = self.clock()
        expires, defer_until = now + ENROLMENT_OFFER_LIFETIME, now + DEFER_LIFETIME
        with self.database.transaction() as session:
            # one count-then-add at a time per organisation, in every process (see OpenID4VCIService._offer)
            RateLimitRepository(session).lock(f"enrolment offers\n{organisation}")
            org = session.scalar(select(OrganisationRow).where(OrganisationRow.slug == organisation))
            row = session.scalar(select(DefinitionRow).where(DefinitionRow.slug == definition))
            if org is None or row is None or row.organisation_id != org.id:
                raise NotFoundError(f"no micro-credential '{definition}'")
            if row.state != "published":
                raise ConflictError(
                    "micro-credential '%(id)s' is a draft: publish it before offering it", id=definition
                )
            recent = session.scalar(
                select(func.count())
                .select_from(CredentialOfferRow)
                .where(
                    CredentialOfferRow.organisation_id == org.id,
                    CredentialOfferRow.created_at > now - timedelta(hours=1),
                )
            )
            if int(recent or 0) >= MAX_ENROLMENT_OFFERS_PER_HOUR:
                raise TooManyAttemptsError(3600)
            offer = CredentialOfferRow(
                award_id=None,
                account_id=None,
                organisation_id=org.id,
                definition_id=row.id,
                recipient_key=self.issuing.recipient_key(recipient, external_id),
                recipient_did=recipient.did,
                handle_hash=digest(handle),
                code_hash=digest(code),
                tx_code_hash=digest(code, tx_code),
                tx_tries=0,
                configurations=" ".join(offered),
                created_at=now,
                expires_at=expires,
                defer_until=defer_until,
            )
            session.add(offer)
            session.flush()
            offer_id = offer.id
            details = {
                "definition": definition,
                "configurations": list(offered),
                "expires_at": expires.isoformat(),
                "defer_until": defer_until.isoformat(),
            }
            subject = f"openid4vci-offer:{offer_id}"
            append_audit(session, [AuditRecord(now, actor, "openid4vci.enrolment_offer", subject, details)])
        link, uri = self.service.link(handle), self.service.offer_uri(handle)
        return EnrolmentOffer(offer_id, link, uri, tx_code, expires, defer_until, offered)

    def withdraw(self, organisation: str, offer_id: int, *, actor: str) -> None:
        """Withdraw an offer at enrolment of ``organisation`` (NotFoundError for any other): it cannot be redeemed
        any more, and its deferred credentials are refused (``credential_request_denied``). Withdrawing twice is
        harmless."""
        now = self.clock()
        with self.database.transaction() as session:
            org = session.scalar(select(OrganisationRow.id).where(OrganisationRow.slug == organisation))
            offer = session.get(CredentialOfferRow, offer_id, with_for_update=True)
            if org is None or offer is None or offer.award_id is not None or offer.organisation_id != org:
                raise NotFoundError("no such offer")
            if offer.withdrawn_at is not None:
                return
            offer.withdrawn_at = now
            subject = f"openid4vci-offer:{offer_id}"
            append_audit(session, [AuditRecord(now, actor, "openid4vci.offer_withdrawn", subject, {})])
