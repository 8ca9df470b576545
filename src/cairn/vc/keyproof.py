"""Key proofs of OpenID for Verifiable Credential Issuance: a wallet shows it holds the key a credential is bound to.

A ``jwt`` key proof (OpenID4VCI 1.0, appendix F.1; the same in draft 13) is a compact JWS whose header has ``typ``
``openid4vci-proof+jwt``, an asymmetric ``alg`` and the key, either as a ``jwk`` (a public JWK) or as a ``kid``
that is a ``did:key`` DID URL; its payload has ``aud`` (the credential issuer's identifier), ``iat`` (when it
was made) and ``nonce`` (a ``c_nonce`` the issuer gave). :func:`verify_key_proof` checks all of it but the nonce
(whether a nonce is valid and unused is the issuer's state, not this library's) and answers the key and the
holder's DID: the ``did:key`` of the key, however the wallet named it, so every verifier reads it offline.

Only did:key is read from a ``kid``: nothing is fetched for a key proof. ``x5c``, ``trust_chain`` and
``key_attestation`` headers are refused. Pure: no clock (pass ``now``), no network.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc.dids import did_key, public_key_from_did_key
from cairn.vc.keys import PublicKey
from cairn.vc.proofs.jose import JwsKey, header_jwk, verify_jwt

__all__ = ["PROOF_ALGS", "PROOF_TYPE", "KeyProof", "verify_key_proof"]

PROOF_TYPE: Final = "openid4vci-proof+jwt"
"""The ``typ`` of a JWT key proof."""
PROOF_ALGS: Final = ("EdDSA", "ES256", "ES384")
"""The algorithms a key proof may be signed with: those of the keys a did:key holds (no RSA, no HMAC, no none)."""
MAX_PROOF_LENGTH: Final = 8192
"""Longest key proof read (characters): a header with a JWK and three short claims fit in far less."""
_REFUSED_HEADERS: Final = ("x5c", "x5u", "jku", "trust_chain", "key_attestation")


@dataclass(frozen=True, slots=True)
class KeyProof:
    """The outcome of checking one key proof: ``ok``, else ``reason``; the key, its did:key and the nonce."""

    ok: bool
    reason: str | None = None
    key: PublicKey | None = None
    holder: str | None = None
    """The did:key of the proof's key: the credential subject's ``id`` in a credential bound to it."""
    nonce: str | None = None


def _refused(reason: str) -> KeyProof:
    return KeyProof(False, reason)


def _resolve(header: Mapping[str, Any]) -> JwsKey:
    if any(name in header for name in _REFUSED_HEADERS):
        raise CredentialError("the key proof names its key in a way this issuer does not read (x5c, jku, ...)")
    kid, jwk = header.get("kid"), header.get("jwk")
    if (kid is None) == (jwk is None):
        raise CredentialError("a key proof names its key by exactly one of kid (a did:key) and jwk")
    if jwk is not None:
        key = header_jwk(header)
        if not isinstance(key, PublicKey):
            raise CredentialError("the jwk is not an Ed25519, P-256 or P-384 key")
        return key
    if not isinstance(kid, str) or not kid.startswith("did:key:"):
        raise CredentialError("a key proof's kid must be a did:key DID URL (no other DID is resolved)")
    return public_key_from_did_key(kid)


def verify_key_proof(
    token: object,
    *,
    audience: str,
    now: float,
    max_age: float = 300,
    leeway: float = 60,
    algs: Collection[str] = PROOF_ALGS,
) -> KeyProof:
    """Check a ``jwt`` key proof for the credential issuer ``audience`` at ``now`` (seconds since the epoch).

    ``iat`` must be at most ``max_age`` seconds old and at most ``leeway`` seconds ahead; ``exp``/``nbf``, when
    present, must hold. The nonce is read and returned, never judged here."""
    if not isinstance(token, str) or not token:
        return _refused("the key proof is not a JWT")
    if len(token) > MAX_PROOF_LENGTH:
        return _refused(f"the key proof is longer than {MAX_PROOF_LENGTH} characters")
    result = verify_jwt(token, resolve_key=_resolve, typ=PROOF_TYPE, now=now, leeway=leeway)
    if not result.ok or result.header is None or result.payload is None:
        return _refused(f"the key proof does not verify: {result.reason}")
    if result.header.get("alg") not in algs:
        return _refused(f"the key proof's alg is not one of {', '.join(algs)}")
    key = result.key
    assert isinstance(key, PublicKey)  # _resolve gives no other
    payload = result.payload
    aud = payload.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        return _refused("the key proof is for another credential issuer (aud)")
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return _refused("the key proof has no iat")
    if iat > now + leeway:
        return _refused("the key proof was made in the future (iat)")
    if iat < now - max_age:
        return _refused("the key proof is too old (iat)")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        return KeyProof(False, "the key proof has no nonce", key, did_key(key))
    return KeyProof(True, None, key, did_key(key), nonce[:200])
