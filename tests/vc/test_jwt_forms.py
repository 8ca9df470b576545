"""The credential JWTs other issuers sign, with real keys: RS256 / PS256 / ES256 / ES384 / EdDSA, the credential as
the payload or in a ``vc`` claim, the key by ``kid`` or by a ``jwk`` header, ``typ`` or none; and the forgeries a
verifier must refuse (alg none, HS256 keyed with the public key, weak RSA, a jwk header or a 1EdTech fragment key
for someone else's issuer). A key the issuer's own documents do not confirm is never vouched for."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cairn.services.trust.operator import TrustEntry, TrustList
from cairn.services.verification.service import TRUST_REASONS, VerificationService
from cairn.vc.dids import did_key, fragment_key, key_in_documents
from cairn.vc.fetch import DictFetcher
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType, RsaPublicKey
from cairn.vc.multibase import b64url_encode
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import verify
from tests.factories import FixedClock

NOW = datetime(2026, 6, 1, tzinfo=UTC)
ISSUER = "https://issuer.example/profile"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED = KeyPair.generate(KeyType.ED25519)
P256 = KeyPair.generate(KeyType.P256)
P384 = KeyPair.generate(KeyType.P384)


def rsa_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "n": b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(numbers.e.to_bytes(3, "big")),
    }


def credential(issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f6f7f0e-2b1a-4a53-8b33-0d2f1c1d9a10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Issuer"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Teamwork",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/achievements/teamwork",
                "type": ["Achievement"],
                "name": "Teamwork",
                "description": "Works in a team.",
                "criteria": {"narrative": "Team project."},
            },
        },
    }


def claims(cred: dict[str, Any], shape: str) -> dict[str, Any]:
    """The two shapes seen in the wild: the OB 3.0 ``vc`` claim, or the credential itself as the payload."""
    registered = {"iss": cred["issuer"]["id"], "jti": cred["id"], "sub": "did:example:learner", "nbf": 1767225600}
    return {**registered, "vc": cred} if shape == "vc" else {**cred, **registered}


def _segments(header: dict[str, Any], payload: dict[str, Any]) -> bytes:
    return (b64url_encode(json.dumps(header).encode()) + "." + b64url_encode(json.dumps(payload).encode())).encode()


def sign_rsa(header: dict[str, Any], payload: dict[str, Any], key: rsa.RSAPrivateKey = RSA_KEY) -> str:
    signing_input = _segments(header, payload)
    digest = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[header["alg"][2:]]
    scheme: padding.AsymmetricPadding = (
        padding.PKCS1v15()
        if header["alg"].startswith("RS")
        else padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    )
    return signing_input.decode() + "." + b64url_encode(key.sign(signing_input, scheme, digest))


def sign_pair(header: dict[str, Any], payload: dict[str, Any], key: KeyPair) -> str:
    signing_input = _segments(header, payload)
    return signing_input.decode() + "." + b64url_encode(key.sign(signing_input))


def issuer_document(method_id: str, jwk: dict[str, str], issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "id": issuer,
        "verificationMethod": [{"id": method_id, "type": "JsonWebKey", "controller": issuer, "publicKeyJwk": jwk}],
        "assertionMethod": [method_id],
    }


def reason(report: Report, name: str) -> str:
    return " | ".join(str(c.reason) for c in report.checks if c.name == name)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "RS384", "PS512"])
@pytest.mark.parametrize("shape", ["vc", "payload"])
@pytest.mark.parametrize("typ", ["JWT", None])
def test_rsa_jwts_with_a_jwk_header_the_issuer_lists_verify(alg: str, shape: str, typ: str | None) -> None:
    header: dict[str, Any] = {"alg": alg, "jwk": rsa_jwk(RSA_KEY)}
    if typ:
        header["typ"] = typ
    token = sign_rsa(header, claims(credential(), shape))
    fetcher = DictFetcher({ISSUER: issuer_document(f"{ISSUER}#rsa", rsa_jwk(RSA_KEY))})
    report = verify(token, now=NOW, fetcher=fetcher)
    assert report.verdict == "Verified", report.text()
    assert report.format == "ob3-jwt"
    assert f"({alg})" in reason(report, "proof")
    assert f"{ISSUER}#rsa" in reason(report, "issuer-key")


def test_a_jwk_header_the_issuer_could_not_confirm_is_a_warning() -> None:
    token = sign_rsa({"alg": "RS256", "jwk": rsa_jwk(RSA_KEY)}, claims(credential(), "payload"))
    report = verify(token, now=NOW)  # offline: the issuer's documents are not read
    assert report.verified
    assert report.outcome_of("proof") is Outcome.PASS
    assert report.outcome_of("issuer-key") is Outcome.WARNING
    assert "did not confirm" in reason(report, "issuer-key")
    assert report.verdict == "Signed, but not shown to come from the issuer it names"


def test_a_jwk_header_for_someone_elses_issuer_is_refused() -> None:
    """The issuer's document is read and lists another key: the token's own key is not the issuer's."""
    token = sign_rsa({"alg": "RS256", "jwk": rsa_jwk(OTHER_RSA)}, claims(credential(), "vc"), key=OTHER_RSA)
    fetcher = DictFetcher({ISSUER: issuer_document(f"{ISSUER}#rsa", rsa_jwk(RSA_KEY))})
    report = verify(token, now=NOW, fetcher=fetcher)
    assert report.outcome_of("proof") is Outcome.PASS  # the attacker's own signature is fine ...
    assert report.outcome_of("issuer-key") is Outcome.FAIL  # ... but the key is not the issuer's
    assert not report.verified


