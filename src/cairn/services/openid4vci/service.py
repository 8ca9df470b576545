"""OpenID for Verifiable Credential Issuance (1.0, with draft 13 wallets understood): a learner puts an award of
their Cairn wallet into another wallet (EUDI, Lissi, Sphereon, the DCC Learner Credential Wallet, ...).

The pre-authorised code flow:

1. :meth:`OpenID4VCIService.make_offer`: the signed-in owner of a claimed award (a wallet credential that came
   through its claim link, about them) makes an offer (or, :meth:`make_claim_offer`, a learner without an account
   from the award's claim link, the claim token their proof): a random handle (the offer's address,
   ``{public_url}/openid4vci/offers/{handle}``, given to the wallet as ``openid-credential-offer://?
   credential_offer_uri=...`` in a link and a QR code), a pre-authorised code derived from the handle, and a
   six-digit transaction code shown beside it, never in the link. Each is stored only as its SHA-256 (the
   transaction code together with the pre-authorised code); the offer lives :data:`OFFER_LIFETIME`.
2. :meth:`offer_document`: the offer JSON its address answers while it is open.
3. :meth:`token`: the token endpoint. The right code and transaction code give one access token (random, stored
   hashed, :data:`TOKEN_LIFETIME`, bound to the offer) once; a wrong transaction code counts, and after
   :data:`MAX_TX_TRIES` the offer is dead.
4. :meth:`nonce` and the credential endpoint (:mod:`cairn.services.openid4vci.issuance`).

Nothing secret is logged or audited: the audit log records the offer (award, configurations), the token being
granted, the credentials issued (configuration, count, the holders' DIDs) and the wallet's notifications.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cairn.errors import ConflictError, NotFoundError, TooManyAttemptsError
from cairn.services.issuing.claims import claim_link_expired
from cairn.services.issuing.claims import token_hash as claim_token_hash
from cairn.services.openid4vci.formats import FormatRegistry
from cairn.services.openid4vci.protocol import (
    NONCE_LIFETIME,
    PRE_AUTHORIZED_GRANT,
    NonceMaker,
    OAuthError,
    digest,
    matches,
)
from cairn.services.wallet.service import WalletService
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, AwardRepository, append_audit
from cairn.store.limits import RateLimitRepository
from cairn.store.tables import AwardRow, CredentialOfferRow, OfferTokenRow
from cairn.store.wallet.repository import WalletRepository
from cairn.vc.multibase import b64url_encode

__all__ = [
    "MAX_CODE",
    "MAX_OFFERS_PER_HOUR",
    "MAX_TX_TRIES",
    "OFFER_LIFETIME",
    "TOKEN_LIFETIME",
    "TX_CODE_LENGTH",
    "MadeOffer",
    "OpenID4VCIService",
    "audit_subject",
]

OFFER_LIFETIME: Final = timedelta(minutes=10)
"""How long an offer can be redeemed (a pre-authorised code is short-lived)."""
TOKEN_LIFETIME: Final = timedelta(minutes=10)
"""How long an access token works."""
MAX_TX_TRIES: Final = 5
"""Wrong transaction codes an offer takes; the last one ends it."""
TX_CODE_LENGTH: Final = 6
MAX_OFFERS_PER_HOUR: Final = 30
"""Offers one account may make in an hour (and one claim link, from the claim page)."""
MAX_CODE: Final = 200
"""Longest code or token read from a request (characters): Cairn's are 43."""


def audit_subject(offer: CredentialOfferRow) -> str:
    """What the audit log names an offer's entries by: its award, or (an offer at enrolment, before the award)
    the offer."""
    return offer.award_id or f"openid4vci-offer:{offer.id}"


@dataclass(frozen=True, slots=True)
class MadeOffer:
    """An offer as its page shows it, once: the link for a wallet, the address of its JSON, the transaction code."""

    award_id: str
    link: str
    """``openid-credential-offer://?credential_offer_uri=...``: what the QR code holds."""
    offer_uri: str
    tx_code: str
    expires_at: datetime
    configurations: tuple[str, ...]


