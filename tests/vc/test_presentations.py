"""Verifiable Presentations: Data Integrity and vp+jwt, bound to the holder, the challenge and the domain."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cairn.errors import CredentialError, DidResolutionError
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.presentations import (
    VC_JWT_PREFIX,
    PresentationCheck,
    build_presentation,
    create_presentation,
    create_presentation_jwt,
    verify_presentation,
    verify_presentation_jwt,
)
from cairn.vc.proofs.data_integrity import SUPPORTED_CRYPTOSUITES, add_proof, key_resolver, verify_proofs
from cairn.vc.proofs.jose import kid_resolver, sign_jwt, sign_vc_jwt
from cairn.vc.proofs.suites import P384PublicKey, VerificationKey

V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ISSUER = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
HOLDER = KeyPair.from_secret(KeyType.ED25519, bytes(range(1, 33)))
HOLDER_P256 = KeyPair.from_secret(KeyType.P256, bytes(range(2, 34)))
MALLORY = KeyPair.from_secret(KeyType.ED25519, bytes(range(3, 35)))
CHALLENGE = "7d3c1f0e-challenge"
DOMAIN = "https://admissions.example"
CREATED = "2026-05-04T09:30:00Z"
RESOLVE = key_resolver()
JWT_RESOLVE = kid_resolver(purpose="authentication")


def did(key: KeyPair) -> str:
    return did_key(key.public)


def method(key: KeyPair) -> str:
    return f"{did(key)}#{key.public.multibase}"


def credential() -> dict[str, Any]:
    unsigned = {
        "@context": [V2, OB3],
        "id": "urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data analysis with Python",
        "issuer": {"id": did(ISSUER), "type": ["Profile"], "name": "Université d'Exemple"},
        "validFrom": "2026-05-04T09:30:00Z",
        "credentialSubject": {
            "id": did(HOLDER),
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://cairn.example/achievements/1",
                "type": ["Achievement"],
                "name": "Data analysis with Python",
                "criteria": {"narrative": "Pass the project."},
            },
        },
    }
    return add_proof(
        unsigned, key=ISSUER, verification_method=method(ISSUER), cryptosuite="eddsa-rdfc-2022", created=CREATED
    )


def present(key: KeyPair = HOLDER, **options: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "holder": did(key),
        "key": key,
        "verification_method": method(key),
        "challenge": CHALLENGE,
        "domain": DOMAIN,
        "created": CREATED,
    }
    arguments.update(options)
    return create_presentation([credential()], **arguments)


def check(vp: Any, **options: Any) -> PresentationCheck:
    arguments: dict[str, Any] = {"resolve_key": RESOLVE, "challenge": CHALLENGE, "domain": DOMAIN}
    arguments.update(options)
    return verify_presentation(vp, **arguments)


def refused(result: PresentationCheck, reason: str) -> None:
    assert not result.ok, result
    assert reason in result.reason, result.reason


# -- Data Integrity --------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_a_presentation_verifies_and_hands_back_its_credentials(suite: str) -> None:
    key = HOLDER if suite.startswith("eddsa") else HOLDER_P256
    vp = present(key, cryptosuite=suite)
    assert vp["type"] == ["VerifiablePresentation"]
    assert vp["holder"] == did(key)
    proof = vp["proof"]
    assert (proof["proofPurpose"], proof["challenge"], proof["domain"]) == ("authentication", CHALLENGE, DOMAIN)
    result = check(vp)
    assert result.ok, result.reason
    assert result.form == "data-integrity"
    assert result.holder == did(key)
    assert len(result.proofs) == 1
    assert result.proofs[0].ok
    assert result.credentials == (credential(),)
    # the credential inside is for the caller to verify, and it does
    assert all(c.ok for c in verify_proofs(result.credentials[0], resolve_key=RESOLVE))
    assert "verify each separately" in result.reason


def test_a_wrong_challenge_fails() -> None:
    refused(check(present(), challenge="another-challenge"), "challenge does not match")


def test_a_wrong_domain_fails() -> None:
    refused(check(present(), domain="https://other.example"), "domain")


def test_a_verifier_gives_challenge_and_domain_or_deliberately_skips_them() -> None:
    refused(check(present(), challenge=""), "expected challenge must be a non-empty string")
    refused(check(present(), domain=5), "expected domain must be a non-empty string")
    result = check(present(), challenge=None)
    assert result.ok
    assert "for this domain (challenge not checked: a replayed presentation would pass)" in result.reason
    result = check(present(), challenge=None, domain=None)
    assert result.ok
    assert "challenge and domain not checked" in result.reason
    with pytest.raises(TypeError):
        verify_presentation(present(), resolve_key=RESOLVE)  # type: ignore[call-arg]


def test_replay_with_another_holder_fails() -> None:
    vp = present()
    # Mallory claims the presentation as hers: the holder is signed data
    stolen = {**vp, "holder": did(MALLORY)}
    refused(check(stolen), "does not verify")
    # Mallory re-signs the presentation with her key but keeps the victim as holder
    unsigned = {k: v for k, v in vp.items() if k != "proof"}
    resigned = add_proof(
        unsigned,
        key=MALLORY,
        verification_method=method(MALLORY),
        cryptosuite="eddsa-rdfc-2022",
        created=CREATED,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    refused(check(resigned), "not a key of the holder")
    # a presentation made for another verifier's challenge cannot be replayed here
    refused(check(present(challenge="verifier-b"), challenge=CHALLENGE), "challenge")


def test_create_refuses_a_key_that_is_not_the_holders() -> None:
    with pytest.raises(CredentialError, match="not a key of the holder"):
        present(holder=did(HOLDER), verification_method=method(MALLORY), key=MALLORY)
    with pytest.raises(CredentialError, match="challenge"):
        present(challenge="")
    with pytest.raises(CredentialError, match="domain"):
        present(domain="")
    with pytest.raises(CredentialError, match="holder"):
        build_presentation([], holder="")
    with pytest.raises(CredentialError, match="list"):
        build_presentation(credential(), holder=did(HOLDER))  # type: ignore[arg-type]
    with pytest.raises(CredentialError, match="VC-JWT"):
        build_presentation(["not a token"], holder=did(HOLDER))


def test_tampering_fails() -> None:
    vp = present()
    changed = copy.deepcopy(vp)
    changed["verifiableCredential"][0]["name"] = "Brain surgery"
    refused(check(changed), "does not verify")
    added = copy.deepcopy(vp)
    added["verifiableCredential"].append(credential())
    refused(check(added), "does not verify")
    removed = copy.deepcopy(vp)
    del removed["verifiableCredential"]
    refused(check(removed), "does not verify")
    retimed = copy.deepcopy(vp)
    retimed["proof"]["created"] = "2026-05-04T09:31:00Z"
    refused(check(retimed), "does not verify")
    repurposed = copy.deepcopy(vp)
    repurposed["proof"]["proofPurpose"] = "assertionMethod"
    refused(check(repurposed), "proof purpose")


@pytest.mark.parametrize(
    ("vp", "reason"),
    [
        (None, "not a JSON object"),
        ("eyJ...", "not a JSON object"),
        ({}, "no @context"),
        ({"@context": [], "type": ["VerifiablePresentation"]}, "@context is empty"),
        ({"@context": [OB3]}, "first @context"),
        ({"@context": [OB3, V2], "type": ["VerifiablePresentation"]}, "first @context"),
        ({"@context": [V2, 123192875], "type": ["VerifiablePresentation"]}, "URLs or context objects"),
        ({"@context": [V2, "https ://not-a-url/v1"], "type": ["VerifiablePresentation"]}, "URLs or context"),
        ({"@context": V2, "type": "VerifiableCredential"}, "VerifiablePresentation"),
        ({"@context": [V2], "type": ["VerifiablePresentation"]}, "no proof"),
        ({"@context": [V2], "type": ["VerifiablePresentation"], "holder": {"id": 5}}, "holder must be a URL"),
        ({"@context": [V2], "type": "VerifiablePresentation", "holder": "did:x:1", "verifiableCredential": ["a"]},
         "not a JSON object"),
        ({"@context": [V2], "type": "VerifiablePresentation", "holder": "did:x:1"}, "no proof"),
        ({"@context": [V2], "type": "VerifiablePresentation", "holder": "did:x:1",
          "verifiableCredential": [{}] * 101}, "more than"),
    ],
)  # fmt: skip
def test_malformed_presentations_fail_with_a_reason(vp: Any, reason: str) -> None:
    refused(check(vp), reason)


def test_holder_may_be_an_object_and_the_resolver_is_asked_for_authentication() -> None:
    asked: list[tuple[str, str]] = []

    def recording(url: str, purpose: str) -> VerificationKey:
        asked.append((url, purpose))
        if purpose != "authentication":
            raise DidResolutionError("not authorised")
        return HOLDER.public

    vp = present()
    vp_object = {k: v for k, v in vp.items() if k != "proof"}
    vp_object["holder"] = {"id": did(HOLDER)}
    signed = add_proof(
        vp_object,
        key=HOLDER,
        verification_method=method(HOLDER),
        cryptosuite="eddsa-jcs-2022",
        created=CREATED,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    result = check(signed, resolve_key=recording)
    assert result.ok, result.reason
    assert result.holder == did(HOLDER)
    assert asked == [(method(HOLDER), "authentication")]


def test_vc_jwt_credentials_travel_enveloped() -> None:
    token = sign_vc_jwt(credential(), key=ISSUER, kid=method(ISSUER))
    vp = create_presentation(
        [token, credential()],
        holder=did(HOLDER),
        key=HOLDER,
        verification_method=method(HOLDER),
        challenge=CHALLENGE,
        domain=DOMAIN,
        created=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
    )
    enveloped = vp["verifiableCredential"][0]
    assert enveloped == {"@context": V2, "id": VC_JWT_PREFIX + token, "type": "EnvelopedVerifiableCredential"}
    result = check(vp)
    assert result.ok, result.reason
    assert result.credentials[0] == enveloped
    assert "2 credentials" in result.reason


# -- JWT ---------------------------------------------------------------------------------------------


def present_jwt(key: KeyPair = HOLDER, **options: Any) -> str:
    arguments: dict[str, Any] = {
        "holder": did(key),
        "key": key,
        "kid": method(key),
        "challenge": CHALLENGE,
        "domain": DOMAIN,
    }
    arguments.update(options)
    return create_presentation_jwt([credential()], **arguments)


def check_jwt(token: Any, **options: Any) -> PresentationCheck:
    arguments: dict[str, Any] = {"resolve_key": JWT_RESOLVE, "challenge": CHALLENGE, "domain": DOMAIN}
    arguments.update(options)
    return verify_presentation_jwt(token, **arguments)


def _parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


@pytest.mark.parametrize("key", [HOLDER, HOLDER_P256], ids=["EdDSA", "ES256"])
def test_a_jwt_presentation_verifies(key: KeyPair) -> None:
    token = present_jwt(key, issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC))
    header, payload = _parts(token)
    assert (header["typ"], header["cty"], header["kid"]) == ("vp+jwt", "vp", method(key))
    assert (payload["nonce"], payload["aud"], payload["holder"]) == (CHALLENGE, DOMAIN, did(key))
    assert payload["iat"] == int(datetime(2026, 5, 4, 9, 30, tzinfo=UTC).timestamp())
    result = check_jwt(token)
    assert result.ok, result.reason
    assert (result.form, result.holder, result.credentials) == ("jwt", did(key), (credential(),))


def test_jwt_wrong_challenge_domain_and_holder_fail() -> None:
    token = present_jwt()
    refused(check_jwt(token, challenge="other"), "nonce is not the challenge")
    refused(check_jwt(token, domain="https://other.example"), "aud is not the expected domain")
    refused(check_jwt(token, challenge=""), "expected challenge must be")
    skipped = check_jwt(token, challenge=None, domain=None)
    assert skipped.ok
    assert "not checked" in skipped.reason
    # Mallory signs the victim's presentation (same holder, nonce and aud) with her own key
    _, payload = _parts(token)
    forged = sign_jwt(payload, key=MALLORY, kid=method(MALLORY), typ="vp+jwt", cty="vp")
    refused(check_jwt(forged), "not a key of the holder")
    # ... or keeps the victim's kid: the signature gives her away
    forged = sign_jwt(payload, key=MALLORY, kid=method(HOLDER), typ="vp+jwt", cty="vp")
    refused(check_jwt(forged), "does not verify")


def test_jwt_tampering_and_malformed_tokens_fail() -> None:
    token = present_jwt()
    header, payload, signature = token.split(".")
    changed = json.loads(b64url_decode(payload))
    changed["holder"] = did(MALLORY)
    tampered = f"{header}.{b64url_encode(json.dumps(changed).encode())}.{signature}"
    refused(check_jwt(tampered), "does not verify")
    refused(check_jwt(token[: len(token) // 2]), "does not verify")
    refused(check_jwt(f"{header}.{payload}"), "3 segments")
    refused(check_jwt(12), "not a string")
    none_header = b64url_encode(b'{"alg":"none","typ":"vp+jwt"}')
    refused(check_jwt(f"{none_header}.{payload}.{signature}"), "none")
    vc_token = sign_vc_jwt(credential(), key=HOLDER, kid=method(HOLDER))
    refused(check_jwt(vc_token), "typ")


def test_jwt_claims_are_checked() -> None:
    _, payload = _parts(present_jwt())

    def signed(claims: dict[str, Any], **header: Any) -> str:
        return sign_jwt(claims, key=HOLDER, kid=method(HOLDER), typ="vp+jwt", **header)

    refused(check_jwt(signed({**payload, "iss": did(MALLORY)})), "iss is not the holder")
    refused(check_jwt(signed({**payload, "vp": {}})), "must not carry vp")
    refused(check_jwt(signed({k: v for k, v in payload.items() if k != "nonce"})), "no nonce")
    refused(check_jwt(signed(payload, cty="vc")), "cty")
    refused(check_jwt(signed({**payload, "type": ["VerifiableCredential"]})), "VerifiablePresentation")
    assert check_jwt(signed({**payload, "aud": ["https://x.example", DOMAIN]})).ok
    expired = present_jwt(expires_at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
    assert check_jwt(expired, now=datetime(2026, 5, 4, 9, 59, tzinfo=UTC)).ok
    refused(check_jwt(expired, now=datetime(2026, 5, 4, 10, 0, tzinfo=UTC)), "expired")
    with pytest.raises(CredentialError, match="timezone-aware"):
        present_jwt(issued_at=datetime(2026, 5, 4))


def test_jwt_resolver_failures_become_failed_checks() -> None:
    token = present_jwt()

    def crashing(header: Mapping[str, Any]) -> PublicKey:
        raise RuntimeError("resolver bug")

    def p384(header: Mapping[str, Any]) -> Any:
        point = ec.derive_private_key(12345, ec.SECP384R1()).public_key()
        return P384PublicKey(point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))

    refused(check_jwt(token, resolve_key=crashing), "resolver failed (RuntimeError)")
    refused(check_jwt(token, resolve_key=p384), "not an Ed25519 or P-256 key")

    def no_kid_needed(header: Mapping[str, Any]) -> PublicKey:
        return HOLDER.public

    _, payload = _parts(token)
    without_kid = sign_jwt(payload, key=HOLDER, kid=None, typ="vp+jwt", cty="vp")
    refused(check_jwt(without_kid, resolve_key=no_kid_needed), "no kid")


# -- without a holder, the older JWT form, envelopes ---------------------------------------------------------------


def test_a_presentation_without_holder_is_checked_by_its_proof() -> None:
    from cairn.vc.presentations import build_presentation

    unsigned = build_presentation([credential()], holder=None)
    assert "holder" not in unsigned
    vp = add_proof(
        unsigned,
        key=MALLORY,
        verification_method=method(MALLORY),
        cryptosuite="eddsa-rdfc-2022",
        created=CREATED,
        proof_purpose="authentication",
        challenge=CHALLENGE,
        domain=DOMAIN,
    )
    result = check(vp)
    assert result.ok, result.reason
    assert result.holder is None
    assert f"signed with {method(MALLORY)}; it names no holder" in result.reason
    refused(check(vp, challenge="another-challenge"), "challenge does not match")
    claimed = {**vp, "holder": did(HOLDER)}  # naming a holder afterwards breaks the signature
    refused(check(claimed), "does not verify")
    refused(check(unsigned), "no proof")


def _legacy(claims: dict[str, Any], key: KeyPair = HOLDER, **header: Any) -> str:
    return sign_jwt(claims, key=key, kid=method(key), **header)


def test_the_jwt_form_with_a_vp_claim_is_read() -> None:
    from cairn.vc.presentations import build_presentation

    vp = build_presentation([credential()], holder=did(HOLDER))
    claims = {"iss": did(HOLDER), "aud": DOMAIN, "nonce": CHALLENGE, "vp": vp}
    for token in (_legacy(claims), _legacy(claims, typ=None)):
        result = check_jwt(token)
        assert result.ok, result.reason
        assert (result.holder, result.credentials) == (did(HOLDER), (credential(),))
    # without a holder in the presentation, iss names it
    anonymous = build_presentation([credential()], holder=None)
    result = check_jwt(_legacy({**claims, "vp": anonymous}))
    assert result.ok, result.reason
    assert result.holder == did(HOLDER)
    refused(check_jwt(_legacy({**claims, "iss": did(MALLORY)})), "iss is not the holder")
    refused(check_jwt(_legacy(claims, key=MALLORY)), "not a key of the holder")
    refused(check_jwt(_legacy({**claims, "nonce": "other"})), "nonce is not the challenge")
    refused(check_jwt(_legacy({**claims, "vp": {**vp, "@context": []}})), "@context is empty")
    refused(check_jwt(_legacy(claims, typ="vp+jwt")), "must not carry vp")
    refused(check_jwt(_legacy(claims, typ="vc+jwt")), "typ")


def test_a_vp_jwt_without_holder_verifies_and_names_its_key() -> None:
    from cairn.vc.presentations import build_presentation

    payload = {**build_presentation([credential()], holder=None), "nonce": CHALLENGE, "aud": DOMAIN}
    result = check_jwt(sign_jwt(payload, key=MALLORY, kid=method(MALLORY), typ="vp+jwt", cty="vp"))
    assert result.ok, result.reason
    assert method(MALLORY) in result.reason


def test_presentations_travel_enveloped() -> None:
    from cairn.vc.presentations import ENVELOPED_PRESENTATION, VP_JWT_PREFIX, envelop_presentation, read_envelope

    token = present_jwt()
    envelope = envelop_presentation(token)
    assert envelope == {"@context": [V2], "id": VP_JWT_PREFIX + token, "type": ENVELOPED_PRESENTATION}
    opened = read_envelope(envelope, ENVELOPED_PRESENTATION)
    assert (opened.problem, opened.token, opened.media_type) == (None, token, "application/vp+jwt")
    assert check_jwt(opened.token).ok
    with pytest.raises(CredentialError, match="compact vp\\+jwt"):
        envelop_presentation("not a token")


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"type": "EnvelopedVerifiablePresentation", "id": "data:application/vp+jwt,a.b.c"}, "no @context"),
        ({"@context": [], "type": "EnvelopedVerifiablePresentation", "id": "data:application/vp+jwt,a.b.c"},
         "@context is empty"),
        ({"@context": [V2], "type": "VerifiablePresentation", "id": "data:application/vp+jwt,a.b.c"},
         "type must be EnvelopedVerifiablePresentation"),
        ({"@context": [V2], "type": "EnvelopedVerifiablePresentation", "id": "a.b.c"}, "data: URL"),
        ({"@context": [V2], "type": "EnvelopedVerifiablePresentation", "id": "data:application/vc+jwt,a.b.c"},
         "media type"),
        ({"@context": [V2], "type": "EnvelopedVerifiablePresentation", "id": "data:application/vp,%5B1%5D"},
         "JSON object"),
    ],
)  # fmt: skip
def test_envelopes_that_cannot_be_opened_say_why(envelope: dict[str, Any], reason: str) -> None:
    from cairn.vc.presentations import ENVELOPED_PRESENTATION, read_envelope

    opened = read_envelope(envelope, ENVELOPED_PRESENTATION)
    assert opened.problem is not None
    assert reason in opened.problem
    assert opened.token is None
    assert opened.document is None