def test_a_jwk_header_for_a_did_key_issuer_is_checked_against_the_did() -> None:
    victim = did_key(ED.public)
    attacker = KeyPair.generate(KeyType.ED25519)
    forged = sign_pair({"alg": "EdDSA", "jwk": attacker.public.to_jwk()}, claims(credential(victim), "vc"), attacker)
    report = verify(forged, now=NOW)
    assert report.outcome_of("issuer-key") is Outcome.FAIL
    assert not report.verified
    genuine = sign_pair({"alg": "EdDSA", "jwk": ED.public.to_jwk()}, claims(credential(victim), "vc"), ED)
    report = verify(genuine, now=NOW)
    assert report.verdict == "Verified", report.text()


@pytest.mark.parametrize(("key", "alg"), [(ED, "EdDSA"), (P256, "ES256"), (P384, "ES384")])
@pytest.mark.parametrize("shape", ["vc", "payload"])
def test_kid_jwts_without_typ_verify(key: KeyPair, alg: str, shape: str) -> None:
    issuer = did_key(key.public)
    kid = f"{issuer}#{issuer.removeprefix('did:key:')}"
    token = sign_pair({"alg": alg, "kid": kid}, claims(credential(issuer), shape), key)
    report = verify(token, now=NOW)
    assert report.verdict == "Verified", report.text()
    assert report.outcome_of("issuer-key") is Outcome.PASS


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_rsa_jwts_with_a_kid_in_the_issuers_did_web_document_verify(alg: str) -> None:
    did = "did:web:issuer.example"
    kid = f"{did}#rsa-1"
    document: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": [
            {"id": kid, "type": "JsonWebKey2020", "controller": did, "publicKeyJwk": rsa_jwk(RSA_KEY)}
        ],
        "assertionMethod": [kid],
    }
    fetcher = DictFetcher({"https://issuer.example/.well-known/did.json": document})
    token = sign_rsa({"alg": alg, "kid": kid, "typ": "JWT"}, claims(credential(did), "vc"))
    report = verify(token, now=NOW, fetcher=fetcher)
    assert report.verdict == "Verified", report.text()
    assert report.outcome_of("issuer-key") is Outcome.PASS
    forged = sign_rsa({"alg": alg, "kid": kid}, claims(credential(did), "vc"), key=OTHER_RSA)
    assert verify(forged, now=NOW, fetcher=fetcher).outcome_of("proof") is Outcome.FAIL
    leaked = {
        **document,
        "verificationMethod": [
            {**document["verificationMethod"][0], "publicKeyJwk": {**rsa_jwk(RSA_KEY), "d": "AQAB"}}
        ],
    }
    report = verify(token, now=NOW, fetcher=DictFetcher({"https://issuer.example/.well-known/did.json": leaked}))
    assert "private key" in reason(report, "proof")


