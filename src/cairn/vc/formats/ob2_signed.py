"""Signed Open Badges 2.0 assertions: the compact JWS, its key document and the issuer's key policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from cairn.errors import CredentialError
from cairn.vc.formats.ob2_documents import (
    _MIN_RSA_BITS,
    _node_id,
    _Session,
    _short_type,
    _types,
)
from cairn.vc.report import Outcome

__all__: list[str] = []


def _load_pem(key_doc: Mapping[str, Any], creator: str) -> Any:
    types = {_short_type(t) for t in _types(key_doc.get("type"))}
    if types and "CryptographicKey" not in types:
        raise CredentialError(f"the document at {creator[:200]} is not a CryptographicKey")
    if key_doc.get("id") not in (None, creator):
        raise CredentialError(f"the key document's id is not {creator[:200]}")
    pem = key_doc.get("publicKeyPem")
    if not isinstance(pem, str) or len(pem) > 20000:
        raise CredentialError("the key document has no publicKeyPem")
    try:
        return serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise CredentialError("the key's publicKeyPem is not a readable public key") from None


def _check_jws(key_doc: Mapping[str, Any], creator: str, alg: str, message: bytes, signature: bytes) -> str | None:
    try:
        key = _load_pem(key_doc, creator)
    except CredentialError as exc:
        return exc.message
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if alg != "RS256":
                return f"alg {alg[:20]!r} does not fit an RSA key (RS256 expected)"
            if key.key_size < _MIN_RSA_BITS:
                return f"the RSA key has {key.key_size} bits; at least {_MIN_RSA_BITS} are required"
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
            if alg != "ES256":
                return f"alg {alg[:20]!r} does not fit a P-256 key (ES256 expected)"
            if len(signature) != 64:
                return "an ES256 signature is 64 bytes"
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            key.verify(der, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            if alg not in ("EdDSA", "Ed25519"):
                return f"alg {alg[:20]!r} does not fit an Ed25519 key (EdDSA expected)"
            key.verify(signature, message)
        else:
            return "the key type is not supported (RSA, P-256 or Ed25519)"
    except InvalidSignature:
        return "the JWS signature does not verify: the assertion was altered or signed with another key"
    return None


def _signed_policy(session: _Session, profile: Mapping[str, Any]) -> None:
    report = session.report
    creator, owner = session.key_id, session.key_owner
    if owner != profile["id"]:
        report.add(
            "issuer-key",
            Outcome.FAIL,
            f"the signing key belongs to {str(owner)[:200]!r}, not to the issuer {profile['id'][:200]}",
        )
        return
    keys = profile.get("publicKey")
    listed = [_node_id(k) for k in (keys if isinstance(keys, list) else [keys])]
    if creator not in listed:
        report.add("issuer-key", Outcome.FAIL, "the issuer profile does not list the signing key in its publicKey")
        return
    report.add("issuer-key", Outcome.PASS, f"the signing key belongs to the issuer {profile['id'][:200]}")
