"""did:key and did:web documents, and verification-method resolution through a fake fetcher."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cairn.errors import DidResolutionError, FetchError, KeyFormatError
from cairn.vc import dids
from cairn.vc.dids import (
    DID_CONTEXT,
    JWK_CONTEXT,
    MULTIKEY_CONTEXT,
    VerificationMethod,
    did_key,
    did_key_document,
    did_web,
    did_web_document,
    did_web_url,
    find_verification_method,
    public_key_from_did_key,
    resolve_did,
    resolve_verification_method,
)
from cairn.vc.fetch import DictFetcher
from cairn.vc.keys import KeyPair, KeyType

# The 1EdTech OB 3.0 implementation-guide key (see tests/data/vectors/README.md).
OB3_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
OB3_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
OB3_ISSUER = "https://example.edu/issuers/565049"
ED = KeyPair.from_secret("Ed25519", bytes(range(32)))
ED_OLD = KeyPair.from_secret("Ed25519", bytes(range(1, 33)))
P256 = KeyPair.from_secret("P-256", bytes(range(1, 33)))
WEB = "did:web:example.com:orgs:acme"
WEB_URL = "https://example.com/orgs/acme/did.json"


def test_did_key_document_for_ed25519_follows_the_did_key_spec() -> None:
    did = did_key(ED.public)
    method_id = f"{did}#{ED.public_multibase}"
    assert did_key_document(did) == {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": ED.public_multibase}
        ],
        "assertionMethod": [method_id],
        "authentication": [method_id],
        "capabilityInvocation": [method_id],
        "capabilityDelegation": [method_id],
    }
    assert did_key_document(ED.public) == did_key_document(did)
    assert resolve_did(did) == did_key_document(did)


def test_w3c_vector_verification_methods_resolve_to_the_vector_keys(test_data: Path) -> None:
    vectors = test_data / "vectors"
    eddsa = json.loads((vectors / "vc-di-eddsa/TestVectors/eddsa-rdfc-2022/signedDataInt.json").read_text())
    eddsa_pair = json.loads((vectors / "vc-di-eddsa/TestVectors/keyPair.json").read_text())
    key = resolve_verification_method(eddsa["proof"]["verificationMethod"])
    assert key.multibase == eddsa_pair["publicKeyMultibase"]
    ecdsa = json.loads((vectors / "vc-di-ecdsa/TestVectors/ecdsa-jcs-2019-p256/signedJCSECDSAP256.json").read_text())
    p256_pair = json.loads((vectors / "vc-di-ecdsa/TestVectors/p256KeyPair.json").read_text())
    key = resolve_verification_method(ecdsa["proof"]["verificationMethod"], purpose="assertionMethod")
    assert key.kind is KeyType.P256
    assert key.multibase == p256_pair["publicKeyMultibase"]


def test_did_key_without_fragment_names_its_only_key(test_data: Path) -> None:
    fixture = test_data / "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"
    credential = json.loads((fixture / "simple-did-key-method.json").read_text())
    method = find_verification_method(credential["proof"][0]["verificationMethod"])
    assert method.public_key == KeyPair.from_secret("Ed25519", OB3_SEED).public
    assert method.id == f"did:key:{OB3_MULTIKEY}#{OB3_MULTIKEY}"


def test_p256_did_key_round_trip() -> None:
    did = did_key(P256.public)
    assert did.startswith("did:key:zDna")
    assert public_key_from_did_key(did) == P256.public
    assert did_key_document(did)["verificationMethod"][0]["publicKeyMultibase"] == P256.public_multibase


@pytest.mark.parametrize(
    "did",
    [
        "did:key:",
        "did:key:uAAAA",
        "did:key:z6Mk",
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi#z6Mkother",
        f"did:key:{ED.secret_multibase}",
        "did:key:" + "z" * 400,
        "did:web:example.com",
    ],
)
def test_bad_did_keys_are_refused(did: str) -> None:
    with pytest.raises(DidResolutionError):
        public_key_from_did_key(did)


def test_did_web_names_and_urls() -> None:
    assert did_web("example.com", "orgs/acme") == WEB
    assert did_web("Example.COM", ["orgs", "acme"]) == WEB
    assert did_web_url(WEB) == WEB_URL
    assert did_web("example.com") == "did:web:example.com"
    assert did_web_url("did:web:example.com") == "https://example.com/.well-known/did.json"
    assert did_web("example.com", "user", port=3000) == "did:web:example.com%3A3000:user"
    assert did_web_url("did:web:example.com%3A3000:user") == "https://example.com:3000/user/did.json"
    assert did_web_url("did:web:localhost%3a8443") == "https://localhost:8443/.well-known/did.json"


@pytest.mark.parametrize(
    "did",
    [
        "did:web:",
        "did:web:exa mple.com",
        "did:web:-example.com",
        "did:web:example.com:..",
        "did:web:example.com:a/b",
        "did:web:example.com:a?b",
        "did:web:example.com::a",
        "did:web:example.com%3A99999",
        "did:web:example.com%3Aabc",
        "did:web:example.com%2F..",
        "did:web:user@example.com",
        "did:key:z6Mk",
        "did:web:" + "a" * 3000,
    ],
)
def test_bad_did_web_names_are_refused(did: str) -> None:
    with pytest.raises(DidResolutionError):
        did_web_url(did)


def test_bad_did_web_parts_are_refused() -> None:
    with pytest.raises(DidResolutionError):
        did_web("exa mple.com")
    with pytest.raises(DidResolutionError):
        did_web("example.com", "a/../b")
    with pytest.raises(DidResolutionError):
        did_web("example.com", port=0)


def _rotated_document() -> dict[str, object]:
    current = VerificationMethod.multikey(WEB, ED.public, fragment="key-2")
    old = VerificationMethod.multikey(WEB, ED_OLD.public, fragment="key-1")
    p256 = VerificationMethod.json_web_key(WEB, P256.public, fragment="key-3")
    return did_web_document(WEB, [current, old, p256], authentication=[current.id])


def test_did_web_document_keeps_old_keys_for_assertions() -> None:
    document = _rotated_document()
    assert document["@context"] == [DID_CONTEXT, MULTIKEY_CONTEXT, JWK_CONTEXT]
    assert document["id"] == WEB
    assert document["assertionMethod"] == [f"{WEB}#key-2", f"{WEB}#key-1", f"{WEB}#key-3"]
    assert document["authentication"] == [f"{WEB}#key-2"]
    methods = document["verificationMethod"]
    assert isinstance(methods, list)
    assert methods[2]["publicKeyJwk"] == P256.public.to_jwk()


def test_did_web_document_checks_its_methods() -> None:
    method = VerificationMethod.multikey(WEB, ED.public)
    with pytest.raises(DidResolutionError, match="at least one"):
        did_web_document(WEB, [])
    with pytest.raises(DidResolutionError, match="unique"):
        did_web_document(WEB, [method, method])
    with pytest.raises(DidResolutionError, match="not under"):
        did_web_document(WEB, [VerificationMethod.multikey("did:web:other.example", ED.public)])
    with pytest.raises(DidResolutionError, match="unknown"):
        did_web_document(WEB, [method], assertion_method=[f"{WEB}#nope"])


def test_did_web_resolves_through_the_fetcher() -> None:
    fetcher = DictFetcher({WEB_URL: _rotated_document()})
    assert resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher) == ED_OLD.public
    assert resolve_verification_method(f"{WEB}#key-3", fetcher=fetcher, purpose="assertionMethod") == P256.public
    assert fetcher.calls == [WEB_URL, WEB_URL]
    with pytest.raises(DidResolutionError, match="not authorised for authentication"):
        resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="authentication")
    with pytest.raises(DidResolutionError, match="no verification method"):
        resolve_verification_method(f"{WEB}#key-9", fetcher=fetcher)
    with pytest.raises(DidResolutionError, match="needs a #fragment"):
        resolve_verification_method(WEB, fetcher=fetcher)
    with pytest.raises(DidResolutionError, match="signing relationship"):
        resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="keyAgreement")


def test_did_web_relative_method_ids_resolve() -> None:
    document = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": WEB,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "publicKeyMultibase": ED.public_multibase}],
        "assertionMethod": ["#key-1"],
    }
    method = find_verification_method(
        f"{WEB}#key-1", fetcher=DictFetcher({WEB_URL: document}), purpose="assertionMethod"
    )
    assert method.id == f"{WEB}#key-1"
    assert method.controller == WEB


def test_did_web_document_must_be_for_the_did() -> None:
    document = did_web_document(
        "did:web:evil.example", [VerificationMethod.multikey("did:web:evil.example", ED.public)]
    )
    with pytest.raises(DidResolutionError, match="is not for"):
        resolve_did(WEB, fetcher=DictFetcher({WEB_URL: document}))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", DidResolutionError),
        (b"[]", DidResolutionError),
        (b'{"id": "x", "id": "y"}', DidResolutionError),
        (b"[" * 50_000 + b"]" * 50_000, DidResolutionError),
    ],
)
def test_hostile_did_documents_are_refused(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        resolve_did(WEB, fetcher=DictFetcher({WEB_URL: body}))


@pytest.mark.parametrize(
    ("method", "error", "reason"),
    [
        ({"id": "#k", "type": "Multikey"}, KeyFormatError, "publicKeyMultibase"),
        ({"id": "#k", "type": "Multikey", "publicKeyMultibase": "zzz"}, KeyFormatError, "multicodec"),
        ({"id": "#k", "type": "JsonWebKey"}, KeyFormatError, "publicKeyJwk"),
        ({"id": "#k", "type": "JsonWebKey", "publicKeyJwk": P256.to_jwk(private=True)}, KeyFormatError, "private"),
        ({"id": "#k", "type": "RsaVerificationKey2018"}, DidResolutionError, "unsupported"),
        ({"type": "Multikey"}, DidResolutionError, "no verification method"),
        ({"id": "#k", "type": "Multikey", "controller": 5}, DidResolutionError, "controller"),
        (
            {"id": "#k", "type": "Ed25519VerificationKey2020", "publicKeyMultibase": P256.public_multibase},
            KeyFormatError,
            "Ed25519",
        ),
    ],
)
def test_malformed_verification_methods_are_refused(
    method: dict[str, object], error: type[Exception], reason: str
) -> None:
    document = {"id": WEB, "verificationMethod": [method]}
    with pytest.raises(error, match=reason):
        resolve_verification_method(f"{WEB}#k", fetcher=DictFetcher({WEB_URL: document}))


def test_verification_method_from_dict_checks_its_shape() -> None:
    with pytest.raises(DidResolutionError, match="no id"):
        VerificationMethod.from_dict({"type": "Multikey"})
    with pytest.raises(DidResolutionError, match="without a base"):
        VerificationMethod.from_dict({"id": "#k", "type": "Multikey"})
    with pytest.raises(DidResolutionError, match="not a JSON object"):
        VerificationMethod.from_dict([])  # type: ignore[arg-type]


def test_https_hosted_profile_with_the_ob3_vector_key() -> None:
    url = f"{OB3_ISSUER}#{OB3_MULTIKEY}"
    profile = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": OB3_ISSUER,
        "type": "Profile",
        "verificationMethod": [
            {"id": url, "type": "Multikey", "controller": OB3_ISSUER, "publicKeyMultibase": OB3_MULTIKEY}
        ],
        "assertionMethod": [url],
    }
    key = resolve_verification_method(url, fetcher=DictFetcher({OB3_ISSUER: profile}), purpose="assertionMethod")
    assert key == KeyPair.from_secret("Ed25519", OB3_SEED).public
    with pytest.raises(DidResolutionError, match="needs a fetcher"):
        resolve_verification_method(url)
    with pytest.raises(FetchError):
        resolve_verification_method(url, fetcher=DictFetcher())
    moved = {**profile, "id": "https://other.example/issuer"}
    with pytest.raises(DidResolutionError, match="different id"):
        resolve_verification_method(url, fetcher=DictFetcher({OB3_ISSUER: moved}))


def test_https_hosted_bare_key_documents() -> None:
    url = "https://keys.example/k/1"
    multikey = {"id": url, "type": "Multikey", "controller": OB3_ISSUER, "publicKeyMultibase": ED.public_multibase}
    assert resolve_verification_method(url, fetcher=DictFetcher({url: multikey})) == ED.public
    jwk = {"id": url, "type": "JsonWebKey", "controller": OB3_ISSUER, "publicKeyJwk": P256.public.to_jwk()}
    method = find_verification_method(url, fetcher=DictFetcher({url: jwk}), purpose="assertionMethod")
    assert method.public_key == P256.public
    assert method.type == "JsonWebKey"
    assert VerificationMethod.from_dict(method.to_dict()) == method


@pytest.mark.parametrize("url", ["", "did:example:123#k", "http://example.com/k", "mailto:x@y", 5])
def test_unsupported_verification_method_urls_are_refused(url: object) -> None:
    with pytest.raises(DidResolutionError):
        resolve_verification_method(url, fetcher=DictFetcher())  # type: ignore[arg-type]


def test_unsupported_did_methods_are_named() -> None:
    with pytest.raises(DidResolutionError, match="did:example"):
        resolve_did("did:example:123")


def test_a_did_web_method_is_remembered_by_its_documents_bytes_and_a_changed_document_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dids._FOUND_METHODS.clear()
    made: list[str] = []
    real = VerificationMethod.from_dict

    def counting(entry: Any, **kwargs: Any) -> VerificationMethod:
        made.append(str(entry.get("id")))
        return real(entry, **kwargs)

    monkeypatch.setattr(VerificationMethod, "from_dict", staticmethod(counting))
    fetcher = DictFetcher({WEB_URL: _rotated_document()})
    for _ in range(3):
        assert resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="assertionMethod") == ED_OLD.public
    assert fetcher.calls == [WEB_URL] * 3  # fetched every time: the document may have changed
    assert len(made) == 1  # found once
    with pytest.raises(DidResolutionError, match="not authorised for authentication"):  # the purpose is its own
        resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="authentication")
    # key-1 now names another key: the changed document is read, not the remembered method
    fetcher.documents[WEB_URL] = did_web_document(WEB, [VerificationMethod.multikey(WEB, ED.public, fragment="key-1")])
    assert resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="assertionMethod") == ED.public
    # and taken out: not found
    fetcher.documents[WEB_URL] = did_web_document(WEB, [VerificationMethod.multikey(WEB, P256.public, fragment="k")])
    with pytest.raises(DidResolutionError, match="no verification method"):
        resolve_verification_method(f"{WEB}#key-1", fetcher=fetcher, purpose="assertionMethod")