@pytest.mark.parametrize(("typ", "cty", "form"), [("vc+jwt", "vc", "vc+jwt"), ("vc+ld+jwt", "vc+ld+json", "vc+jwt")])
def test_vc_jose_tokens_verify_with_either_typ(typ: str, cty: str, form: str) -> None:
    issuer = did_key(P256.public)
    kid = f"{issuer}#{issuer.removeprefix('did:key:')}"
    token = sign_pair({"alg": "ES256", "kid": kid, "typ": typ, "cty": cty}, credential(issuer), P256)
    report = verify(token, now=NOW)
    assert report.verdict == "Verified", report.text()
    assert report.format == form
    claimed = sign_pair({"alg": "ES256", "kid": kid, "typ": typ}, {**credential(issuer), "vc": {}}, P256)
    assert "must not carry vc" in reason(verify(claimed, now=NOW), "proof")


def _hs256(public_jwk: dict[str, str], payload: dict[str, Any]) -> str:
    signing_input = _segments({"alg": "HS256", "jwk": public_jwk}, payload)
    secret = json.dumps(public_jwk).encode()
    return signing_input.decode() + "." + b64url_encode(hmac.new(secret, signing_input, hashlib.sha256).digest())


def _weak() -> str:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return sign_rsa({"alg": "RS256", "jwk": rsa_jwk(weak)}, claims(credential(), "vc"), key=weak)


