"""ecdsa-sd-2023 (selective disclosure): the W3C vc-di-ecdsa test vectors, byte for byte, and round trips.

The vectors (tests/data/vectors/vc-di-ecdsa/TestVectors/ecdsa-sd-2023) give the issuer key, the proof-scoped key
and the HMAC key, every intermediate of the base proof (canonical and HMAC-relabelled N-Quads, proof and mandatory
hashes), the base proof, the groups of a derivation and the derived credential. Their ECDSA signatures are
deterministic (RFC 6979), so with the same keys Cairn must reproduce the base and derived proof values exactly.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cairn.errors import CredentialError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.canon.forms import quads, rdfc
from cairn.vc.canon.rdfc10 import canonical_labels, serialize
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs import ecdsa_sd
from cairn.vc.proofs.cbor import cbor_decode, cbor_encode
from cairn.vc.proofs.data_integrity import add_proof, key_resolver, verify_proofs

SD = "vectors/vc-di-ecdsa/TestVectors"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
ISSUER = KeyPair.from_secret(KeyType.P256, bytes(range(3, 35)))
DID = "did:key:" + ISSUER.public.multibase
VM = f"{DID}#{ISSUER.public.multibase}"
RESOLVE = key_resolver()

# (folder, unsigned input, mandatory pointers, selective pointers)
CASES = [
    ("employ", "employmentAuth.json", "employMandatory.json", "employSelective.json"),
    ("prc", None, "prCredMandatory.json", "prCredSelective.json"),
]

CREDENTIAL: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:3b0e3c5e-6a8b-4f5e-9f3e-0d6f3a1b2c4d",
    "type": ["VerifiableCredential", "ExampleAchievementCredential"],
    "issuer": {"id": DID, "name": "Example University"},
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {
        "id": "did:example:learner",
        "name": "Ann Example",
        "birthDate": "2001-02-03",
        "achievements": [
            {"type": "ExampleAchievement", "name": "First aid", "score": 91},
            {"type": "ExampleAchievement", "name": "Fire safety", "score": 77},
            {"type": "ExampleAchievement", "name": "Rope access", "score": 64},
        ],
        "address": {"locality": "Warsaw", "country": "PL"},
    },
}


def _json(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _vector(test_data: Path, case: tuple[str, str | None, str, str]) -> dict[str, Any]:
    name, unsigned, mandatory, selective = case
    root = test_data / SD
    folder = root / "ecdsa-sd-2023" / name
    signed = _json(folder, "addSignedSDBase.json")
    # prCredUnsigned.json was edited upstream after the prc vectors were made (its description differs from
    # the signed base document; it is not copied), so the prc input is the signed base document without its proof.
    document = _json(root, unsigned) if unsigned else {k: v for k, v in signed.items() if k != "proof"}
    keys = _json(root / "ecdsa-sd-2023", "SDKeyMaterial.json")
    return {
        "folder": folder,
        "document": document,
        "signed": signed,
        "mandatory": _json(root, mandatory),
        "selective": _json(root, selective),
        "issuer": KeyPair.from_multikey(keys["baseKeyPair"]["secretKeyMultibase"]),
        "proof_key": KeyPair.from_multikey(keys["proofKeyPair"]["secretKeyMultibase"]),
        "hmac_key": bytes.fromhex(keys["hmacKeyString"]),
    }


def _strip(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def _verifies(document: dict[str, Any]) -> tuple[bool, str]:
    checks = verify_proofs(document, resolve_key=RESOLVE)
    return all(c.ok for c in checks), "; ".join(c.reason for c in checks)


# -- the W3C vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_base_proof_intermediates_match_the_vectors(test_data: Path, case: tuple[str, str | None, str, str]) -> None:
    v = _vector(test_data, case)
    folder: Path = v["folder"]
    # The canonical N-Quads with c14n labels, then relabelled with HMAC-SHA-256 of each label and sorted.
    found = quads(v["document"])
    labels = canonical_labels(found)
    canonical = sorted(serialize((labels.get(s, s), p, labels.get(o, o), g)) for s, p, o, g in found)
    assert canonical == _json(folder, "addBaseDocCanon.json")
    groups, _, nquads = ecdsa_sd._canonicalize_and_group(
        v["document"], ecdsa_sd.hmac_label_factory(v["hmac_key"]), {"mandatory": v["mandatory"]}, None
    )
    assert nquads == _json(folder, "addBaseDocHMACCanon.json")
    transform = _json(folder, "addBaseTransform.json")
    assert [list(e) for e in groups["mandatory"].matching.items()] == transform["mandatory"]["value"]
    assert [list(e) for e in groups["mandatory"].non_matching.items()] == transform["nonMandatory"]["value"]
    assert transform["mandatoryPointers"] == v["mandatory"]
    for pointed in _json(folder, "addPointerValues.json"):
        selected = ecdsa_sd.select_json_ld([pointed["pointer"]], v["document"])
        assert selected is not None
        assert selected[pointed["pointer"].strip("/")] == pointed["value"]
    # The proof configuration, its hash and the mandatory hash.
    config = _json(folder, "addProofConfig.json")
    assert rdfc(config) == (folder / "addProofConfigCanon.txt").read_text(encoding="utf-8")
    hashes = _json(folder, "addHashData.json")
    assert ecdsa_sd._proof_hash(config, None).hex() == hashes["proofHash"]
    mandatory = list(groups["mandatory"].matching.values())
    assert ecdsa_sd._mandatory_hash(mandatory).hex() == hashes["mandatoryHash"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_base_proof_is_reproduced_byte_for_byte(test_data: Path, case: tuple[str, str | None, str, str]) -> None:
    v = _vector(test_data, case)
    config = _json(v["folder"], "addProofConfig.json")
    signed = ecdsa_sd.add_base_proof(
        v["document"],
        key=v["issuer"],
        verification_method=config["verificationMethod"],
        created=config["created"],
        mandatory_pointers=v["mandatory"],
        hmac_key=v["hmac_key"],
        proof_key=v["proof_key"],
        deterministic=True,
    )
    assert signed == v["signed"]
    raw = _json(v["folder"], "addRawBaseSignatureInfo.json")
    parsed = ecdsa_sd.parse_base_proof_value(signed["proof"]["proofValue"])
    assert parsed.base_signature.hex() == raw["baseSignature"]
    assert [s.hex() for s in parsed.signatures] == raw["signatures"]
    assert parsed.mandatory_pointers == raw["mandatoryPointers"] == v["mandatory"]
    assert parsed.hmac_key == v["hmac_key"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_derived_proof_is_reproduced_byte_for_byte(test_data: Path, case: tuple[str, str | None, str, str]) -> None:
    v = _vector(test_data, case)
    folder: Path = v["folder"]
    base = ecdsa_sd.parse_base_proof_value(v["signed"]["proof"]["proofValue"])
    combined = [*v["mandatory"], *v["selective"]]
    groups, _, _ = ecdsa_sd._canonicalize_and_group(
        _strip(v["signed"]),
        ecdsa_sd.hmac_label_factory(base.hmac_key),
        {"mandatory": v["mandatory"], "selective": v["selective"], "combined": combined},
        None,
    )
    indexes = _json(folder, "derivedGroupIndexes.json")
    assert list(groups["combined"].matching) == indexes["combinedIndexes"]
    assert list(groups["mandatory"].matching) == indexes["mandatoryIndexes"]
    assert list(groups["mandatory"].non_matching) == indexes["nonMandatoryIndexes"]
    assert list(groups["selective"].matching) == indexes["selectiveIndexes"]

    derived = ecdsa_sd.derive(v["signed"], selective_pointers=v["selective"])
    assert derived == _json(folder, "derivedRevealDocument.json")
    assert _strip(derived) == _json(folder, "derivedUnsignedReveal.json")
    parsed = ecdsa_sd.parse_derived_proof_value(derived["proof"]["proofValue"])
    disclosure = _json(folder, "derivedDisclosureData.json")
    assert parsed.base_signature.hex() == disclosure["baseSignature"]
    assert [s.hex() for s in parsed.signatures] == disclosure["signatures"]
    assert parsed.label_map == dict(disclosure["labelMap"]["value"])
    assert parsed.mandatory_indexes == disclosure["mandatoryIndexes"]
    assert parsed.mandatory_indexes == _json(folder, "derivedAdjMandatoryIndexes.json")["adjMandatoryIndexes"]
    assert multibase.encode(parsed.public_key) == disclosure["publicKey"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_derived_vector_verifies_with_the_published_verify_data(
    test_data: Path, case: tuple[str, str | None, str, str]
) -> None:
    v = _vector(test_data, case)
    folder: Path = v["folder"]
    derived = _json(folder, "derivedRevealDocument.json")
    ok, reason = _verifies(derived)
    assert ok, reason
    parsed = ecdsa_sd.parse_derived_proof_value(derived["proof"]["proofValue"])
    nquads, _ = ecdsa_sd._canonical_nquads(quads(_strip(derived)), ecdsa_sd._label_map_factory(parsed.label_map))
    assert nquads == _json(folder, "verifyNQuads.json")
    data = _json(folder, "verifyCreateVerifyData.json")
    non_mandatory = [nq for i, nq in enumerate(nquads) if i not in parsed.mandatory_indexes]
    assert non_mandatory == data["nonMandatory"]
    mandatory = [nq for i, nq in enumerate(nquads) if i in parsed.mandatory_indexes]
    assert hashlib.sha256("".join(mandatory).encode()).hexdigest() == data["mandatoryHash"]


# -- round trips -----------------------------------------------------------------------------------


def _issue(pointers: list[str] | None = None) -> dict[str, Any]:
    signed = issue(CREDENTIAL, key=ISSUER, suite="ecdsa-sd-2023", created=NOW, mandatory_pointers=pointers)
    assert isinstance(signed, dict)
    return signed


@pytest.mark.parametrize(
    ("selective", "shown", "hidden"),
    [
        ([], [], ["name", "birthDate", "achievements", "address"]),
        (["/credentialSubject/name"], ["name"], ["birthDate", "achievements", "address"]),
        (["/credentialSubject/achievements/1"], ["achievements"], ["name", "birthDate", "address"]),
        (["/credentialSubject/address/locality", "/credentialSubject/birthDate"], ["address", "birthDate"], ["name"]),
        (["/credentialSubject"], ["name", "birthDate", "achievements", "address"], []),
    ],
)
def test_derive_then_verify(selective: list[str], shown: list[str], hidden: list[str]) -> None:
    base = _issue()
    derived = ecdsa_sd.derive(base, selective_pointers=selective)
    ok, reason = _verifies(derived)
    assert ok, reason
    if not selective:  # nothing of the subject is disclosed, not even that there is one
        assert "credentialSubject" not in derived
        return
    subject = derived["credentialSubject"]
    assert subject["id"] == "did:example:learner"  # the id of every node on a pointer's path is kept
    for name in shown:
        assert name in subject
    for name in hidden:
        assert name not in subject
    if "achievements" in shown and selective == ["/credentialSubject/achievements/1"]:
        assert subject["achievements"] == [CREDENTIAL["credentialSubject"]["achievements"][1]]
    if selective == ["/credentialSubject/address/locality", "/credentialSubject/birthDate"]:
        assert subject["address"] == {"locality": "Warsaw"}


def test_mandatory_pointers_are_always_disclosed() -> None:
    base = _issue(["/issuer", "/validFrom", "/credentialSubject/name"])
    derived = ecdsa_sd.derive(base, selective_pointers=["/credentialSubject/address/country"])
    assert derived["issuer"] == CREDENTIAL["issuer"]
    assert derived["validFrom"] == CREDENTIAL["validFrom"]
    assert derived["credentialSubject"]["name"] == "Ann Example"
    assert derived["credentialSubject"]["address"] == {"country": "PL"}
    assert "birthDate" not in derived["credentialSubject"]
    ok, reason = _verifies(derived)
    assert ok, reason
    # Hiding a mandatory statement breaks the base signature.
    hidden = copy.deepcopy(derived)
    del hidden["credentialSubject"]["name"]
    ok, reason = _verifies(hidden)
    assert not ok
    assert "does not verify" in reason


def test_issue_defaults_to_the_issuer_validity_and_status_as_mandatory() -> None:
    base = _issue()
    pointers = ecdsa_sd.parse_base_proof_value(base["proof"]["proofValue"]).mandatory_pointers
    assert pointers == ["/issuer", "/validFrom"]  # the ones the credential has
    derived = ecdsa_sd.derive(base, selective_pointers=[])
    assert derived["issuer"] == CREDENTIAL["issuer"]
    assert derived["validFrom"] == CREDENTIAL["validFrom"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["credentialSubject"].__setitem__("name", "Bob Example"),
        lambda d: d["credentialSubject"].__setitem__("birthDate", "1999-01-01"),
        lambda d: d.__setitem__("validFrom", "2020-01-01T00:00:00Z"),
        lambda d: d["issuer"].__setitem__("name", "Another University"),
        lambda d: d["proof"].__setitem__("created", "2020-01-01T00:00:00Z"),
    ],
    ids=["disclosed-value", "added-statement", "mandatory-value", "issuer-name", "proof-option"],
)
def test_a_tampered_derived_credential_is_refused(tamper: Any) -> None:
    derived = ecdsa_sd.derive(_issue(), selective_pointers=["/credentialSubject/name"])
    assert _verifies(derived)[0]
    changed = copy.deepcopy(derived)
    tamper(changed)
    ok, reason = _verifies(changed)
    assert not ok
    assert "ecdsa-sd-2023" in reason


def test_signature_count_label_map_and_headers_are_checked() -> None:
    derived = ecdsa_sd.derive(_issue(), selective_pointers=["/credentialSubject/name", "/credentialSubject/address"])
    parsed = ecdsa_sd.parse_derived_proof_value(derived["proof"]["proofValue"])
    assert list(parsed.label_map) == ["c14n0"]  # the address is the one blank node disclosed

    def with_value(value: ecdsa_sd.DerivedProofValue | str) -> tuple[bool, str]:
        changed = copy.deepcopy(derived)
        text = value if isinstance(value, str) else ecdsa_sd.serialize_derived_proof_value(value)
        changed["proof"]["proofValue"] = text
        return _verifies(changed)

    fewer = ecdsa_sd.DerivedProofValue(
        parsed.base_signature, parsed.public_key, parsed.signatures[1:], parsed.label_map, parsed.mandatory_indexes
    )
    ok, reason = with_value(fewer)
    assert not ok
    assert "signatures for" in reason
    no_labels = ecdsa_sd.DerivedProofValue(
        parsed.base_signature, parsed.public_key, parsed.signatures, {}, parsed.mandatory_indexes
    )
    ok, reason = with_value(no_labels)
    assert not ok
    assert "label" in reason
    value = derived["proof"]["proofValue"]
    assert not with_value(value[1:])[0]  # no multibase 'u'
    assert not with_value("u" + multibase.b64url_encode(multibase.b64url_decode(value[1:])[3:]))[0]  # no header
    base_value = _issue()["proof"]["proofValue"]
    ok, reason = with_value(base_value)
    assert not ok
    assert "derive before presenting" in reason


def test_base_proofs_are_refused_by_verifiers() -> None:
    ok, reason = _verifies(_issue())
    assert not ok
    assert "base proof" in reason


def test_pointers_that_match_nothing_are_refused() -> None:
    with pytest.raises(CredentialError, match="does not match"):
        _issue(["/credentialSubject/invalidPointer"])
    with pytest.raises(CredentialError, match="does not match"):
        ecdsa_sd.derive(_issue(), selective_pointers=["/credentialSubject/achievements/7"])
    with pytest.raises(CredentialError, match="JSON Pointers"):
        _issue(["credentialSubject"])


def test_p384_and_other_keys_cannot_make_sd_proofs() -> None:
    with pytest.raises(KeyFormatError, match="P-256"):
        ecdsa_sd.add_base_proof(CREDENTIAL, key=KeyPair.generate(KeyType.P384), verification_method=VM, created=NOW)
    with pytest.raises(CredentialError, match="P-256"):
        issue(CREDENTIAL, key=KeyPair.generate(KeyType.ED25519), suite="ecdsa-sd-2023", created=NOW)


def test_add_proof_makes_sd_base_proofs_alone() -> None:
    signed = add_proof(
        CREDENTIAL,
        key=ISSUER,
        verification_method=VM,
        cryptosuite="ecdsa-sd-2023",
        created=NOW,
        mandatory_pointers=["/issuer"],
    )
    assert signed["proof"]["proofValue"].startswith("u2V0A")  # d9 5d 00
    with pytest.raises(CredentialError, match="only proof"):
        add_proof(signed, key=ISSUER, verification_method=VM, cryptosuite="ecdsa-sd-2023", created=NOW)
    with pytest.raises(CredentialError, match="mandatory pointers"):
        add_proof(
            CREDENTIAL,
            key=ISSUER,
            verification_method=VM,
            cryptosuite="ecdsa-rdfc-2019",
            created=NOW,
            mandatory_pointers=["/issuer"],
        )


def test_cbor_is_strict() -> None:
    assert cbor_decode(cbor_encode([b"ab", "x", 300, {2: b"c", 1: b"d"}])) == [
        b"ab",
        "x",
        300,
        {1: b"d", 2: b"c"},
    ]
    assert cbor_encode({2: b"", 1: b""})[1:2] == b"\x01"  # map keys in order
    for bad in (b"\xc1\x00", b"\x9f\xff", b"\x82\x01", b"\x01\x02", b"\xf5", b"\x62\xff\xfe", b"\xa2\x01\x40\x01\x40"):
        with pytest.raises(CredentialError):
            cbor_decode(bad)


def test_select_json_ld_follows_the_specification() -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:x",
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "_:b0", "type": "Person", "a": [1, 2, 3], "b": {"c": "d", "e": "f"}, "x/y": 1},
    }
    assert ecdsa_sd.select_json_ld([], document) is None
    selected = ecdsa_sd.select_json_ld(
        ["/credentialSubject/a/2", "/credentialSubject/a/0", "/credentialSubject/x~1y"], document
    )
    assert selected == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:x",
        "type": ["VerifiableCredential"],
        "credentialSubject": {"type": "Person", "a": [1, 3], "x/y": 1},  # a blank node id is not kept
    }
    whole = ecdsa_sd.select_json_ld(["/credentialSubject/b"], document)
    assert whole is not None
    assert whole["credentialSubject"]["b"] == {"c": "d", "e": "f"}


def test_a_holder_checks_a_base_proof_by_deriving_everything() -> None:
    """The pointer "" selects the whole credential: what a wallet verifies on import, before choosing what to show."""
    base = _issue()
    everything = ecdsa_sd.derive(base, selective_pointers=[""])
    assert _strip(everything) == CREDENTIAL
    ok, reason = _verifies(everything)
    assert ok, reason
    forged = copy.deepcopy(base)
    forged["credentialSubject"]["name"] = "Mallory"
    ok, _ = _verifies(ecdsa_sd.derive(forged, selective_pointers=[""]))
    assert not ok