class OpenID4VCIService:
    """Credential offers, the token endpoint and the nonce endpoint over one database (the credential endpoint is
    :class:`cairn.services.openid4vci.issuance.CredentialEndpoint`, which takes this service)."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        wallet: WalletService,
        formats: FormatRegistry,
        secret: Callable[[], bytes],
        public_url: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.wallet = wallet
        self.formats = formats
        self._secret = secret
        self.public_url = public_url.rstrip("/")
        self.nonces = NonceMaker(key=lambda: self._derived(b"c_nonce"), clock=clock)

    @property
    def issuer(self) -> str:
        """The credential issuer identifier (and authorisation server): the instance's public URL."""
        return self.public_url

    def _derived(self, purpose: bytes) -> bytes:
        return hmac.new(self._secret(), b"cairn openid4vci " + purpose, hashlib.sha256).digest()

    def _code_of(self, handle: str) -> str:
        """The pre-authorised code of the offer whose handle is ``handle`` (so only hashes need storing)."""
        return b64url_encode(hmac.new(self._derived(b"code"), handle.encode("ascii"), hashlib.sha256).digest())

    def offer_uri(self, handle: str) -> str:
        """Where the offer's JSON is answered."""
        return f"{self.public_url}/openid4vci/offers/{handle}"

    def new_secrets(self) -> tuple[str, str, str]:
        """A new offer's handle, its pre-authorised code and a transaction code."""
        handle = secrets.token_urlsafe(32)
        return handle, self._code_of(handle), f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"

    def link(self, handle: str) -> str:
        """The ``openid-credential-offer://`` link of the offer whose handle is ``handle``."""
        return "openid-credential-offer://?credential_offer_uri=" + quote(self.offer_uri(handle), safe="")

    # -- offers -------------------------------------------------------------------------------------

    def offerable(self, account_id: int, credential_id: str) -> str:
        """The award id of the wallet credential ``credential_id`` when its account may offer it: it is in their
        wallet (else NotFoundError), came through this instance's claim link by this account, is about them, and
        is not revoked or suspended (else ConflictError)."""
        item = self.wallet.get(account_id, credential_id)
        if item.award_id is None:
            raise ConflictError("only a credential awarded on this instance can be sent to another wallet from here")
        if item.about_someone_else:
            raise ConflictError("this credential names a different person, so it cannot be sent to another wallet")
        with self.database.transaction(read_only=True) as session:
            if WalletRepository(session).claimed_by_account(item.award_id) != account_id:
                raise NotFoundError("no such credential in your wallet")
            award = session.get(AwardRow, item.award_id)
            if award is None:
                raise NotFoundError("no such credential in your wallet")
            if award.revoked_at is not None or award.suspended:
                raise ConflictError("a revoked or suspended credential cannot be sent to another wallet")
        return item.award_id

    def make_offer(
        self, account_id: int, credential_id: str, *, configurations: tuple[str, ...] | None = None
    ) -> MadeOffer:
        """Make a credential offer of the award behind ``credential_id`` (see :meth:`offerable`)."""
        award_id = self.offerable(account_id, credential_id)
        return self._offer(award_id, account_id=account_id, configurations=configurations)

    def claim_offerable(self, claim_token: str) -> str:
        """The award id a claim link names when it may be offered from the claim page: the link is known, not
        past its lifetime and not replaced, and the award not claimed into a Cairn wallet yet (else NotFoundError,
        as the claim link's downloads answer), and not revoked or suspended (else ConflictError). The claim token
        is the learner's proof of holding the award, as it is for claiming it."""
        if not claim_token or len(claim_token) > MAX_CODE:
            raise NotFoundError("this claim link is not valid: check that you copied all of it")
        with self.database.transaction(read_only=True) as session:
            award = AwardRepository(session).by_claim_hash(claim_token_hash(claim_token))
            if award is None or claim_link_expired(award, self.clock()):
                raise NotFoundError("this claim link is not valid: check that you copied all of it")
            if award.claimed_at is not None:
                raise NotFoundError("this credential has been claimed into a wallet: download it from there")
            if award.revoked_at is not None or award.suspended:
                raise ConflictError("a revoked or suspended credential cannot be sent to another wallet")
            return award.id

    def make_claim_offer(self, claim_token: str, *, configurations: tuple[str, ...] | None = None) -> MadeOffer:
        """Make a credential offer of the award a claim link names, for a learner without a Cairn account (see
        :meth:`claim_offerable`): the offer has the award and no account, and at most :data:`MAX_OFFERS_PER_HOUR`
        such offers of one award are made in an hour (one claim link names one award)."""
        award_id = self.claim_offerable(claim_token)
        return self._offer(award_id, account_id=None, configurations=configurations)

    def _offer(self, award_id: str, *, account_id: int | None, configurations: tuple[str, ...] | None) -> MadeOffer:
        """Make an offer of ``award_id``, by ``account_id`` from its wallet or (None) from the award's claim link,
        counted against that account's, or that claim link's, offers of the last hour."""
        offered = tuple(c for c in (configurations or tuple(self.formats.ids())) if self.formats.get(c))
        if not offered:
            raise ConflictError("this instance offers no credential format")
        handle, code, tx_code = self.new_secrets()
        now = self.clock()
        expires = now + OFFER_LIFETIME
        by = (
            CredentialOfferRow.account_id == account_id
            if account_id is not None
            else and_(
                CredentialOfferRow.award_id == award_id,
                CredentialOfferRow.account_id.is_(None),
                CredentialOfferRow.organisation_id.is_(None),
            )
        )
        with self.database.transaction() as session:
            # one count-then-add at a time per account (or claim link), in every process: else N app processes
            # could each see one offer left and all make it
            RateLimitRepository(session).lock(
                f"credential offers\n{account_id}\n{award_id if account_id is None else ''}"
            )
            recent = session.scalar(
                select(func.count())
                .select_from(CredentialOfferRow)
                .where(by, CredentialOfferRow.created_at > now - timedelta(hours=1))
            )
            if int(recent or 0) >= MAX_OFFERS_PER_HOUR:
                raise TooManyAttemptsError(3600)
            session.add(
                CredentialOfferRow(
                    award_id=award_id,
                    account_id=account_id,
                    handle_hash=digest(handle),
                    code_hash=digest(code),
                    tx_code_hash=digest(code, tx_code),
                    tx_tries=0,
                    configurations=" ".join(offered),
                    created_at=now,
                    expires_at=expires,
                )
            )
            details = {"configurations": list(offered), "expires_at": expires.isoformat()}
            actor = f"account:{account_id}" if account_id is not None else "claim-link"  # never the claim token
            append_audit(session, [AuditRecord(now, actor, "openid4vci.offer", award_id, details)])
        return MadeOffer(award_id, self.link(handle), self.offer_uri(handle), tx_code, expires, offered)

    def _open_offer(self, session: Session, row: CredentialOfferRow | None) -> CredentialOfferRow | None:
        if row is None or row.redeemed_at is not None or row.dead_at is not None or row.withdrawn_at is not None:
            return None
        return row if self.clock() < row.expires_at else None

    def offer_document(self, handle: str) -> dict[str, Any]:
        """The credential offer JSON at the offer's address (NotFoundError once it is redeemed, dead or expired)."""
        if not handle or len(handle) > MAX_CODE or not handle.isascii():
            raise NotFoundError("there is no such credential offer, or it has expired")
        with self.database.transaction(read_only=True) as session:
            row = session.scalar(select(CredentialOfferRow).where(CredentialOfferRow.handle_hash == digest(handle)))
            row = self._open_offer(session, row)
            if row is None:
                raise NotFoundError("there is no such credential offer, or it has expired")
            configurations = row.configurations.split()
            if row.award_id is None:  # an offer at enrolment
                described = "The code given to you with this offer"
            elif row.account_id is None:  # made from the claim page
                described = "The code shown beside the QR code on your claim page"
            else:
                described = "The code shown beside the QR code in your Cairn wallet"
        return {
            "credential_issuer": self.issuer,
            "credential_configuration_ids": configurations,
            "grants": {
                PRE_AUTHORIZED_GRANT: {
                    "pre-authorized_code": self._code_of(handle),
                    "tx_code": {
                        "input_mode": "numeric",
                        "length": TX_CODE_LENGTH,
                        "description": described,
                    },
                }
            },
        }

    # -- the token endpoint -------------------------------------------------------------------------

    def token(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a token request (its form fields): an access token for a pre-authorised code and its
        transaction code, or an :class:`OAuthError` (``unsupported_grant_type``, ``invalid_request``,
        ``invalid_grant``)."""
        grant = form.get("grant_type", "")
        if grant != PRE_AUTHORIZED_GRANT:
            raise OAuthError(
                "unsupported_grant_type", "the grants supported are pre-authorized_code and authorization_code"
            )
        code = form.get("pre-authorized_code", "")
        tx_code = form.get("tx_code", "")
        if not code or len(code) > MAX_CODE or not code.isascii():
            raise OAuthError("invalid_request", "pre-authorized_code is missing")
        if len(tx_code) > MAX_CODE or not tx_code.isascii():
            raise OAuthError("invalid_grant", "the pre-authorized code or the transaction code is not valid")
        now = self.clock()
        refusal: OAuthError | None = None
        access_token = secrets.token_urlsafe(32)
        with self.database.transaction() as session:
            row = session.scalar(
                select(CredentialOfferRow).where(CredentialOfferRow.code_hash == digest(code)).with_for_update()
            )
            row = self._open_offer(session, row)
            if row is None:
                raise OAuthError("invalid_grant", "the pre-authorized code is not valid, used or expired")
            if not tx_code:
                raise OAuthError("invalid_request", "this offer needs its transaction code (tx_code)")
            if not matches(row.tx_code_hash, code, tx_code):
                row.tx_tries += 1
                details: dict[str, Any] = {"tries": row.tx_tries}
                if row.tx_tries >= MAX_TX_TRIES:
                    row.dead_at = now
                    details["ended"] = True
                append_audit(
                    session, [AuditRecord(now, "wallet", "openid4vci.tx_code_wrong", audit_subject(row), details)]
                )
                refusal = OAuthError("invalid_grant", "the pre-authorized code or the transaction code is not valid")
            else:
                row.redeemed_at = now
                token = OfferTokenRow(
                    offer_id=row.id,
                    token_hash=digest(access_token),
                    created_at=now,
                    expires_at=now + TOKEN_LIFETIME,
                    issued=0,
                )
                session.add(token)
                configurations = row.configurations.split()
                append_audit(session, [AuditRecord(now, "wallet", "openid4vci.token", audit_subject(row), {})])
        if refusal is not None:
            raise refusal  # after the commit: the wrong try stays counted
        return self.token_answer(access_token, configurations if "authorization_details" in form else None)

    def token_answer(self, access_token: str, configurations: list[str] | None) -> dict[str, Any]:
        """The token endpoint's answer for a new access token (of either grant): with ``authorization_details``
        naming each configuration as its ``credential_identifiers`` when ``configurations`` is given (the wallet
        asked with ``authorization_details``)."""
        answer: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": int(TOKEN_LIFETIME.total_seconds()),
            # draft 13 wallets take their first c_nonce from here; 1.0 wallets ask the nonce endpoint
            "c_nonce": self.nonces.make(),
            "c_nonce_expires_in": int(NONCE_LIFETIME.total_seconds()),
        }
        if configurations is not None:
            answer["authorization_details"] = [
                {"type": "openid_credential", "credential_configuration_id": c, "credential_identifiers": [c]}
                for c in configurations
            ]
        return answer

    def nonce(self) -> dict[str, str]:
        """The nonce endpoint's answer: a fresh ``c_nonce``."""
        return {"c_nonce": self.nonces.make()}

    def access(self, access_token: str | None, *, deferred: bool = False) -> tuple[OfferTokenRow, CredentialOfferRow]:
        """The token row and offer of a bearer access token still in force, else ``invalid_token`` (401).

        ``deferred``: for the deferred and notification endpoints, where a token that deferred a credential works
        until its ``deferred_until`` (the wallet comes back for the credential long after 10 minutes)."""
        if not access_token or len(access_token) > MAX_CODE or not access_token.isascii():
            raise OAuthError("invalid_token", "an access token is needed: Authorization: Bearer ...", status=401)
        with self.database.transaction(read_only=True) as session:
            token = session.scalar(select(OfferTokenRow).where(OfferTokenRow.token_hash == digest(access_token)))
            now = self.clock()
            longer = token is not None and deferred and token.deferred_until is not None and now < token.deferred_until
            if token is None or (now >= token.expires_at and not longer):
                raise OAuthError("invalid_token", "the access token is not valid or has expired", status=401)
            offer = session.get(CredentialOfferRow, token.offer_id)
            if offer is None:
                raise OAuthError("invalid_token", "the access token is not valid or has expired", status=401)
            session.expunge(token)
            session.expunge(offer)
            return token, offer
