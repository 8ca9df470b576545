"""The credential endpoint of OpenID4VCI, its notification endpoint and the deferred one.

A credential request carries the access token (``Authorization: Bearer``) and a JSON body naming what to issue and
the wallet's key proofs:

- 1.0: ``credential_configuration_id`` (or a ``credential_identifier`` from the token answer) and
  ``proofs: {"jwt": [...]}``; the answer is ``{"credentials": [{"credential": ...}, ...], "notification_id"}``;
- draft 13: ``format`` with ``credential_definition`` and ``proof: {"proof_type": "jwt", "jwt": ...}``; the answer
  is ``{"credential": ..., "c_nonce", "c_nonce_expires_in", "notification_id"}``.

Every proof is checked (:func:`cairn.vc.keyproof.verify_key_proof`: ``typ``, algorithm, ``aud``, ``iat``, the key
as a JWK or a did:key, the signature), its ``c_nonce`` must be one this instance made, unexpired and unused
(``invalid_nonce`` otherwise, with a fresh one), and the access token gets only the award of its offer, in the
configurations offered, at most :data:`MAX_BATCH` at a time and :data:`MAX_PER_TOKEN` in all. Each proof gets a copy
bound to its key. Nonces are marked used in the same transaction that records the issue, so a replay fails.

An offer at enrolment (:mod:`cairn.services.openid4vci.enrolment`) whose award does not exist yet is deferred
instead: the proofs are checked and their nonces used the same way, and the answer is a ``transaction_id`` for the
deferred endpoint (:mod:`cairn.services.openid4vci.deferred`), which issues to the proved keys once the award is
made.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from cairn.services.openid4vci.deferred import DEFERRED_INTERVAL, DeferredEndpoint, deferred_until
from cairn.services.openid4vci.enrolment import award_of
from cairn.services.openid4vci.formats import CredentialConfiguration
from cairn.services.openid4vci.protocol import MAX_BODY, NONCE_LIFETIME, OAuthError, digest, json_body
from cairn.services.openid4vci.service import OpenID4VCIService, audit_subject
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import (
    AwardRow,
    CredentialOfferRow,
    DeferredIssueRow,
    IssuedCopyRow,
    OfferTokenRow,
    UsedNonceRow,
)
from cairn.vc.keyproof import KeyProof, verify_key_proof

__all__ = ["EVENTS", "MAX_BATCH", "MAX_BODY", "MAX_PER_TOKEN", "CredentialEndpoint"]

MAX_BATCH: Final = 5
"""Key proofs (so credentials) one request may carry: the metadata's ``batch_credential_issuance.batch_size``."""
MAX_PER_TOKEN: Final = 10
"""Credentials one access token gets in all (deferred ones counted when they are deferred)."""
EVENTS: Final = ("credential_accepted", "credential_failure", "credential_deleted")


