"""Issue an award as an SD-JWT VC of the EUDI Learning Credential type (``dc+sd-jwt``), for wallets.

:meth:`SdJwtVcService.issue` reads the award's Open Badges 3.0 credential, maps it to the Learning Credential's
claims (:func:`cairn.formats.sdjwt_vc.learning_claims`), makes every one of them selectively disclosable, and signs
it as the organisation: ``iss`` is its did:web, ``kid`` the DID URL of its P-256 key (ES256, the algorithm EUDI
wallets and HAIP require). An organisation whose current seal certificate certifies a P-256 key signs with that key
instead: ``kid`` is its DID URL (``#seal-...``, listed in the DID document) and ``x5c`` the certificate chain
(signing certificate first, no self-signed root), for verifiers that accept only X.509 issuer keys. ``iat`` is the
award's time, ``exp`` its end of validity if it has one, ``status`` the award's own revocation slot in a two-bit
IETF Status List Token that says revocation (INVALID) and suspension (SUSPENDED) both
(:meth:`cairn.services.issuing.status_lists.StatusListService.combined_token`): one revocation or suspension shows
in the Bitstring Status Lists and in the token alike. ``cnf.jwk`` binds the holder's key when the wallet gave one.

:meth:`SdJwtVcService.configuration` is the OpenID4VCI ``credential_configurations_supported`` entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from cairn.errors import ConflictError, CredentialError, InputError
from cairn.formats.sdjwt_vc import CLAIM_NAMES, VCT, learning_claims
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.seals import JwtSealKey
from cairn.services.issuing.service import IssuingService
from cairn.services.issuing.status_lists import COMBINED, StatusListService
from cairn.vc.keys import KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.proofs.jose import header_jwk
from cairn.vc.sdjwt import issue_sd_jwt
from cairn.vc.status import StatusEntry

__all__ = ["CONFIGURATION_ID", "SIGNING_ALG", "SdJwtVcService"]

CONFIGURATION_ID: Final = "learning_credential_dc_sd_jwt"
SIGNING_ALG: Final = "ES256"
PROOF_ALGS: Final = ("ES256", "ES384", "EdDSA")
"""Algorithms a wallet may sign its key proof (and later its KB-JWT) with: those Cairn verifies."""
DECOYS: Final = 3
_CLEAR: Final = frozenset({"iss", "iat", "exp", "vct", "status", "cnf", "jti"})


class SdJwtVcService:
    """SD-JWT VCs of awards, signed with the organisation's keys."""

    def __init__(
        self,
        *,
        issuing: IssuingService,
        keys: KeyService,
        status_lists: StatusListService,
        clock: Callable[[], datetime],
        seal_key: Callable[[str], JwtSealKey | None] | None = None,
    ) -> None:
        self.issuing = issuing
        self.keys = keys
        self.status_lists = status_lists
        self.clock = clock
        self.seal_key = seal_key

    def issue(self, award_id: str, *, holder_jwk: Mapping[str, Any] | None, organisation: str | None = None) -> str:
        """The award as a compact SD-JWT VC (``<JWT>~<Disclosure>~...~``), bound to ``holder_jwk`` (its ``cnf``)
        when given. NotFoundError for an unknown award (or another organisation's), InputError for a holder key
        that is not a public EC / OKP / RSA JWK, ConflictError for an award with no credential to map."""
        view = self.issuing.get(award_id, organisation=organisation)
        credential = _credential(view.credential)
        if not credential:
            raise ConflictError("this award has no credential to issue as an SD-JWT VC")
        claims: dict[str, Any] = {
            "iss": self.keys.did(view.organisation),
            "iat": int(view.issued_at.timestamp()),
            "vct": VCT,
        }
        if view.valid_until is not None:
            claims["exp"] = int(view.valid_until.timestamp())
        if isinstance(credential.get("id"), str):
            claims["jti"] = credential["id"]
        status = self._status(view.organisation, credential)
        if status is not None:
            claims["status"] = status
        if holder_jwk is not None:
            claims["cnf"] = {"jwk": _holder_key(holder_jwk)}
        claims.update(learning_claims(credential))
        disclosable = set(claims) - _CLEAR
        # made first in any case: it signs the Status List Token, whose key a verifier looks up in the same did.json
        signing = self.keys.ensure_key(view.organisation, suite="ecdsa-rdfc-2019", key_type=KeyType.P256.value)
        key, kid, x5c = signing.key, signing.verification_method, None
        sealed = self.seal_key(view.organisation) if self.seal_key is not None else None
        if sealed is not None:  # the seal certificate's P-256 key, listed in the DID document too
            key, kid, x5c = sealed.key, f"{claims['iss']}#{sealed.fragment}", sealed.x5c
        return issue_sd_jwt(
            claims,
            key=key,
            kid=kid,
            disclosable=disclosable,
            array_elements={"learning_outcomes"},
            decoys=DECOYS,
            extra_header={"x5c": x5c} if x5c else None,
        )

    def _status(self, slug: str, credential: Mapping[str, Any]) -> dict[str, Any] | None:
        """The award's revocation slot (the one its Bitstring Status List entry names) in the two-bit token that
        says revocation and suspension both (``.../status/combined/SEQ/token``), as a Token Status List reference.
        SD-JWT VCs issued before name ``.../status/revocation/SEQ/token`` (one bit), which is still served."""
        entries = credential.get("credentialStatus")
        for item in entries if isinstance(entries, list) else [entries]:
            if not isinstance(item, Mapping) or item.get("statusPurpose") != "revocation":
                continue
            try:
                entry = StatusEntry.from_dict(item)
            except CredentialError:
                continue
            prefix = self.status_lists.url(slug, "revocation", 0)[:-1]
            sequence = entry.list_credential.removeprefix(prefix)
            if entry.list_credential.startswith(prefix) and sequence.isdigit():
                uri = self.status_lists.token_url(slug, COMBINED, int(sequence))
                return {"status_list": {"idx": entry.index, "uri": uri}}
        return None

    def configuration(self) -> dict[str, Any]:
        """The OpenID4VCI ``credential_configurations_supported`` entry (keyed :data:`CONFIGURATION_ID`)."""
        claims = [
            {
                "path": [name],
                "display": [{"name": english, "locale": "en"}, {"name": polish, "locale": "pl"}],
            }
            for name, (english, polish) in CLAIM_NAMES.items()
        ]
        display = [
            {"name": "Learning Credential", "locale": "en", "description": "A micro-credential (EU Annex I)"},
            {"name": "Poświadczenie uczenia się", "locale": "pl", "description": "Mikropoświadczenie (załącznik I UE)"},
        ]
        return {
            "format": "dc+sd-jwt",
            "scope": CONFIGURATION_ID,
            "vct": VCT,
            "cryptographic_binding_methods_supported": ["jwk"],
            "credential_signing_alg_values_supported": [SIGNING_ALG],
            "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
            "credential_metadata": {"display": display, "claims": claims},
        }


def _holder_key(jwk: Mapping[str, Any]) -> dict[str, Any]:
    try:
        key = header_jwk({"jwk": dict(jwk)})
    except (CredentialError, TypeError, ValueError) as exc:
        raise InputError(f"the holder key is not a public JWK: {str(exc)[:120]}") from None
    assert key is not None
    return key.to_jwk()


def _credential(stored: Mapping[str, Any] | str) -> dict[str, Any]:
    """The award's credential: as stored, or the payload of its JWT (its ``vc`` claim in the Open Badges form)."""
    if isinstance(stored, Mapping):
        return dict(stored)
    try:
        payload = json.loads(b64url_decode(stored.split(".")[1]))
    except (CredentialError, IndexError, ValueError):
        return {}
    inner = payload.get("vc") if isinstance(payload, dict) else None
    return dict(inner) if isinstance(inner, dict) else payload if isinstance(payload, dict) else {}
