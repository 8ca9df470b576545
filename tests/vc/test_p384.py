"""P-384: keys (Multikey, JWK, did:key), ecdsa-rdfc-2019 / ecdsa-jcs-2019 with SHA-384, and the W3C vectors.

The vc-di-ecdsa P-384 vectors give the key pair and every intermediate (canonical forms, SHA-384 hashes, an
``r || s`` signature); ECDSA signatures are randomised, so the published signature is verified and ours is
checked by verification, not compared.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from cairn.cli.main import cli
from cairn.errors import CredentialError, DidResolutionError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.canon.forms import rdfc
from cairn.vc.dids import (
    VerificationMethod,
    did_key,
    did_key_document,
    find_verification_method,
    public_key_from_did_key,
    resolve_did,
    resolve_verification_method,
)
from cairn.vc.issuance import default_verification_method, issue
from cairn.vc.keys import KeyPair, KeyType, PublicKey, dump_key_pair, load_key_pair
from cairn.vc.proofs.data_integrity import add_proof, key_resolver, verify_proofs
from cairn.vc.proofs.jose import sign_jwt, verify_jwt
from cairn.vc.proofs.suites import SUITES, P384PublicKey, b58decode, b58encode, document_digest, fast_jcs, hash_data
from cairn.vc.report import Outcome
from cairn.vc.verification import verify

ECDSA = "vectors/vc-di-ecdsa/TestVectors"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
P384_ORDER = int("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16)
SECRET = bytes(range(1, 49))
PAIR = KeyPair.from_secret(KeyType.P384, SECRET)
P256 = KeyPair.from_secret(KeyType.P256, bytes(range(2, 34)))

# (folder, file suffix, input document, cryptosuite)
VECTORS = [
    ("ecdsa-rdfc-2019-p384", "ECDSAP384", "unsigned.json", "ecdsa-rdfc-2019"),
    ("ecdsa-rdfc-2019-p384/employ", "ECDSAP384", "employmentAuth.json", "ecdsa-rdfc-2019"),
    ("ecdsa-jcs-2019-p384", "JCSECDSAP384", "unsigned.json", "ecdsa-jcs-2019"),
]
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "issuer": did_key(PAIR.public),
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _vector_pair(test_data: Path) -> KeyPair:
    entry = _json(test_data / ECDSA / "p384KeyPair.json")
    return KeyPair.from_multikey(entry["secretKeyMultibase"], entry["publicKeyMultibase"])


def _reasons(document: Any) -> list[str]:
    return [c.reason for c in verify_proofs(document, resolve_key=key_resolver()) if not c.ok]


# -- the W3C vectors ---------------------------------------------------------------------------


def test_the_vector_key_pair_reads_and_writes_back_byte_for_byte(test_data: Path) -> None:
    text = _text(test_data / ECDSA / "p384KeyPair.json")
    pair = load_key_pair(text)
    assert pair.kind is KeyType.P384
    assert len(pair.secret) == 48
    assert len(pair.public.raw) == 49
    assert dump_key_pair(pair, secret_field="secretKeyMultibase", indent=2, trailing_newline=True) == text
    assert multibase.decode(pair.public_multibase)[1][:2] == b"\x81\x24"  # p384-pub 0x1201
    assert multibase.decode(pair.secret_multibase)[1][:2] == b"\x87\x26"  # p384-priv 0x1307


@pytest.mark.parametrize("case", VECTORS, ids=[c[0] for c in VECTORS])
def test_p384_vectors_reproduce_every_intermediate_and_verify(test_data: Path, case: tuple[str, str, str, str]) -> None:
    folder, suffix, document_name, cryptosuite = case
    base = test_data / ECDSA / folder
    suite = SUITES[cryptosuite]
    document = _json(test_data / ECDSA / document_name)
    config = _json(base / f"proofConfig{suffix}.json")
    # canonical forms: RDFC-1.0 runs with SHA-384 on P-384
    if suite.canonicalization == "jcs":
        canon_doc, canon_config = fast_jcs(document), fast_jcs(config)
    else:
        canon_doc = rdfc(document, hash_algorithm="sha384").encode()
        canon_config = rdfc(config, hash_algorithm="sha384").encode()
    assert canon_doc.decode() == _text(base / f"canonDoc{suffix}.txt")
    assert canon_config.decode() == _text(base / f"proofCanon{suffix}.txt")
    # SHA-384 hashes, proof configuration first
    assert hashlib.sha384(canon_doc).hexdigest() == _text(base / f"docHash{suffix}.txt").strip()
    assert hashlib.sha384(canon_config).hexdigest() == _text(base / f"proofHash{suffix}.txt").strip()
    combined = hash_data(suite, config, document, curve="P-384")
    assert len(combined) == 96
    assert combined.hex() == _text(base / f"combinedHash{suffix}.txt").strip()
    assert document_digest(suite, document, curve="P-384") == combined[48:]
    # the published signature: r || s, 96 bytes, valid for the hashes under the vector's key
    pair = _vector_pair(test_data)
    signature = bytes.fromhex(_text(base / f"sigHex{suffix}.txt").strip())
    assert len(signature) == 96
    assert pair.public.verify(signature, combined)
    assert not pair.public.verify(signature, combined[:48] + bytes(48))
    assert "z" + b58encode(signature) == _text(base / f"sigBTC58{suffix}.txt").strip()
    # the published signed document verifies through both resolvers (proofs' and the verifier's)
    signed = _json(base / f"signed{suffix}.json")
    assert signed["proof"]["proofValue"] == _text(base / f"sigBTC58{suffix}.txt").strip()
    assert signed["proof"]["verificationMethod"] == f"{did_key(pair.public)}#{pair.public_multibase}"
    assert _reasons(signed) == []
    [check] = verify_proofs(signed, resolve_key=lambda url, purpose: resolve_verification_method(url, purpose=purpose))
    assert check.ok
    assert check.cryptosuite == cryptosuite
    assert verify(signed, now=NOW).outcome_of("proof") is Outcome.PASS
    # our own proof with the vector's key and options: the same document and proof, another (random) value
    ours = add_proof(
        document,
        key=pair,
        verification_method=config["verificationMethod"],
        cryptosuite=cryptosuite,
        created=config["created"],
    )
    ours_value, published_value = ours["proof"].pop("proofValue"), signed["proof"].pop("proofValue")
    assert ours == signed
    assert pair.public.verify(b58decode(ours_value[1:]), combined)  # it signed exactly the published hashes
    ours["proof"]["proofValue"] = ours_value
    assert _reasons(ours) == []
    signed["proof"]["proofValue"] = published_value


@pytest.mark.parametrize("case", VECTORS, ids=[c[0] for c in VECTORS])
def test_a_tampered_p384_vector_fails(test_data: Path, case: tuple[str, str, str, str]) -> None:
    folder, suffix, _, _ = case
    signed = _json(test_data / ECDSA / folder / f"signed{suffix}.json")
    changed = json.loads(json.dumps(signed))
    changed["credentialSubject"]["id"] = "did:example:someone-else"
    [reason] = _reasons(changed)
    assert "does not verify" in reason
    assert verify(changed, now=NOW).outcome_of("proof") is Outcome.FAIL
    later = json.loads(json.dumps(signed))
    later["proof"]["created"] = "2023-02-24T23:36:39Z"
    assert "does not verify" in _reasons(later)[0]
    flipped = json.loads(json.dumps(signed))
    raw = bytearray(b58decode(signed["proof"]["proofValue"][1:]))
    raw[50] ^= 1
    flipped["proof"]["proofValue"] = "z" + b58encode(bytes(raw))
    assert "does not verify" in _reasons(flipped)[0]


# -- signing and verifying ---------------------------------------------------------------------


@pytest.mark.parametrize("cryptosuite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_sign_then_verify_round_trip(cryptosuite: str) -> None:
    signed = issue(CREDENTIAL, key=PAIR, suite=cryptosuite, created="2026-05-04T09:30:00Z")
    assert isinstance(signed, dict)
    assert signed["proof"]["verificationMethod"] == default_verification_method(PAIR)
    assert signed["proof"]["verificationMethod"].startswith("did:key:z82L")
    assert len(b58decode(signed["proof"]["proofValue"][1:])) == 96
    assert _reasons(signed) == []
    report = verify(signed, now=NOW)
    assert report.verified, [c.reason for c in report.checks]
    signed["name"] = "Forged Credential"
    assert "does not verify" in _reasons(signed)[0]
    assert not verify(signed, now=NOW).verified


def test_mixing_curve_and_hash_fails() -> None:
    suite = SUITES["ecdsa-rdfc-2019"]
    method = default_verification_method(PAIR)
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite.name,
        "created": "2026-05-04T09:30:00Z",
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
    }
    unsecured = {k: v for k, v in CREDENTIAL.items() if k != "proof"}
    config = {**proof, "@context": CREDENTIAL["@context"]}
    sha384_data, sha256_data = (hash_data(suite, config, unsecured, curve=c) for c in ("P-384", "P-256"))
    assert len(sha384_data) == 96
    assert len(sha256_data) == 64
    assert sha384_data[:48] != hashlib.sha384(b"").digest()

    def with_signature(signature: bytes) -> dict[str, Any]:
        return {**CREDENTIAL, "proof": {**proof, "proofValue": "z" + b58encode(signature)}}

    assert _reasons(with_signature(PAIR.sign(sha384_data))) == []
    # a P-384 key over the SHA-256 (P-256) hash data
    assert "does not verify" in _reasons(with_signature(PAIR.sign(sha256_data)))[0]
    # ECDSA P-384 with SHA-256 as the signature's hash, over the right hash data
    private = ec.derive_private_key(int.from_bytes(SECRET, "big"), ec.SECP384R1())
    r, s = decode_dss_signature(private.sign(sha384_data, ec.ECDSA(hashes.SHA256())))
    assert "does not verify" in _reasons(with_signature(r.to_bytes(48, "big") + s.to_bytes(48, "big")))[0]
    # a P-256 signature (64 bytes) under a P-384 method, and a P-384 one under a P-256 method
    assert "a P-384 signature has 96" in _reasons(with_signature(P256.sign(sha256_data)))[0]
    p256_proof = {**proof, "verificationMethod": default_verification_method(P256)}
    mixed = {**CREDENTIAL, "proof": {**p256_proof, "proofValue": "z" + b58encode(PAIR.sign(sha384_data))}}
    assert "a P-256 signature has 64" in _reasons(mixed)[0]
    assert not P256.public.verify(PAIR.sign(b"m"), b"m")
    assert not PAIR.public.verify(P256.sign(b"m"), b"m")
    # an eddsa suite with a P-384 key: refused when signing and when verifying
    with pytest.raises(KeyFormatError, match="needs a Ed25519 key, not P-384"):
        add_proof(CREDENTIAL, key=PAIR, verification_method=method, cryptosuite="eddsa-rdfc-2022", created=None)
    with pytest.raises(CredentialError, match="needs an Ed25519 key, not P-384"):
        issue(CREDENTIAL, key=PAIR, suite="eddsa-jcs-2022", created="2026-05-04T09:30:00Z")
    eddsa = {**proof, "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z" + b58encode(PAIR.sign(sha384_data))}
    assert "eddsa-rdfc-2022 needs a Ed25519 key, but" in _reasons({**CREDENTIAL, "proof": eddsa})[0]


def test_ecdsa_signatures_accept_high_s_and_refuse_out_of_range_numbers() -> None:
    signature = PAIR.sign(b"m")
    r, s = int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big")
    assert PAIR.verify(r.to_bytes(48, "big") + (P384_ORDER - s).to_bytes(48, "big"), b"m")
    assert not PAIR.verify(bytes(48) + signature[48:], b"m")
    assert not PAIR.verify(signature[:48] + P384_ORDER.to_bytes(48, "big"), b"m")
    assert not PAIR.verify(signature[:-1], b"m")
    assert not PAIR.verify(signature + b"\0", b"m")


# -- keys, JWK and did:key ---------------------------------------------------------------------


def test_p384_key_pairs_from_secret_multikey_and_jwk() -> None:
    assert KeyPair.from_secret("P-384", SECRET) == PAIR
    assert "secret hidden" in repr(PAIR)
    assert SECRET.hex() not in repr(PAIR)
    assert KeyPair.from_multikey(PAIR.secret_multibase, PAIR.public_multibase) == PAIR
    assert PAIR.secret_multibase.startswith("z2fa")
    jwk = PAIR.to_jwk(private=True)
    assert jwk["kty"] == "EC"
    assert jwk["crv"] == "P-384"
    assert all(len(multibase.b64url_decode(jwk[m])) == 48 for m in ("x", "y", "d"))
    assert KeyPair.from_jwk(jwk) == PAIR
    assert KeyPair.from_jwk({**jwk, "alg": "ES384"}) == PAIR
    assert PublicKey.from_jwk(PAIR.to_jwk()) == PAIR.public
    assert PAIR.jose_alg == KeyType.P384.jose_alg == "ES384"
    assert len(PAIR.public.jwk_thumbprint()) == 43
    generated = KeyPair.generate("P-384")
    assert generated.kind is KeyType.P384
    assert generated != PAIR
    assert generated.verify(generated.sign(b"x"), b"x")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: KeyPair.from_secret(KeyType.P384, bytes(32)), "must be 48 bytes"),
        (lambda: KeyPair.from_secret(KeyType.P384, bytes(48)), "between 1 and the group order"),
        (lambda: KeyPair.from_secret(KeyType.P384, P384_ORDER.to_bytes(48, "big")), "between 1 and the group order"),
        (lambda: PublicKey(KeyType.P384, PAIR.public.raw[:33]), "must be 49 bytes"),
        (lambda: PublicKey(KeyType.P384, b"\x04" + bytes(48)), "compressed point"),
        (lambda: PublicKey(KeyType.P384, b"\x02" + b"\xff" * 48), "not a valid P-384"),
        (lambda: PublicKey(KeyType.P256, PAIR.public.raw), "must be 33 bytes"),
        (lambda: KeyPair.from_multikey(PAIR.secret_multibase, P256.public_multibase), "does not belong"),
        (lambda: KeyPair.from_multikey(PAIR.public_multibase), "holds a public key"),
        (lambda: PublicKey.from_multibase(PAIR.secret_multibase), "holds a secret key"),
        (lambda: KeyPair.from_jwk({**PAIR.to_jwk(private=True), "alg": "ES256"}), "does not fit a P-384"),
        (lambda: KeyPair.from_jwk({**P256.to_jwk(private=True), "crv": "P-384"}), "must be 48 bytes"),
        (lambda: PublicKey.from_jwk({**PAIR.to_jwk(), "y": PAIR.to_jwk()["x"]}), "not a point on P-384"),
        (lambda: PublicKey.from_jwk({**PAIR.to_jwk(), "crv": "P-521"}), "EC/P-384"),
    ],
)
def test_bad_p384_keys_are_refused(build: Any, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        build()


def test_did_key_round_trip() -> None:
    public = PAIR.public
    did = did_key(public)
    assert did == "did:key:" + public.multibase
    assert did.startswith("did:key:z82L")
    assert public_key_from_did_key(did) == public
    assert public_key_from_did_key(f"{did}#{public.multibase}") == public
    document = did_key_document(did)
    assert document == resolve_did(did) == did_key_document(public)
    assert document["verificationMethod"] == [
        {
            "id": f"{did}#{public.multibase}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": public.multibase,
        }
    ]
    assert document["assertionMethod"] == [f"{did}#{public.multibase}"]
    method = find_verification_method(f"{did}#{public.multibase}", purpose="assertionMethod")
    assert method.public_key == public
    assert method.controller == did
    assert VerificationMethod.from_dict(method.to_dict()) == method
    as_jwk = VerificationMethod.json_web_key(did, public)
    assert VerificationMethod.from_dict(as_jwk.to_dict()).public_key == public
    assert key_resolver()(f"{did}#{public.multibase}", "assertionMethod") == public
    with pytest.raises(DidResolutionError, match="fragment"):
        public_key_from_did_key(f"{did}#z82Lother")
    with pytest.raises(DidResolutionError, match="no usable key"):
        public_key_from_did_key("did:key:" + multibase.encode(multibase.add_multicodec(0x1201, b"\x02" * 49)))


def test_the_older_p384_public_key_equals_the_new_one() -> None:
    old = P384PublicKey(PAIR.public.raw)
    assert old == PAIR.public
    assert PAIR.public == old
    assert old.public_key == PAIR.public
    assert hash(old) == hash(PAIR.public)
    assert old.multibase == PAIR.public_multibase
    assert old.verify(PAIR.sign(b"m"), b"m")
    assert old != P256.public
    signed = add_proof(
        CREDENTIAL,
        key=PAIR,
        verification_method=default_verification_method(PAIR),
        cryptosuite="ecdsa-jcs-2019",
        created="2026-05-04T09:30:00Z",
    )
    assert all(c.ok for c in verify_proofs(signed, resolve_key=lambda url, purpose: old))


# -- JOSE and the command line -----------------------------------------------------------------


def test_es384_jwts_round_trip_and_es256_does_not_fit_a_p384_key() -> None:
    signed = sign_jwt({"a": 1}, key=PAIR, kid=default_verification_method(PAIR))
    assert json.loads(multibase.b64url_decode(signed.split(".")[0]))["alg"] == "ES384"
    assert len(multibase.b64url_decode(signed.split(".")[2])) == 96  # r || s, 48 bytes each
    assert verify_jwt(signed, resolve_key=lambda header: PAIR.public).ok
    forged = signed[:-4] + ("AAAA" if not signed.endswith("AAAA") else "BBBB")
    assert not verify_jwt(forged, resolve_key=lambda header: PAIR.public).ok
    token = sign_jwt({"a": 1}, key=P256, kid="k")
    result = verify_jwt(token, resolve_key=lambda header: PAIR.public)
    assert not result.ok
    assert result.reason == "alg ES256 does not fit the P-384 key"


def test_cli_generates_p384_keys_that_issue_and_verify(tmp_path: Path) -> None:
    runner = CliRunner()
    generated = runner.invoke(cli, ["keys", "generate", "--type", "p384"])
    assert generated.exit_code == 0, generated.output
    assert list(json.loads(generated.output)) == ["publicKeyMultibase", "secretKeyMultibase"]
    pair = load_key_pair(generated.output)
    assert pair.kind is KeyType.P384
    assert pair.public_multibase.startswith("z82L")
    key_file = tmp_path / "key.json"
    key_file.write_text(generated.output, encoding="utf-8")
    source = tmp_path / "vc.json"
    source.write_text(json.dumps({**CREDENTIAL, "issuer": did_key(pair.public)}), encoding="utf-8")
    issued = runner.invoke(
        cli,
        [
            "vc",
            "issue",
            "--key",
            str(key_file),
            "--suite",
            "ecdsa-rdfc-2019",
            "--created",
            "2026-05-04T09:30:00Z",
            str(source),
        ],
    )
    assert issued.exit_code == 0, issued.output
    verified = runner.invoke(cli, ["vc", "verify", "-"], input=issued.output)
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["verified"] is True
    forged = issued.output.replace("The School of Examples", "The School of Forgery")
    assert runner.invoke(cli, ["vc", "verify", "-"], input=forged).exit_code == 1
