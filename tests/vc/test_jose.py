"""VC-JOSE (vc+jwt) and OB 3.0 VC-JWT: signing, verification, and hostile tokens as results."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cairn.errors import CredentialError, DidResolutionError
from cairn.vc.dids import VerificationMethod, did_key, did_web_document
from cairn.vc.fetch import DictFetcher
from cairn.vc.keys import KeyPair, PublicKey
from cairn.vc.proofs.jose import (
    JwtResult,
    kid_resolver,
    ob3_claims,
    sign_jwt,
    sign_ob3_jwt,
    sign_vc_jwt,
    verify_jwt,
    verify_ob3_jwt,
    verify_vc_jwt,
)

ED = KeyPair.from_secret("Ed25519", bytes(range(32)))
P256 = KeyPair.from_secret("P-256", bytes(range(1, 33)))
ED_KID = f"{did_key(ED.public)}#{ED.public_multibase}"
P256_KID = f"{did_key(P256.public)}#{P256.public_multibase}"
VALID_FROM = 1_700_000_000  # 2023-11-14T22:13:20Z
CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
    "id": "urn:uuid:2bde4ec6-2b9b-4bd4-8a14-5f4b6a0e8c1d",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": ED_KID.split("#")[0], "type": ["Profile"], "name": "Example University"},
    "validFrom": "2023-11-14T22:13:20Z",
    "validUntil": "2033-11-14T22:13:20Z",
    "name": "Data literacy — Stufe 1",
    "credentialSubject": {"id": "did:example:learner", "type": ["AchievementSubject"]},
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token(header: object, payload: object, key: KeyPair = ED, *, raw: bool = False) -> str:
    """Build a token by hand (independent of sign_jwt) so hostile shapes can be signed."""
    h = _b64(header if raw else json.dumps(header).encode())  # type: ignore[arg-type]
    p = _b64(payload if raw else json.dumps(payload).encode())  # type: ignore[arg-type]
    return f"{h}.{p}.{_b64(key.sign(f'{h}.{p}'.encode()))}"


def _fixed(key: PublicKey) -> Any:
    return lambda header: key


def _parts(token: str) -> list[Any]:
    h, p, s = token.split(".")
    return [json.loads(_unb64(h)), json.loads(_unb64(p)), s]


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.parametrize(("key", "kid", "alg"), [(ED, ED_KID, "EdDSA"), (P256, P256_KID, "ES256")])
def test_vc_jwt_round_trip(key: KeyPair, kid: str, alg: str) -> None:
    token = sign_vc_jwt(CREDENTIAL, key=key, kid=kid)
    header, payload, _ = _parts(token)
    assert header == {"alg": alg, "typ": "vc+jwt", "cty": "vc", "kid": kid}
    assert payload == CREDENTIAL
    result = verify_vc_jwt(token, resolve_key=kid_resolver())
    assert result.ok, result.reason
    assert result.payload == CREDENTIAL
    assert result.key == key.public


def test_tokens_verify_with_plain_cryptography() -> None:
    # Interoperability: the signature is over ASCII(header.payload), as RFC 7515 says.
    for key in (ED, P256):
        token = sign_vc_jwt(CREDENTIAL, key=key, kid=None)
        h, p, s = token.split(".")
        assert key.public.verify(_unb64(s), f"{h}.{p}".encode())


def test_hand_built_tokens_verify() -> None:
    header = {"kid": ED_KID, "typ": "application/vc+jwt", "alg": "EdDSA"}
    assert verify_vc_jwt(_token(header, CREDENTIAL), resolve_key=kid_resolver()).ok


def test_ob3_claims_match_the_1edtech_vc_jwt_example(test_data: Path) -> None:
    path = test_data / "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30/simple.jwt"
    token = path.read_text().strip()
    header, payload, _ = _parts(token)
    assert header["typ"] == "JWT"
    assert ob3_claims(payload["vc"]) == payload
    result = verify_ob3_jwt(token, resolve_key=_fixed(ED.public))
    assert not result.ok
    assert result.reason == "alg RS256 does not fit the Ed25519 key"


@pytest.mark.parametrize("key", [ED, P256])
def test_ob3_jwt_round_trip(key: KeyPair) -> None:
    token = sign_ob3_jwt(CREDENTIAL, key=key, kid="https://example.edu/issuers/565049#key-1")
    header, payload, _ = _parts(token)
    assert header["typ"] == "JWT"
    assert payload == {
        "iss": CREDENTIAL["issuer"]["id"],
        "sub": "did:example:learner",
        "nbf": VALID_FROM,
        "exp": int(datetime(2033, 11, 14, 22, 13, 20, tzinfo=UTC).timestamp()),
        "jti": CREDENTIAL["id"],
        "vc": CREDENTIAL,
    }
    result = verify_ob3_jwt(token, resolve_key=_fixed(key.public), now=VALID_FROM + 10)
    assert result.ok, result.reason
    assert result.payload is not None
    assert result.payload["vc"] == CREDENTIAL


def test_ob3_claims_require_issuer_and_dates() -> None:
    with pytest.raises(CredentialError, match="issuer"):
        ob3_claims({**CREDENTIAL, "issuer": {"name": "x"}})
    with pytest.raises(CredentialError, match="validFrom"):
        ob3_claims({k: v for k, v in CREDENTIAL.items() if k != "validFrom"})
    with pytest.raises(CredentialError, match="time zone"):
        ob3_claims({**CREDENTIAL, "validFrom": "2023-11-14T22:13:20"})
    with pytest.raises(CredentialError, match="ISO 8601"):
        ob3_claims({**CREDENTIAL, "validFrom": "yesterday"})
    with pytest.raises(CredentialError, match="not a date-time"):
        ob3_claims({**CREDENTIAL, "validUntil": 5})
    with pytest.raises(CredentialError):
        ob3_claims([])  # type: ignore[arg-type]
    minimal = {"issuer": "https://x.example", "issuanceDate": "2010-01-01T00:00:00Z", "credentialSubject": [{}]}
    assert ob3_claims(minimal) == {"iss": "https://x.example", "nbf": 1262304000, "vc": minimal}


def test_time_claims_are_checked_against_the_given_now() -> None:
    token = sign_ob3_jwt(CREDENTIAL, key=ED, kid=ED_KID)
    resolver = _fixed(ED.public)
    assert verify_ob3_jwt(token, resolve_key=resolver).ok  # no now: no time check
    early = verify_ob3_jwt(token, resolve_key=resolver, now=VALID_FROM - 1)
    assert early.reason == "the token is not yet valid (nbf)"
    assert verify_ob3_jwt(token, resolve_key=resolver, now=VALID_FROM - 1, leeway=5).ok
    late = verify_ob3_jwt(token, resolve_key=resolver, now=datetime(2040, 1, 1, tzinfo=UTC))
    assert late.reason == "the token has expired (exp)"
    assert late.payload is not None  # a failed result still shows what was signed
    naive = verify_ob3_jwt(token, resolve_key=resolver, now=datetime(2030, 1, 1))
    assert naive.reason == "now must be a timezone-aware datetime"
    odd = _token({"alg": "EdDSA"}, {"exp": "tomorrow"})
    assert verify_jwt(odd, resolve_key=resolver, now=0).reason == "the exp claim is not a number"


def _claims(**changes: Any) -> dict[str, Any]:
    claims = ob3_claims(CREDENTIAL)
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(iss="did:example:someone-else"), "iss claim does not match"),
        (_claims(jti="urn:uuid:other"), "jti claim does not match"),
        (_claims(sub="did:example:other"), "sub claim does not match"),
        (_claims(vc=None), "vc claim is missing"),
        (_claims(vc="a string"), "vc claim is missing"),
    ],
)
def test_ob3_claims_must_agree_with_the_credential(claims: dict[str, Any], reason: str) -> None:
    token = sign_jwt(claims, key=ED, kid=ED_KID, typ="JWT")
    result = verify_ob3_jwt(token, resolve_key=_fixed(ED.public))
    assert not result.ok
    assert reason in (result.reason or "")


@pytest.mark.parametrize(
    ("header", "payload", "reason"),
    [
        ({"alg": "EdDSA", "typ": "JWT", "cty": "vc"}, CREDENTIAL, "typ 'JWT' is not the expected 'vc+jwt'"),
        ({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vp"}, CREDENTIAL, "cty 'vp' is not 'vc'"),
        ({"alg": "EdDSA", "typ": "vc+jwt"}, {**CREDENTIAL, "vc": {}}, "must not carry vc or vp"),
        (
            {"alg": "EdDSA", "typ": "vc+jwt"},
            {**CREDENTIAL, "@context": ["https://www.w3.org/2018/credentials/v1"]},
            "not a VCDM 2.0 credential",
        ),
        ({"alg": "EdDSA", "typ": "vc+jwt"}, {**CREDENTIAL, "type": "OpenBadgeCredential"}, "VerifiableCredential"),
        ({"alg": "EdDSA", "typ": "vc+jwt"}, {**CREDENTIAL, "iss": "did:example:other"}, "iss claim"),
    ],
)
def test_vc_jwt_envelope_rules(header: dict[str, Any], payload: dict[str, Any], reason: str) -> None:
    result = verify_vc_jwt(_token(header, payload), resolve_key=_fixed(ED.public))
    assert not result.ok
    assert reason in (result.reason or "")


def test_sign_vc_jwt_refuses_vcdm_1_credentials() -> None:
    with pytest.raises(CredentialError, match=r"VCDM 2\.0"):
        sign_vc_jwt({**CREDENTIAL, "@context": ["https://www.w3.org/2018/credentials/v1"]}, key=ED, kid=None)


def test_sign_jwt_refuses_what_is_not_json() -> None:
    with pytest.raises(CredentialError, match="JSON object"):
        sign_jwt([1, 2], key=ED, kid=None)  # type: ignore[arg-type]
    with pytest.raises(CredentialError, match="not JSON-serialisable"):
        sign_jwt({"when": datetime(2020, 1, 1, tzinfo=UTC)}, key=ED, kid=None)
    with pytest.raises(CredentialError, match="not JSON-serialisable"):
        sign_jwt({"x": float("nan")}, key=ED, kid=None)
    with pytest.raises(CredentialError, match="not JSON-serialisable"):
        sign_jwt({"x": "\ud800"}, key=ED, kid=None)
    with pytest.raises(CredentialError, match="cannot set 'alg'"):
        sign_jwt({}, key=ED, kid=None, extra_header={"alg": "none"})


def test_extra_header_members_are_signed() -> None:
    token = sign_jwt({"a": 1}, key=P256, kid="k", extra_header={"x5u": "https://example.com/x"})
    result = verify_jwt(token, resolve_key=_fixed(P256.public), typ=["JWT", "vc+jwt"])
    assert result.ok
    assert result.header == {"alg": "ES256", "typ": "JWT", "kid": "k", "x5u": "https://example.com/x"}


def _good() -> str:
    return sign_vc_jwt(CREDENTIAL, key=ED, kid=ED_KID)


def _swap(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


DEEP = ("[" * 100_000 + "]" * 100_000).encode()
HOSTILE: list[tuple[Any, str]] = [
    (_token({"alg": "none"}, {"a": 1}).rsplit(".", 1)[0] + ".", "empty segment"),
    (_token({"alg": "none"}, {"a": 1}), "alg 'none'"),
    (_token({"alg": "NONE"}, {"a": 1}), "alg 'none'"),
    (_token({"alg": "HS256"}, {"a": 1}), "alg 'HS256' (a shared secret"),
    (_token({"typ": "JWT"}, {"a": 1}), "no alg"),
    (_token({"alg": "ES256"}, {"a": 1}), "does not fit the Ed25519 key"),
    (_token({"alg": "EdDSA", "crit": ["exp"], "exp": 1}, {"a": 1}), "critical extensions"),
    (_token({"alg": "EdDSA", "crit": [{}]}, {"a": 1}), "critical extensions"),
    (_token({"alg": "EdDSA", "b64": False}, {"a": 1}), "b64"),
    (_token({"alg": "EdDSA", "kid": 5}, {"a": 1}), "kid is not a string"),
    (_token(b'{"alg":"none","alg":"EdDSA"}', b'{"a":1}', raw=True), "duplicate member 'alg'"),
    (_token(b'{"alg":"EdDSA"}', b'{"a":1,"a":2}', raw=True), "duplicate member 'a'"),
    (_token(b'{"alg":"EdDSA"}', b'{"a":NaN}', raw=True), "not valid JSON"),
    (_token(b'{"alg":"EdDSA"}', DEEP, raw=True), "nested too deeply"),
    (_token(b'{"alg":"EdDSA"}', b"[1]", raw=True), "payload is not a JSON object"),
    (_token(b'{"alg":"EdDSA"}', b"\xff", raw=True), "not UTF-8"),
    (_token(b"[]", b"{}", raw=True), "header is not a JSON object"),
    (_token(b"not json", b"{}", raw=True), "bad header"),
    (_good().rsplit(".", 1)[0], "3 segments"),
    (_good() + ".x", "3 segments"),
    ("", "3 segments"),
    ("..", "empty segment"),
    (_good()[:-10], "signature"),
    (_swap(_good(), 2, _b64(b"\x00" * 64)), "does not verify"),
    (_swap(_good(), 2, _b64(b"\x00" * 65)), "does not verify"),
    (_swap(_good(), 2, "A" * 1500), "bad signature encoding"),
    (_swap(_good(), 1, _b64(json.dumps({**CREDENTIAL, "name": "forged"}).encode())), "does not verify"),
    (_swap(_good(), 0, _good().split(".")[0] + "="), "bad header"),
    (_swap(_good(), 1, _good().split(".")[1].replace("e", "+", 1)), "does not verify"),
    (_swap(_good(), 0, "eyJhbGciOiJFZERTQSJ9 "), "bad header"),
    (_good().replace(".", ". ", 1), "does not verify"),
    (_good().split(".")[0] + ".é." + _good().split(".")[2], "not ASCII"),
    ("A" * 2_000_000, "longer than"),
    ("é.é.é", "not ASCII"),
    (b"\xff.\xff.\xff", "not ASCII"),
    (12345, "not a string"),
]


@pytest.mark.parametrize(("token", "reason"), HOSTILE)
def test_hostile_tokens_give_failed_results(token: Any, reason: str) -> None:
    result = verify_jwt(token, resolve_key=_fixed(ED.public))
    assert isinstance(result, JwtResult)
    assert not result.ok
    assert reason in (result.reason or ""), result.reason


def test_key_resolution_failures_are_results() -> None:
    def unknown(header: Mapping[str, Any]) -> PublicKey:
        raise DidResolutionError("no such key")

    assert verify_jwt(_good(), resolve_key=unknown).reason == "the key cannot be resolved: no such key"
    assert verify_jwt(_good(), resolve_key=lambda h: "key").reason == "the key resolver returned no public key"  # type: ignore[arg-type,return-value]
    assert "no kid" in (verify_jwt(_token({"alg": "EdDSA"}, {}), resolve_key=kid_resolver()).reason or "")
    wrong = verify_jwt(sign_vc_jwt(CREDENTIAL, key=P256, kid=ED_KID), resolve_key=kid_resolver())
    assert wrong.reason == "alg ES256 does not fit the Ed25519 key"


def test_kid_resolver_uses_did_web_through_the_fetcher() -> None:
    did = "did:web:issuer.example"
    document = did_web_document(did, [VerificationMethod.multikey(did, P256.public, fragment="key-1")])
    resolver = kid_resolver(fetcher=DictFetcher({"https://issuer.example/.well-known/did.json": document}))
    token = sign_vc_jwt(CREDENTIAL, key=P256, kid=f"{did}#key-1")
    assert verify_vc_jwt(token, resolve_key=resolver).ok
    other = sign_vc_jwt(CREDENTIAL, key=ED, kid=f"{did}#key-1")
    assert verify_vc_jwt(other, resolve_key=resolver).reason == "alg EdDSA does not fit the P-256 key"


def test_bytes_and_surrounding_whitespace_are_accepted() -> None:
    assert verify_jwt(("\n" + _good() + "\n").encode(), resolve_key=_fixed(ED.public)).ok


@given(st.text(max_size=300))
def test_any_text_gives_a_result(text: str) -> None:
    assert not verify_jwt(text, resolve_key=_fixed(ED.public)).ok


TOKEN = sign_jwt({"sub": "x", "n": 1}, key=ED, kid="k")


@given(st.integers(min_value=0, max_value=len(TOKEN) - 1), st.sampled_from("AbQw_-.=+/9 "))
def test_any_one_character_change_is_caught(index: int, char: str) -> None:
    changed = TOKEN[:index] + char + TOKEN[index + 1 :]
    result = verify_jwt(changed, resolve_key=_fixed(ED.public))
    assert result.ok == (changed == TOKEN)
