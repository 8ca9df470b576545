"""The orjson fast paths (JCS verification, JWT payloads) agree with the exact ones, or step aside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cairn.errors import CredentialError
from cairn.vc.dids import did_key
from cairn.vc.issuance import default_verification_method
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.data_integrity import add_proof, key_resolver, verify_proofs
from cairn.vc.proofs.jose import kid_resolver, sign_jwt, verify_jwt
from cairn.vc.proofs.suites import fast_jcs, optimistic_jcs

ED = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
P256 = KeyPair.from_secret(KeyType.P256, bytes(range(1, 33)))


def document(value: Any) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": did_key(ED.public),
        "credentialSubject": {"id": "did:example:1", "value": value, "żółw": "Łódź"},
    }


@pytest.mark.parametrize(
    "value",
    [1, 1.0, 2.5, 1e21, None, True, "ä\u2028\x1f", ["b", "a"], {"z": 1, "a": 2, "\U0001f600": 3, "\ufb01": 4}],
    ids=repr,
)
@pytest.mark.parametrize("key", [ED, P256], ids=["eddsa", "ecdsa"])
def test_jcs_proofs_verify_whatever_the_fast_path_thinks(value: Any, key: KeyPair) -> None:
    suite = "eddsa-jcs-2022" if key is ED else "ecdsa-jcs-2019"
    doc = document(value)
    doc["issuer"] = did_key(key.public)
    signed = add_proof(
        doc,
        key=key,
        verification_method=default_verification_method(key),
        cryptosuite=suite,
        created="2026-01-01T00:00:00Z",
    )
    assert all(c.ok for c in verify_proofs(signed, resolve_key=key_resolver()))
    signed["credentialSubject"]["value"] = "changed"
    assert not any(c.ok for c in verify_proofs(signed, resolve_key=key_resolver()))


def test_the_fast_serialisation_matches_jcs_where_it_is_used() -> None:
    plain = document("x")
    assert optimistic_jcs(plain) == fast_jcs(plain)
    assert optimistic_jcs(document(None)) is None
    assert optimistic_jcs({"x": float("nan")}) is None
    assert optimistic_jcs({"x": datetime(2020, 1, 1, tzinfo=UTC)}) is None
    assert optimistic_jcs({"x": "\ud800"}) is None
    assert optimistic_jcs({1: "non-string key"}) is None


def test_jwt_payloads_with_null_and_unicode_round_trip() -> None:
    payload = {"a": None, "b": "Łódź \u2028", "c": [1.5, 2]}
    token = sign_jwt(payload, key=ED, kid=default_verification_method(ED))
    result = verify_jwt(token, resolve_key=kid_resolver())
    assert result.ok
    assert result.payload == payload
    with pytest.raises(CredentialError):
        sign_jwt({"x": float("inf")}, key=ED, kid=None)
