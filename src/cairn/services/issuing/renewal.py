"""Renewing an award: the same achievement re-issued to the same learner with a new validity.

A renewal is a new award of the definition's latest version (so a changed validity period applies) with a new
credential id, new status list entries and a new claim link; ``awards.renewed_from`` points at the award it
renews. The old award is not revoked: it stays valid until its own ``validUntil`` (a renewal extends, it does not
take back what was shared), and pages show which award renewed it.

Cairn keeps no learner's email in clear text, only a salted hash in the credential, so the renewal identifies
the learner by what the old award holds: the DID, the email of the learner who claimed it, or an email the
issuer types in, which must match the old award's hash. Renewing the same award again answers the renewal
already made.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.formats.ob3 import identity_hash
from cairn.model.awards import MAX_EVIDENCE, Evidence, Recipient
from cairn.services.issuing.credentials import sign_award
from cairn.store.issuing.repository import AwardRepository
from cairn.store.tables import AwardRow, LearnerRow

if TYPE_CHECKING:
    from cairn.services.issuing.service import AwardResult, IssuingService

__all__ = ["renew"]


def _subject(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    return subject if isinstance(subject, Mapping) else {}


def _identifiers(credential: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(name, salt of the hashed email) as the credential's ``IdentityObject`` entries give them."""
    name = salt = None
    found = _subject(credential).get("identifier")
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, Mapping):
            continue
        if item.get("identityType") == "name" and isinstance(item.get("identityHash"), str):
            name = item["identityHash"]
        if item.get("identityType") == "emailAddress" and isinstance(item.get("salt"), str):
            salt = item["salt"]
    return name, salt


def _evidence(credential: Mapping[str, Any]) -> tuple[Evidence, ...]:
    found = credential.get("evidence")
    items: list[Evidence] = []
    for item in found if isinstance(found, list) else []:
        if not isinstance(item, Mapping):
            continue
        try:
            items.append(Evidence.model_validate({k: v for k, v in item.items() if k != "type"}))
        except ValidationError:
            continue  # a shape this version of Cairn does not write: left out of the renewal
    return tuple(items[:MAX_EVIDENCE])


def _recipient(row: AwardRow, learner: LearnerRow | None, email: str | None) -> Recipient:
    credential: Mapping[str, Any] = row.credential or {}
    name, salt = _identifiers(credential)
    given = (email or "").strip().lower() or None
    if given is not None:
        if row.recipient_hash is None or salt is None:
            raise InputError("this award names no email address; it is renewed for the learner's DID")
        if not hmac.compare_digest(identity_hash(given, salt), row.recipient_hash):
            raise InputError("that email address is not the one this award was given to")
    elif (
        learner is not None
        and learner.email
        and row.recipient_hash
        and salt
        and hmac.compare_digest(identity_hash(learner.email, salt), row.recipient_hash)
    ):
        given = learner.email
    if given is None and row.recipient_hash is not None:
        raise InputError("type the learner's email address: Cairn keeps only a salted hash of it")
    if given is None and row.recipient_did is None:
        raise InputError("this award names no learner Cairn can renew it for")
    try:
        return Recipient(name=name, email=given, did=row.recipient_did)
    except ValidationError as exc:
        raise InputError("that is not an email address") from exc


def renew(
    service: IssuingService, award_id: str, *, organisation: str, actor: str, email: str | None = None
) -> AwardResult:
    """Renew ``award_id`` of ``organisation``: a new award of the definition's latest version, valid from now.

    NotFoundError for another organisation's award; InputError when the learner cannot be identified (see the
    module's text); ConflictError for a revoked award or one issued through the VC-API (no definition)."""
    from cairn.services.issuing.service import AwardResult

    view = service.get(award_id, organisation=organisation)
    if not view.definition:
        raise ConflictError("an award issued through the VC-API has no micro-credential to renew")
    if view.revoked_at is not None:
        raise ConflictError("a revoked award cannot be renewed")
    with service.database.transaction(read_only=True) as session:
        row = AwardRepository(session).get(award_id)
        if row is None:
            raise NotFoundError(f"no award '{award_id}'")
        learner = session.get(LearnerRow, row.learner_id) if row.learner_id is not None else None
        recipient = _recipient(row, learner, email)
        credential: Mapping[str, Any] = row.credential or {}
        grade, external_id = row.grade, row.external_id
    narrative = _subject(credential).get("narrative")
    plan = service.plan(view.definition, organisation=organisation)
    key = service.keys.recipient_key("renewal", award_id)
    with service.database.transaction(read_only=True) as session:
        found = AwardRepository(session).find(plan.version_id, key) or AwardRepository(session).renewal_of(award_id)
        if found is not None:
            return AwardResult(found.id, found.credential_jwt or dict(found.credential or {}), created=False)
    now = service.now()
    item = service.prepare(
        plan,
        recipient,
        issued_at=now,
        grade=grade,
        external_id=external_id,
        recipient_key=key,
        evidence=_evidence(credential),
        narrative=narrative if isinstance(narrative, str) else None,
    )
    item.renewed_from = award_id
    item.signed = sign_award(plan.context, item.spec)
    with service.database.transaction() as session:
        outcome = service.write(session, plan, [item], actor=actor, now=now)
        if not outcome.created:
            existing = AwardRepository(session).get(outcome.existing[key])
            assert existing is not None
            return AwardResult(existing.id, existing.credential_jwt or dict(existing.credential or {}), created=False)
    signed = outcome.created[0].signed
    assert signed is not None
    token = item.claim_token
    return AwardResult(item.spec.award_id, signed.jwt or signed.credential, True, token, service.claim_url(token))
