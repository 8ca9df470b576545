"""One issue for every way Cairn secures a credential: the Data Integrity cryptosuites and VC-JWT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from cairn.errors import CredentialError
from cairn.vc.dids import did_key
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import sign_ob3_jwt, sign_vc_jwt

__all__ = ["DATA_INTEGRITY_SUITES", "DEFAULT_MANDATORY_POINTERS", "SUITES", "default_verification_method", "issue"]

DATA_INTEGRITY_SUITES: Final = (
    "eddsa-rdfc-2022",
    "eddsa-jcs-2022",
    "ecdsa-rdfc-2019",
    "ecdsa-jcs-2019",
    "ecdsa-sd-2023",
)
SUITES: Final = (*DATA_INTEGRITY_SUITES, "jwt", "ob3-jwt")
"""What :func:`issue` can produce: a Data Integrity proof, a VC-JOSE ``vc+jwt``, or an Open Badges 3.0 VC-JWT."""
DEFAULT_MANDATORY_POINTERS: Final = ("/issuer", "/validFrom", "/validUntil", "/credentialStatus")
"""What an ecdsa-sd-2023 credential always discloses unless the caller names its own pointers (those present):
who issued it, when it is valid, and where its status is, so a holder cannot hide a revocation."""


def default_verification_method(key: KeyPair) -> str:
    """The did:key verification method of ``key`` (``did:key:z...#z...``)."""
    did = did_key(key.public)
    return f"{did}#{did.removeprefix('did:key:')}"


def issue(
    credential: Mapping[str, Any],
    *,
    key: KeyPair,
    suite: str,
    created: datetime | str | None = None,
    verification_method: str | None = None,
    loader: DocumentLoader | None = None,
    mandatory_pointers: Sequence[str] | None = None,
) -> dict[str, Any] | str:
    """Secure ``credential`` with ``key``: a signed copy (Data Integrity suites) or a compact JWT.

    ``created`` (the proof's time) is required for Data Integrity: this library has no clock.
    ``verification_method`` defaults to the key's did:key; for an issuer with a did:web, pass its own.
    ``mandatory_pointers`` (ecdsa-sd-2023 only) name what every derived credential discloses; without
    them, :data:`DEFAULT_MANDATORY_POINTERS` that the credential has.
    """
    method = verification_method or default_verification_method(key)
    if suite == "jwt":
        return sign_vc_jwt(credential, key=key, kid=method)
    if suite == "ob3-jwt":
        return sign_ob3_jwt(credential, key=key, kid=method)
    if suite not in DATA_INTEGRITY_SUITES:
        raise CredentialError(f"unknown suite {suite!r}; use one of: {', '.join(SUITES)}")
    expected: tuple[KeyType, ...]
    if suite.startswith("eddsa"):
        expected, wanted = (KeyType.ED25519,), "an Ed25519"
    elif suite == "ecdsa-sd-2023":
        expected, wanted = (KeyType.P256,), "a P-256"
    else:
        expected, wanted = (KeyType.P256, KeyType.P384), "a P-256 or P-384"
    if key.kind not in expected:
        raise CredentialError(f"{suite} needs {wanted} key, not {key.kind.value}")
    if created is None:
        raise CredentialError("a Data Integrity proof needs its creation time (created)")
    from cairn.vc.proofs.data_integrity import add_proof

    if suite == "ecdsa-sd-2023" and mandatory_pointers is None:
        mandatory_pointers = [p for p in DEFAULT_MANDATORY_POINTERS if p[1:] in credential]
    elif suite != "ecdsa-sd-2023" and mandatory_pointers:
        raise CredentialError("mandatory pointers belong to ecdsa-sd-2023 proofs")
    return add_proof(
        credential,
        key=key,
        verification_method=method,
        cryptosuite=suite,
        created=created,
        loader=loader,
        mandatory_pointers=mandatory_pointers,
    )
