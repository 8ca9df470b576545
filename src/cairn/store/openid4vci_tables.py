"""The tables of OpenID for Verifiable Credential Issuance: a learner's credential offers, the access tokens wallets
redeem them for, the credentials issued with each token, the deferred transactions waiting for an award, the
nonces used up, and the authorisation requests and codes of the authorization code flow.

Every secret (the offer's handle, its pre-authorised code, its transaction code, an access token) is kept only as
its SHA-256 (the transaction code with the pre-authorised code, so six digits cannot be tried offline)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cairn.store.base import Base, BigId, UtcDateTime

__all__ = [
    "AuthorizationRow",
    "CredentialOfferRow",
    "DeferredIssueRow",
    "IssuedCopyRow",
    "OfferTokenRow",
    "UsedNonceRow",
]


class CredentialOfferRow(Base):
    """One credential offer of an award, made by the account whose wallet holds it. ``handle_hash``: the SHA-256
    of the offer's address (``credential_offer_uri``); ``code_hash``: of the pre-authorised code; ``tx_code_hash``:
    of the code and the transaction code; ``configurations``: the offered configuration ids, space-separated.
    ``redeemed_at``: when a wallet got an access token for it (once); ``dead_at``: when too many wrong
    transaction codes ended it.

    An offer at enrolment (:mod:`cairn.services.openid4vci.enrolment`) is made by an organisation's API token before
    the award exists: no ``award_id`` and no ``account_id``, but the ``organisation_id``, the ``definition_id`` and
    the learner as the award will name them (``recipient_key``, the keyed hash awards are found by, and
    ``recipient_did``). Its credentials are deferred until such an award exists, at most until ``defer_until``;
    ``withdrawn_at``: when the organisation withdrew it."""

    __tablename__ = "credential_offers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    handle_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    tx_code_hash: Mapped[str] = mapped_column(String(64))
    tx_tries: Mapped[int] = mapped_column(Integer, default=0)
    configurations: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    redeemed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"), index=True)
    recipient_key: Mapped[str | None] = mapped_column(String(128))
    recipient_did: Mapped[str | None] = mapped_column(String(2000))
    defer_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OfferTokenRow(Base):
    """An access token a wallet got for an offer (only its SHA-256), good until ``expires_at`` for at most a few
    credentials (``issued`` counts them). ``deferred_until``: set when a credential of it was deferred; until
    then the token still works at the deferred and notification endpoints (only)."""

    __tablename__ = "credential_offer_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("credential_offers.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issued: Mapped[int] = mapped_column(Integer, default=0)
    deferred_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DeferredIssueRow(Base):
    """A deferred issuance transaction: a credential request of an offer at enrolment made before its award.
    ``transaction_hash``: the SHA-256 of the ``transaction_id`` the wallet got; ``configuration`` asked for;
    ``holders``: ``{"keys": [{"jwk": ..., "did": ...}, ...]}``, the keys of the verified key proofs (one credential
    each); ``draft13``: answered in draft 13's shapes. ``delivered_at`` and ``notification_id`` once the credentials
    were delivered (once)."""

    __tablename__ = "credential_deferred"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("credential_offer_tokens.id", ondelete="CASCADE"), index=True)
    transaction_hash: Mapped[str] = mapped_column(String(64), unique=True)
    configuration: Mapped[str] = mapped_column(String(100))
    holders: Mapped[dict[str, Any]]
    draft13: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    notification_id: Mapped[str | None] = mapped_column(String(64))


class IssuedCopyRow(Base):
    """Credentials issued in one answer of the credential endpoint: the award's copies bound to the wallet's keys.
    ``notification_id`` is what the wallet names them by at the notification endpoint; ``event`` the last it
    said (``credential_accepted``, ``credential_failure``, ``credential_deleted``)."""

    __tablename__ = "credential_offer_issued"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("credential_offer_tokens.id", ondelete="CASCADE"), index=True)
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    configuration: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    event: Mapped[str | None] = mapped_column(String(40))
    event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class UsedNonceRow(Base):
    """A ``c_nonce`` a key proof used (its SHA-256), kept until it would have expired anyway: one use each."""

    __tablename__ = "credential_nonces_used"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class AuthorizationRow(Base):
    """One authorisation request of the authorization code flow, from its pushed request (RFC 9126) to its code.

    A wallet (a public client, not registered) pushes ``client_id``, ``redirect_uri``, ``state``, the PKCE
    ``code_challenge`` (S256) and what it asks for (``configurations``, space-separated; ``details``: whether it
    asked by ``authorization_details`` rather than ``scope``); it gets a ``request_uri`` (only its SHA-256 is
    kept, good until ``expires_at``). When the signed-in learner decides (``decided_at``, ``account_id``), a
    denial sets ``denied``; an allowance makes a credential offer of the chosen award (``offer_id``: an offer with
    no usable handle or pre-authorised code, which the access token is bound to as in the pre-authorised flow) and
    an authorisation code (``code_hash``, good until ``code_expires_at``, used once: ``code_used_at``)."""

    __tablename__ = "credential_authorizations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_uri_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(200))
    redirect_uri: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str | None] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    configurations: Mapped[str] = mapped_column(String(500))
    details: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    denied: Mapped[bool] = mapped_column(Boolean, default=False)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("credential_offers.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    code_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