class CredentialEndpoint:
    """Issues the award of an access token's offer, bound to the wallet's keys."""

    def __init__(self, service: OpenID4VCIService) -> None:
        self.service = service
        self.database = service.database
        self.clock = service.clock
        self.deferred_endpoint = DeferredEndpoint(service)

    def _configuration(self, request: Mapping[str, Any], offer: CredentialOfferRow) -> CredentialConfiguration:
        offered = offer.configurations.split()
        named = [k for k in ("credential_configuration_id", "credential_identifier", "format") if k in request]
        if len(named) != 1:
            raise OAuthError(
                "invalid_credential_request",
                "name what to issue by exactly one of credential_configuration_id, credential_identifier and format",
            )
        key = named[0]
        value = request[key]
        if key == "format":  # draft 13
            found = [c for c in self.service.formats if c.id in offered and c.matches_draft13(request)]
            if not found:
                raise OAuthError("unsupported_credential_format", "this offer has no credential in that format")
            return found[0]
        configuration = self.service.formats.get(value) if isinstance(value, str) else None
        if configuration is None or configuration.id not in offered:
            if key == "credential_identifier":
                raise OAuthError("unknown_credential_identifier", "this access token has no such credential")
            raise OAuthError("unknown_credential_configuration", "this offer has no such credential configuration")
        return configuration

    @staticmethod
    def _proofs(request: Mapping[str, Any]) -> tuple[list[object], bool]:
        """The JWT key proofs and whether the request is draft 13 (``proof``, singular)."""
        if ("proof" in request) == ("proofs" in request):
            raise OAuthError("invalid_proof", "send the key proofs in exactly one of proofs and proof")
        if "proof" in request:
            proof = request["proof"]
            if not isinstance(proof, Mapping) or proof.get("proof_type") != "jwt" or "jwt" not in proof:
                raise OAuthError("invalid_proof", "only jwt key proofs are supported")
            return [proof["jwt"]], True
        proofs = request["proofs"]
        if not isinstance(proofs, Mapping) or set(proofs) != {"jwt"}:
            raise OAuthError("invalid_proof", 'only jwt key proofs are supported: proofs must be {"jwt": [...]}')
        jwts = proofs["jwt"]
        if not isinstance(jwts, list) or not jwts:
            raise OAuthError("invalid_proof", "proofs.jwt must be a list of key proofs")
        if len(jwts) > MAX_BATCH:
            raise OAuthError("invalid_credential_request", f"at most {MAX_BATCH} key proofs a request")
        return list(jwts), False

    def _checked(self, jwts: list[object]) -> list[KeyProof]:
        now = self.clock().timestamp()
        checked = [verify_key_proof(j, audience=self.service.issuer, now=now) for j in jwts]
        for proof in checked:
            if not proof.ok:
                raise OAuthError("invalid_proof", str(proof.reason))
        nonces = {str(p.nonce) for p in checked}
        if not all(self.service.nonces.valid(n) for n in nonces):
            fresh = self.service.nonces.make()
            raise OAuthError("invalid_nonce", "the c_nonce is not valid or has expired", c_nonce=fresh)
        with self.database.transaction(read_only=True) as session:
            used = session.scalars(
                select(UsedNonceRow.nonce_hash).where(UsedNonceRow.nonce_hash.in_([digest(n) for n in nonces]))
            ).first()
        if used is not None:
            raise OAuthError("invalid_nonce", "the c_nonce has been used already", c_nonce=self.service.nonces.make())
        return checked

    def issue(self, access_token: str | None, body: bytes) -> dict[str, Any]:
        """Answer a credential request (see the module's description), or raise :class:`OAuthError`."""
        token, offer = self.service.access(access_token)
        request = json_body(body, "invalid_credential_request")
        configuration = self._configuration(request, offer)
        jwts, draft13 = self._proofs(request)
        if token.issued + len(jwts) > MAX_PER_TOKEN:
            raise OAuthError("credential_request_denied", "this access token has had all the credentials it can get")
        award_id = self._award(offer)
        proofs = self._checked(jwts)
        if award_id is None:
            return self._defer(token, offer, configuration, proofs, draft13)
        credentials = [
            configuration.issue(award_id, holder_jwk=p.key.to_jwk(), holder_did=str(p.holder))
            for p in proofs
            if p.key is not None
        ]
        notification_id = secrets.token_urlsafe(24)
        self._record(token, award_id, configuration, proofs, notification_id=notification_id)
        if draft13:
            return {
                "credential": credentials[0],
                "c_nonce": self.service.nonces.make(),
                "c_nonce_expires_in": int(NONCE_LIFETIME.total_seconds()),
                "notification_id": notification_id,
            }
        return {"credentials": [{"credential": c} for c in credentials], "notification_id": notification_id}

    def _award(self, offer: CredentialOfferRow) -> str | None:
        """The award to issue now: the offer's, or for an offer at enrolment the one made since (None: none yet,
        so defer); ``credential_request_denied`` when it is revoked or suspended, or the offer withdrawn or past
        its wait."""
        with self.database.transaction(read_only=True) as session:
            if offer.award_id is not None:
                award = session.get(AwardRow, offer.award_id)
            else:
                if offer.withdrawn_at is not None or offer.defer_until is None or self.clock() >= offer.defer_until:
                    raise OAuthError("credential_request_denied", "this offer was withdrawn or has ended")
                award = award_of(session, offer)
                if award is None:
                    return None
            if award is None or award.revoked_at is not None or award.suspended:
                raise OAuthError("credential_request_denied", "the credential is revoked or suspended")
            return award.id

    def _defer(
        self,
        token: OfferTokenRow,
        offer: CredentialOfferRow,
        configuration: CredentialConfiguration,
        proofs: list[KeyProof],
        draft13: bool,
    ) -> dict[str, Any]:
        """Defer the credentials of an offer at enrolment whose award is not made yet: a transaction keeping the
        proved keys, answered with its ``transaction_id`` (1.0: and the ``interval``, HTTP 202; draft 13: and a
        fresh ``c_nonce``, HTTP 200)."""
        transaction_id = secrets.token_urlsafe(32)
        keys = [{"jwk": p.key.to_jwk(), "did": str(p.holder)} for p in proofs if p.key is not None]
        row = DeferredIssueRow(
            transaction_hash=digest(transaction_id),
            configuration=configuration.id,
            holders={"keys": keys},
            draft13=draft13,
            created_at=self.clock(),
        )
        self._record(token, audit_subject(offer), configuration, proofs, deferred=row, until=deferred_until(offer))
        if draft13:
            return {
                "transaction_id": transaction_id,
                "c_nonce": self.service.nonces.make(),
                "c_nonce_expires_in": int(NONCE_LIFETIME.total_seconds()),
            }
        return {"transaction_id": transaction_id, "interval": DEFERRED_INTERVAL}

    def _record(
        self,
        token: OfferTokenRow,
        subject: str,
        configuration: CredentialConfiguration,
        proofs: list[KeyProof],
        *,
        notification_id: str = "",
        deferred: DeferredIssueRow | None = None,
        until: datetime | None = None,
    ) -> None:
        """Use the proofs' nonces and count the credentials against the token, and record the issue (or, with
        ``deferred``, the deferred transaction, the token then working at the deferred endpoint ``until``)."""
        now = self.clock()
        nonces = sorted({str(p.nonce) for p in proofs})
        try:
            with self.database.transaction() as session:
                session.execute(delete(UsedNonceRow).where(UsedNonceRow.expires_at < now))
                stored = session.get(OfferTokenRow, token.id, with_for_update=True)
                if stored is None or stored.issued + len(proofs) > MAX_PER_TOKEN:
                    raise OAuthError("credential_request_denied", "this access token has had all it can get")
                session.add_all(UsedNonceRow(nonce_hash=digest(n), expires_at=now + NONCE_LIFETIME) for n in nonces)
                session.flush()
                stored.issued += len(proofs)
                details = {
                    "configuration": configuration.id,
                    "count": len(proofs),
                    "holders": sorted({str(p.holder) for p in proofs}),
                }
                if deferred is not None:
                    deferred.token_id = token.id
                    session.add(deferred)
                    stored.deferred_until = until
                    append_audit(session, [AuditRecord(now, "wallet", "openid4vci.deferred", subject, details)])
                    return
                session.add(
                    IssuedCopyRow(
                        token_id=token.id,
                        notification_id=notification_id,
                        configuration=configuration.id,
                        count=len(proofs),
                        created_at=now,
                    )
                )
                append_audit(session, [AuditRecord(now, "wallet", "openid4vci.issue", subject, details)])
        except IntegrityError:
            raise OAuthError(
                "invalid_nonce", "the c_nonce has been used already", c_nonce=self.service.nonces.make()
            ) from None

    def notify(self, access_token: str | None, body: bytes) -> None:
        """Record a wallet's notification (``credential_accepted``, ``credential_failure``,
        ``credential_deleted``) of credentials this access token got (at once or deferred), in the audit log."""
        token, offer = self.service.access(access_token, deferred=True)
        request = json_body(body, "invalid_notification_request")
        notification_id, event = request.get("notification_id"), request.get("event")
        if not isinstance(event, str) or event not in EVENTS:
            raise OAuthError("invalid_notification_request", f"event must be one of {', '.join(EVENTS)}")
        if not isinstance(notification_id, str) or len(notification_id) > 100:
            raise OAuthError("invalid_notification_id", "no such notification_id")
        now = self.clock()
        with self.database.transaction() as session:
            row = session.scalar(
                select(IssuedCopyRow).where(
                    IssuedCopyRow.notification_id == notification_id, IssuedCopyRow.token_id == token.id
                )
            )
            if row is None:
                raise OAuthError("invalid_notification_id", "no such notification_id")
            row.event, row.event_at = event, now
            details = {"event": event, "configuration": row.configuration}
            subject = audit_subject(offer)
            append_audit(session, [AuditRecord(now, "wallet", "openid4vci.notification", subject, details)])

    def deferred(self, access_token: str | None, body: bytes) -> dict[str, Any]:
        """The deferred credential endpoint (:meth:`cairn.services.openid4vci.deferred.DeferredEndpoint.answer`)."""
        return self.deferred_endpoint.answer(access_token, body)
