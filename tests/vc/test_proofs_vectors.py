"""Data Integrity proofs against the published vectors: W3C vc-di-eddsa / vc-di-ecdsa and 1EdTech OB 3.0 / CLR 2.0.

The eddsa proofs are deterministic, so every proofValue and intermediate hash is reproduced byte for byte;
ECDSA signatures are randomised, so those vectors are verified (and their hashes reproduced).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from cairn.vc.canon.forms import rdfc
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.data_integrity import ProofCheck, add_proof, key_resolver, verify_proofs
from cairn.vc.proofs.suites import (
    LEGACY_ED25519_2020,
    SUITES,
    b58encode,
    document_digest,
    fast_jcs,
    hash_data,
)
from tests.factories import OB3_VECTOR_METHOD, OB3_VECTOR_PUBLIC, OB3_VECTOR_SEED, ob3_vector_resolver

EDDSA = "vectors/vc-di-eddsa/TestVectors"
ECDSA = "vectors/vc-di-ecdsa/TestVectors"
OB3 = "vectors/ob3-1edtech"
CHAIN = f"{EDDSA}/proof-set-chain"

OB3_SEED, OB3_PUBLIC, OB3_METHOD = OB3_VECTOR_SEED, OB3_VECTOR_PUBLIC, OB3_VECTOR_METHOD

# (folder, file suffix, input document, cryptosuite[, curve])
EDDSA_CASES = [
    (f"{EDDSA}/eddsa-rdfc-2022", "DataInt", f"{EDDSA}/unsigned.json", "eddsa-rdfc-2022"),
    (f"{EDDSA}/eddsa-rdfc-2022/employ", "DataInt", f"{EDDSA}/employmentAuth.json", "eddsa-rdfc-2022"),
    (f"{EDDSA}/eddsa-jcs-2022", "JCS", f"{EDDSA}/unsigned.json", "eddsa-jcs-2022"),
]
ECDSA_CASES = [
    (f"{ECDSA}/ecdsa-rdfc-2019-p256", "ECDSAP256", f"{ECDSA}/unsigned.json", "ecdsa-rdfc-2019", "P-256"),
    (f"{ECDSA}/ecdsa-rdfc-2019-p256/employ", "ECDSAP256", f"{ECDSA}/employmentAuth.json", "ecdsa-rdfc-2019", "P-256"),
    (f"{ECDSA}/ecdsa-rdfc-2019-p384", "ECDSAP384", f"{ECDSA}/unsigned.json", "ecdsa-rdfc-2019", "P-384"),
    (f"{ECDSA}/ecdsa-rdfc-2019-p384/employ", "ECDSAP384", f"{ECDSA}/employmentAuth.json", "ecdsa-rdfc-2019", "P-384"),
    (f"{ECDSA}/ecdsa-jcs-2019-p256", "JCSECDSAP256", f"{ECDSA}/unsigned.json", "ecdsa-jcs-2019", "P-256"),
    (f"{ECDSA}/ecdsa-jcs-2019-p384", "JCSECDSAP384", f"{ECDSA}/unsigned.json", "ecdsa-jcs-2019", "P-384"),
]


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _ok(checks: list[ProofCheck], count: int) -> None:
    assert [c.reason for c in checks if not c.ok] == []
    assert len(checks) == count


def _key_pair(entry: dict[str, str]) -> KeyPair:
    return KeyPair.from_multikey(entry["privateKeyMultibase"], entry["publicKeyMultibase"])


@pytest.mark.parametrize("case", EDDSA_CASES, ids=lambda c: c[0].split("TestVectors/")[1])
def test_eddsa_vectors_reproduce_every_intermediate_and_the_proof_value(
    test_data: Path, case: tuple[str, str, str, str]
) -> None:
    folder, suffix, document_path, cryptosuite = case
    base = test_data / folder
    suite = SUITES[cryptosuite]
    document = _json(test_data / document_path)
    config = _json(base / f"proofConfig{suffix}.json")
    # canonical forms
    if suite.canonicalization == "jcs":
        assert fast_jcs(document).decode() == _text(base / f"canonDoc{suffix}.txt")
        assert fast_jcs(config).decode() == _text(base / f"proofCanon{suffix}.txt")
    else:
        assert rdfc(document) == _text(base / f"canonDoc{suffix}.txt")
        assert rdfc(config) == _text(base / f"proofCanon{suffix}.txt")
    # hashes
    combined = hash_data(suite, config, document, curve="Ed25519")
    assert document_digest(suite, document, curve="Ed25519").hex() == _text(base / f"docHash{suffix}.txt").strip()
    assert combined[:32].hex() == _text(base / f"proofHash{suffix}.txt").strip()
    assert combined.hex() == _text(base / f"combinedHash{suffix}.txt").strip()
    # signature and the whole signed document, byte for byte
    key = _key_pair(_json(test_data / EDDSA / "keyPair.json"))
    assert key.sign(combined).hex() == _text(base / f"sigHex{suffix}.txt").strip()
    signed = add_proof(
        document,
        key=key,
        verification_method=config["verificationMethod"],
        cryptosuite=cryptosuite,
        created=config["created"],
    )
    expected = _json(base / f"signed{suffix}.json")
    assert signed["proof"]["proofValue"] == _text(base / f"sigBTC58{suffix}.txt").strip()
    assert json.dumps(signed, indent=2) == json.dumps(expected, indent=2)  # same members in the same order
    _ok(verify_proofs(expected, resolve_key=key_resolver()), 1)


@pytest.mark.parametrize("case", ECDSA_CASES, ids=lambda c: c[0].split("TestVectors/")[1])
def test_ecdsa_vectors_hash_as_published_and_verify(test_data: Path, case: tuple[str, str, str, str, str]) -> None:
    folder, suffix, document_path, cryptosuite, curve = case
    base = test_data / folder
    suite = SUITES[cryptosuite]
    document = _json(test_data / document_path)
    config = _json(base / f"proofConfig{suffix}.json")
    digest = hashlib.sha384 if curve == "P-384" else hashlib.sha256
    combined = hash_data(suite, config, document, curve=curve)
    assert combined.hex() == _text(base / f"combinedHash{suffix}.txt").strip()
    assert combined[: digest().digest_size].hex() == _text(base / f"proofHash{suffix}.txt").strip()
    assert document_digest(suite, document, curve=curve).hex() == _text(base / f"docHash{suffix}.txt").strip()
    signed = _json(base / f"signed{suffix}.json")
    assert signed["proof"]["proofValue"] == _text(base / f"sigBTC58{suffix}.txt").strip()
    checks = verify_proofs(signed, resolve_key=key_resolver())
    _ok(checks, 1)
    assert checks[0].cryptosuite == cryptosuite
    assert checks[0].verification_method == config["verificationMethod"]


def test_ecdsa_p256_vector_key_signs_proofs_that_verify(test_data: Path) -> None:
    entry = _json(test_data / ECDSA / "p256KeyPair.json")
    key = KeyPair.from_multikey(entry["secretKeyMultibase"], entry["publicKeyMultibase"])
    config = _json(test_data / ECDSA / "ecdsa-rdfc-2019-p256" / "proofConfigECDSAP256.json")
    for cryptosuite in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019"):
        signed = add_proof(
            _json(test_data / ECDSA / "unsigned.json"),
            key=key,
            verification_method=config["verificationMethod"],
            cryptosuite=cryptosuite,
            created=config["created"],
        )
        _ok(verify_proofs(signed, resolve_key=key_resolver()), 1)


def test_legacy_ed25519_signature_2020_vector_verifies(test_data: Path) -> None:
    base = test_data / EDDSA / "Ed25519Signature2020"
    signed = _json(base / "signedEdSig.json")
    checks = verify_proofs(signed, resolve_key=key_resolver())
    _ok(checks, 1)
    assert checks[0].cryptosuite == "Ed25519Signature2020"
    # its intermediate hashes too
    document = {k: v for k, v in signed.items() if k != "proof"}
    config = _json(base / "proofConfigEdSig.json")  # the configuration carries the document's @context
    combined = hash_data(LEGACY_ED25519_2020, config, document, curve="Ed25519")
    assert combined.hex() == _text(base / "combinedHashEdSig.txt").strip()
    signed["proof"]["created"] = "2023-02-24T23:36:39Z"
    assert not verify_proofs(signed, resolve_key=key_resolver())[0].ok


def _chain_keys(test_data: Path) -> list[KeyPair]:
    pairs = _json(test_data / CHAIN / "multiKeyPairs.json")
    return [_key_pair(pairs[f"keyPair{n}"]) for n in range(1, 5)]


def _add_from_config(document: dict[str, Any], key: KeyPair, config: dict[str, Any]) -> dict[str, Any]:
    return add_proof(
        document,
        key=key,
        verification_method=config["verificationMethod"],
        cryptosuite=config["cryptosuite"],
        created=config["created"],
        proof_id=config.get("id"),
        previous_proof=config.get("previousProof"),
    )


def test_proof_sets_and_chains_are_reproduced_byte_for_byte(test_data: Path) -> None:
    base = test_data / CHAIN
    keys = _chain_keys(test_data)
    document = _json(base / "unsigned.json")
    steps = [
        ("proofSetConfig1.json", "signedProofSet1.json", "proofSetConfigSigned1.json"),
        ("proofSetConfig2.json", "signedProofSet2.json", "proofSetConfigSigned2.json"),
        ("proofChainConfig1.json", "signedProofChain1.json", "proofChainConfigSigned1.json"),
        ("proofChainConfig2.json", "signedProofChain2.json", "proofChainConfigSigned2.json"),
    ]
    for key, (config_name, signed_name, proof_name) in zip(keys, steps, strict=True):
        document = _add_from_config(document, key, _json(base / config_name))
        assert json.dumps(document, indent=2) == json.dumps(_json(base / signed_name), indent=2)
        assert _as_list(document["proof"])[-1] == _json(base / proof_name)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_chained_proofs_sign_the_documented_temporary_documents(test_data: Path) -> None:
    base = test_data / CHAIN
    suite = SUITES["eddsa-rdfc-2022"]
    keys = _chain_keys(test_data)
    for n, key in ((1, keys[2]), (2, keys[3])):
        temporary = _json(base / f"proofChainTempDoc{n}.json")
        signed_proof = _json(base / f"proofChainConfigSigned{n}.json")
        config = {k: v for k, v in signed_proof.items() if k != "proofValue"}
        config["@context"] = temporary["@context"]
        expected = signed_proof["proofValue"]
        assert "z" + b58encode(key.sign(hash_data(suite, config, temporary, curve="Ed25519"))) == expected


@pytest.mark.parametrize(
    "name", ["signedProofSet1.json", "signedProofSet2.json", "signedProofChain1.json", "signedProofChain2.json"]
)
def test_proof_set_and_chain_vectors_verify(test_data: Path, name: str) -> None:
    document = _json(test_data / CHAIN / name)
    _ok(verify_proofs(document, resolve_key=key_resolver()), len(_as_list(document["proof"])))


def test_a_chain_whose_previous_proof_is_removed_fails(test_data: Path) -> None:
    document = _json(test_data / CHAIN / "signedProofChain2.json")
    document["proof"] = [p for p in document["proof"] if p.get("id") != "urn:uuid:d94f792a-c546-4d06-b38a-da070ab56c23"]
    checks = verify_proofs(document, resolve_key=key_resolver())
    assert [c.ok for c in checks] == [True, True, False]
    assert "chain is broken" in checks[2].reason


def test_a_chain_whose_previous_proof_is_altered_fails(test_data: Path) -> None:
    document = _json(test_data / CHAIN / "signedProofChain1.json")
    document["proof"][0]["created"] = "2023-02-24T23:36:39Z"  # breaks proof 1 and the chained proof 3
    assert [c.ok for c in verify_proofs(document, resolve_key=key_resolver())] == [False, True, False]


# -- 1EdTech Open Badges 3.0 and CLR 2.0 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("unsigned", "proof", "signed"),
    [
        (
            "obv3p0/linked-data-proof-ob-1.json",
            "obv3p0/linked-data-proof-ob-2.json",
            "obv3p0/linked-data-proof-ob-3.json",
        ),
        (
            "clrv2p0/linked-data-proof-clr-2.json",
            "clrv2p0/linked-data-proof-clr-3.json",
            "clrv2p0/linked-data-proof-clr-4.json",
        ),
    ],
    ids=["obv3p0", "clrv2p0"],
)
def test_1edtech_vectors_are_reproduced_and_verify(test_data: Path, unsigned: str, proof: str, signed: str) -> None:
    base = test_data / OB3
    expected_proof = _json(base / proof)
    key = KeyPair.from_secret(KeyType.ED25519, OB3_SEED)
    assert key.public.raw == OB3_PUBLIC
    ours = add_proof(
        _json(base / unsigned),
        key=key,
        verification_method=expected_proof["verificationMethod"],
        cryptosuite=expected_proof["cryptosuite"],
        created=expected_proof["created"],
    )
    assert ours["proof"] == expected_proof
    published = _json(base / signed)
    _ok(verify_proofs(published, resolve_key=ob3_vector_resolver), 1)
    _ok(verify_proofs(ours, resolve_key=ob3_vector_resolver), 1)
    published["credentialSubject"]["id"] = "did:example:someone-else"
    assert not verify_proofs(published, resolve_key=ob3_vector_resolver)[0].ok


def test_1edtech_vector_without_the_injected_resolver_fails_with_a_reason(test_data: Path) -> None:
    published = _json(test_data / OB3 / "obv3p0" / "linked-data-proof-ob-3.json")
    [check] = verify_proofs(published, resolve_key=key_resolver())  # no fetcher: https cannot resolve
    assert not check.ok
    assert "cannot be resolved" in check.reason