HOSTILE: dict[str, tuple[Callable[[], str], str]] = {
    "alg none": (
        lambda: _segments({"alg": "none", "jwk": rsa_jwk(RSA_KEY)}, claims(credential(), "vc")).decode() + ".AAAA",
        "alg 'none'",
    ),
    "HS256 keyed with the public key": (lambda: _hs256(rsa_jwk(RSA_KEY), claims(credential(), "vc")), "HS256"),
    "RSA under 2048 bits": (_weak, "too weak"),
    "RS256 claimed, PS256 signed": (
        lambda: sign_rsa({"alg": "PS256", "jwk": rsa_jwk(RSA_KEY)}, claims(credential(), "vc")).replace(
            b64url_encode(json.dumps({"alg": "PS256", "jwk": rsa_jwk(RSA_KEY)}).encode()),
            b64url_encode(json.dumps({"alg": "RS256", "jwk": rsa_jwk(RSA_KEY)}).encode()),
        ),
        "does not verify",
    ),
    "ES256 with an RSA key": (
        lambda: sign_pair({"alg": "ES256", "jwk": rsa_jwk(RSA_KEY)}, claims(credential(), "vc"), P256),
        "does not fit the RSA key",
    ),
    "RS256 with an EC key": (
        lambda: sign_rsa({"alg": "RS256", "jwk": P256.public.to_jwk()}, claims(credential(), "vc")),
        "does not fit the P-256 key",
    ),
    "jwk with a private key": (
        lambda: sign_pair({"alg": "ES256", "jwk": P256.to_jwk(private=True)}, claims(credential(), "vc"), P256),
        "private key material",
    ),
    "kid and jwk disagree": (
        lambda: sign_pair(
            {"alg": "ES256", "kid": f"{did_key(P256.public)}#{did_key(P256.public)[8:]}", "jwk": P384.public.to_jwk()},
            claims(credential(did_key(P256.public)), "vc"),
            P256,
        ),
        "not the key that its kid names",
    ),
    "no key at all": (lambda: sign_rsa({"alg": "RS256"}, claims(credential(), "vc")), "names no key"),
    "iss of another issuer": (
        lambda: sign_rsa(
            {"alg": "RS256", "jwk": rsa_jwk(RSA_KEY)},
            {**claims(credential(), "payload"), "iss": "https://else.example"},
        ),
        "iss claim does not match",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_jwts_are_refused(name: str) -> None:
    make, words = HOSTILE[name]
    fetcher = DictFetcher({ISSUER: issuer_document(f"{ISSUER}#rsa", rsa_jwk(RSA_KEY))})
    report = verify(make(), now=NOW, fetcher=fetcher)
    assert not report.verified
    assert report.outcome_of("proof") is Outcome.FAIL
    assert words in reason(report, "proof"), report.text()


def test_rsa_jwks_are_read_strictly() -> None:
    key = RsaPublicKey.from_jwk(rsa_jwk(RSA_KEY))
    assert key.bits == 2048
    assert RsaPublicKey.from_jwk(key.to_jwk()) == key
    with pytest.raises(Exception, match="does not fit an RSA key"):
        RsaPublicKey.from_jwk({**rsa_jwk(RSA_KEY), "alg": "ES256"})
    with pytest.raises(Exception, match="must be odd"):
        RsaPublicKey(key.n, 4)


# -- the 1EdTech ISSUER-URL#<publicKeyMultibase> form --------------------------------------------------------


def _fragment_signed(issuer: str, method_owner: str) -> dict[str, Any]:
    method = f"{method_owner}#{ED.public_multibase}"
    signed = issue(credential(issuer), key=ED, suite="eddsa-rdfc-2022", created=NOW, verification_method=method)
    assert isinstance(signed, dict)
    return signed


def test_a_fragment_key_of_the_issuers_own_url_verifies_with_a_warning() -> None:
    report = verify(_fragment_signed(ISSUER, ISSUER), now=NOW)
    assert report.verdict == "Signed, but not shown to come from the issuer it names", report.text()
    assert report.outcome_of("issuer-key") is Outcome.WARNING
    assert "did not confirm" in reason(report, "issuer-key")


def test_a_fragment_key_for_someone_elses_issuer_url_is_refused() -> None:
    report = verify(_fragment_signed(ISSUER, "https://attacker.example/profile"), now=NOW)
    assert report.outcome_of("issuer-key") is Outcome.FAIL
    assert not report.verified


def test_fragment_keys_are_read_only_from_https_multikey_fragments() -> None:
    assert fragment_key(f"{ISSUER}#{ED.public_multibase}") == ED.public
    assert fragment_key(f"http://issuer.example/p#{ED.public_multibase}") is None
    assert fragment_key(f"{ISSUER}#key-1") is None
    assert fragment_key(f"{ISSUER}#z{ED.public_multibase[1:-2]}") is None


def test_key_in_documents_finds_only_authorised_keys() -> None:
    document = issuer_document(f"{ISSUER}#rsa", rsa_jwk(RSA_KEY))
    fetcher = DictFetcher({ISSUER: document})
    assert key_in_documents(ISSUER, RsaPublicKey.from_jwk(rsa_jwk(RSA_KEY)), fetcher=fetcher) == f"{ISSUER}#rsa"
    unlisted = DictFetcher({ISSUER: {**document, "assertionMethod": []}})
    with pytest.raises(Exception, match="does not list the signing key"):
        key_in_documents(ISSUER, RsaPublicKey.from_jwk(rsa_jwk(RSA_KEY)), fetcher=unlisted, purpose="assertionMethod")


@pytest.mark.parametrize("form", ["fragment", "jwk"])
def test_an_unconfirmed_key_is_never_vouched_for(form: str) -> None:
    """Even when the operator lists the issuer's URL, a key only the credential itself names proves nothing about
    the issuer: the trust check is skipped with that reason, and the verdict never says "vouched for"."""
    trust = TrustList([TrustEntry(did=ISSUER, note="accredited")], source="test")
    service = VerificationService(fetcher=None, clock=FixedClock(NOW), trust=trust)
    source: dict[str, Any] | str = (
        _fragment_signed(ISSUER, ISSUER)
        if form == "fragment"
        else sign_rsa({"alg": "RS256", "jwk": rsa_jwk(RSA_KEY)}, claims(credential(), "vc"))
    )
    report = service.verify(source)
    assert report.outcome_of("issuer-trust") is Outcome.SKIPPED, report.text()
    assert report.trust["reason"] == TRUST_REASONS["unconfirmed"]
    assert "vouched for" not in report.verdict
    # the same issuer, with its key confirmed by its own document, is vouched for
    fragment_method = f"{ISSUER}#{ED.public_multibase}"
    document = (
        {
            "id": ISSUER,
            "verificationMethod": [
                {
                    "id": fragment_method,
                    "type": "Multikey",
                    "controller": ISSUER,
                    "publicKeyMultibase": ED.public_multibase,
                }
            ],
            "assertionMethod": [fragment_method],
        }
        if form == "fragment"
        else issuer_document(f"{ISSUER}#rsa", rsa_jwk(RSA_KEY))
    )
    confirmed = VerificationService(fetcher=DictFetcher({ISSUER: document}), clock=FixedClock(NOW), trust=trust)
    assert confirmed.verify(source).verdict == "Authentic and vouched for"
