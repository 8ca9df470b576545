"""The deferred credential endpoint of OpenID4VCI: the credentials of an offer at enrolment, once the award is made.

A credential request for an offer at enrolment (:mod:`cairn.services.openid4vci.enrolment`) made before its award
is answered with a ``transaction_id`` (OpenID4VCI 1.0 section 8.3: HTTP 202 with ``interval``; draft 13: 200 with a
``c_nonce``). The transaction keeps the keys of the verified key proofs. The wallet then asks
``POST /openid4vci/deferred`` with the same access token and ``{"transaction_id": ...}``:

- while no award of the definition to the learner exists: 1.0 answers 202 ``{"transaction_id", "interval"}``
  (section 9.2), draft 13 the error ``issuance_pending`` with ``interval``; the wallet waits
  :data:`DEFERRED_INTERVAL` seconds before asking again;
- once it exists: the credentials in the configuration asked, one per stored key, exactly as the credential
  endpoint issues them (``credentials`` and ``notification_id``; draft 13: ``credential``), recorded
  (``openid4vci.issue``, ``deferred: true``) and delivered once;
- a transaction already delivered, unknown, or of another access token: ``invalid_transaction_id``, nothing
  changed (section 9.3);
- the offer withdrawn, its wait over (``defer_until``), or the award revoked or suspended:
  ``credential_request_denied``.

The access token works here (and at the notification endpoint) until :func:`deferred_until`: the offer's wait and
:data:`DEFERRED_TOKEN_GRACE` after it, so that a wallet coming back late hears why rather than ``invalid_token``.
Everywhere else it still ends after 10 minutes.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select

from cairn.services.openid4vci.enrolment import award_of
from cairn.services.openid4vci.protocol import OAuthError, digest, json_body
from cairn.services.openid4vci.service import MAX_CODE, OpenID4VCIService
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import CredentialOfferRow, DeferredIssueRow, IssuedCopyRow

__all__ = ["DEFERRED_INTERVAL", "DEFERRED_TOKEN_GRACE", "DeferredEndpoint", "deferred_until"]

DEFERRED_INTERVAL: Final = 3600
"""Seconds a wallet should wait before asking the deferred endpoint (again): results come in days, not seconds."""
DEFERRED_TOKEN_GRACE: Final = timedelta(days=30)
"""How long after an offer's wait the token still gets an answer (``credential_request_denied``) there."""

_UNKNOWN: Final = "no such transaction_id, or its credentials were delivered already"


def deferred_until(offer: CredentialOfferRow) -> datetime | None:
    """Until when an access token of ``offer`` that deferred credentials works at the deferred endpoint."""
    return offer.defer_until + DEFERRED_TOKEN_GRACE if offer.defer_until is not None else None


class DeferredEndpoint:
    """Answers the deferred credential endpoint (see the module's description)."""

    def __init__(self, service: OpenID4VCIService) -> None:
        self.service = service
        self.database = service.database
        self.clock = service.clock

    def answer(self, access_token: str | None, body: bytes) -> dict[str, Any]:
        """Deliver a deferred transaction's credentials, say it is pending, or raise :class:`OAuthError`."""
        token, offer = self.service.access(access_token, deferred=True)
        request = json_body(body, "invalid_credential_request")
        transaction_id = request.get("transaction_id")
        if not isinstance(transaction_id, str) or not transaction_id:
            raise OAuthError("invalid_credential_request", "transaction_id is missing")
        if len(transaction_id) > MAX_CODE or not transaction_id.isascii():
            raise OAuthError("invalid_transaction_id", _UNKNOWN)
        with self.database.transaction(read_only=True) as session:
            row = session.scalar(
                select(DeferredIssueRow).where(DeferredIssueRow.transaction_hash == digest(transaction_id))
            )
            if row is None or row.token_id != token.id or row.delivered_at is not None:
                raise OAuthError("invalid_transaction_id", _UNKNOWN)
            if offer.withdrawn_at is not None or offer.defer_until is None or self.clock() >= offer.defer_until:
                raise OAuthError("credential_request_denied", "this offer was withdrawn or has ended")
            award = award_of(session, offer)
            if award is not None and (award.revoked_at is not None or award.suspended):
                raise OAuthError("credential_request_denied", "the credential is revoked or suspended")
            row_id, configuration_id, draft13 = row.id, row.configuration, row.draft13
            keys = [k for k in row.holders.get("keys", []) if isinstance(k, dict)]
            award_id = award.id if award is not None else None
        if award_id is None:
            if draft13:
                raise OAuthError("issuance_pending", "the credential is not issued yet", interval=DEFERRED_INTERVAL)
            return {"transaction_id": transaction_id, "interval": DEFERRED_INTERVAL}
        configuration = self.service.formats.get(configuration_id)
        if configuration is None:
            raise OAuthError("credential_request_denied", "this issuer no longer issues that configuration")
        credentials = [configuration.issue(award_id, holder_jwk=k["jwk"], holder_did=str(k["did"])) for k in keys]
        notification_id = secrets.token_urlsafe(24)
        self._delivered(row_id, token.id, award_id, configuration_id, keys, notification_id)
        if draft13:
            return {"credential": credentials[0], "notification_id": notification_id}
        return {"credentials": [{"credential": c} for c in credentials], "notification_id": notification_id}

    def _delivered(
        self, row_id: int, token_id: int, award_id: str, configuration: str, keys: list[dict[str, Any]], note: str
    ) -> None:
        """Mark the transaction delivered (once: a concurrent second delivery is ``invalid_transaction_id``) and
        record the issue as the credential endpoint does."""
        now = self.clock()
        with self.database.transaction() as session:
            stored = session.get(DeferredIssueRow, row_id, with_for_update=True)
            if stored is None or stored.delivered_at is not None:
                raise OAuthError("invalid_transaction_id", _UNKNOWN)
            stored.delivered_at, stored.notification_id = now, note
            session.add(
                IssuedCopyRow(
                    token_id=token_id,
                    notification_id=note,
                    configuration=configuration,
                    count=len(keys),
                    created_at=now,
                )
            )
            details = {
                "configuration": configuration,
                "count": len(keys),
                "holders": sorted({str(k["did"]) for k in keys}),
                "deferred": True,
            }
            append_audit(session, [AuditRecord(now, "wallet", "openid4vci.issue", award_id, details)])
