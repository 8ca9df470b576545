"""Ed25519 and P-256 keys: W3C vectors, Multikey and JWK forms, signing, and refusals."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from cairn.errors import KeyFormatError
from cairn.vc import multibase
from cairn.vc.keys import KeyPair, KeyType, PublicKey, dump_key_pair, load_key_pair

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ED_SEED = bytes(range(32))
P256_SECRET = bytes(range(1, 33))
# RFC 8037 appendix A.1: an Ed25519 private JWK and its public key.
RFC8037_JWK = {
    "kty": "OKP",
    "crv": "Ed25519",
    "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
}


@pytest.fixture(scope="module")
def eddsa_vectors(test_data: Path) -> Path:
    return test_data / "vectors" / "vc-di-eddsa" / "TestVectors"


@pytest.fixture(scope="module")
def ecdsa_vectors(test_data: Path) -> Path:
    return test_data / "vectors" / "vc-di-ecdsa" / "TestVectors"


def test_eddsa_vector_key_pair_reproduces_its_multibase_forms(eddsa_vectors: Path) -> None:
    vector = json.loads((eddsa_vectors / "keyPair.json").read_text())
    pair = KeyPair.from_multikey(vector["privateKeyMultibase"], vector["publicKeyMultibase"])
    assert pair.kind is KeyType.ED25519
    assert pair.public_multibase == vector["publicKeyMultibase"]
    assert pair.secret_multibase == vector["privateKeyMultibase"]
    assert PublicKey.from_multibase(vector["publicKeyMultibase"]) == pair.public


def test_eddsa_vector_signature_verifies_and_is_reproduced(eddsa_vectors: Path) -> None:
    pair = load_key_pair((eddsa_vectors / "keyPair.json").read_text())
    folder = eddsa_vectors / "eddsa-rdfc-2022"
    combined = bytes.fromhex((folder / "combinedHashDataInt.txt").read_text().strip())
    signature = bytes.fromhex((folder / "sigHexDataInt.txt").read_text().strip())
    assert pair.sign(combined) == signature
    assert pair.public.verify(signature, combined)
    assert not pair.public.verify(signature, combined[:-1] + b"\x00")


def test_dump_key_pair_writes_exactly_the_vector_files(eddsa_vectors: Path, ecdsa_vectors: Path) -> None:
    eddsa_text = (eddsa_vectors / "keyPair.json").read_text()
    assert dump_key_pair(load_key_pair(eddsa_text)) == eddsa_text
    p256_text = (ecdsa_vectors / "p256KeyPair.json").read_text()
    p256 = load_key_pair(p256_text)
    assert dump_key_pair(p256, secret_field="secretKeyMultibase", indent=2, trailing_newline=True) == p256_text


def test_p256_vector_key_pair_reproduces_its_multibase_forms(ecdsa_vectors: Path) -> None:
    vector = json.loads((ecdsa_vectors / "p256KeyPair.json").read_text())
    pair = KeyPair.from_multikey(vector["secretKeyMultibase"], vector["publicKeyMultibase"])
    assert pair.kind is KeyType.P256
    assert pair.public_multibase == vector["publicKeyMultibase"]
    assert pair.secret_multibase == vector["secretKeyMultibase"]
    assert len(pair.public.raw) == 33


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019-p256", "ecdsa-jcs-2019-p256"])
def test_p256_vector_signatures_verify(ecdsa_vectors: Path, suite: str) -> None:
    pair = load_key_pair((ecdsa_vectors / "p256KeyPair.json").read_text())
    folder = ecdsa_vectors / suite
    suffix = "JCSECDSAP256" if "jcs" in suite else "ECDSAP256"
    combined = bytes.fromhex((folder / f"combinedHash{suffix}.txt").read_text().strip())
    signature = bytes.fromhex((folder / f"sigHex{suffix}.txt").read_text().strip())
    assert pair.public.verify(signature, combined)
    base58_value = (folder / f"sigBTC58{suffix}.txt").read_text().strip()
    assert multibase.decode(base58_value) == ("z", signature)


@pytest.mark.parametrize("kind", list(KeyType))
def test_sign_and_verify_round_trip(kind: KeyType) -> None:
    pair = KeyPair.generate(kind)
    signature = pair.sign(b"message")
    assert len(signature) == (96 if kind is KeyType.P384 else 64)
    assert pair.verify(signature, b"message")
    assert not pair.verify(signature, b"other")
    assert not pair.verify(signature[:-1], b"message")
    assert not pair.verify(b"\x00" * 64, b"message")
    assert not pair.verify("not bytes", b"message")  # type: ignore[arg-type]


def test_p256_accepts_a_high_s_signature_but_writes_standard_ones() -> None:
    pair = KeyPair.from_secret("P-256", P256_SECRET)
    signature = pair.sign(b"m")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    flipped = r.to_bytes(32, "big") + (P256_ORDER - s).to_bytes(32, "big")
    assert pair.public.verify(flipped, b"m")
    zero_r = (0).to_bytes(32, "big") + signature[32:]
    assert not pair.public.verify(zero_r, b"m")
    big_s = signature[:32] + P256_ORDER.to_bytes(32, "big")
    assert not pair.public.verify(big_s, b"m")


def test_p256_signatures_interoperate_with_der_ecdsa() -> None:
    pair = KeyPair.from_secret("P-256", P256_SECRET)
    private = ec.derive_private_key(int.from_bytes(P256_SECRET, "big"), ec.SECP256R1())
    signature = pair.sign(b"data")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    private.public_key().verify(der, b"data", ec.ECDSA(hashes.SHA256()))


def test_deterministic_keys_from_secrets() -> None:
    assert KeyPair.from_secret("Ed25519", ED_SEED) == KeyPair.from_secret(KeyType.ED25519, ED_SEED)
    assert KeyPair.from_secret("Ed25519", ED_SEED).public_multibase.startswith("z6Mk")
    assert KeyPair.from_secret("P-256", P256_SECRET).public_multibase.startswith("zDna")


def test_rfc8037_jwk_round_trip() -> None:
    pair = KeyPair.from_jwk(RFC8037_JWK)
    assert pair.public.to_jwk() == {k: v for k, v in RFC8037_JWK.items() if k != "d"}
    assert pair.to_jwk(private=True) == RFC8037_JWK
    assert PublicKey.from_jwk(RFC8037_JWK) == pair.public
    # RFC 8037 appendix A.3 thumbprint
    assert pair.public.jwk_thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize("kind", list(KeyType))
def test_jwk_and_multikey_round_trips(kind: KeyType) -> None:
    pair = KeyPair.generate(kind)
    assert KeyPair.from_jwk(pair.to_jwk(private=True)) == pair
    assert PublicKey.from_jwk(pair.public.to_jwk()) == pair.public
    assert KeyPair.from_multikey(pair.secret_multibase) == pair
    assert PublicKey.from_multibase(pair.public_multibase) == pair.public
    assert "d" not in pair.to_jwk()


def test_key_pairs_are_immutable_and_keep_the_secret_out_of_repr() -> None:
    pair = KeyPair.from_secret("Ed25519", ED_SEED)
    assert ED_SEED.hex() not in repr(pair)
    assert pair.secret_multibase not in repr(pair)
    assert "secret hidden" in repr(pair)
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.secret = b"x" * 32  # type: ignore[misc]
    assert hash(pair.public) == hash(PublicKey.from_multibase(pair.public_multibase))


def test_key_type_mismatches_raise_key_format_error() -> None:
    ed = KeyPair.from_secret("Ed25519", ED_SEED)
    p256 = KeyPair.from_secret("P-256", P256_SECRET)
    with pytest.raises(KeyFormatError, match="holds a secret key"):
        PublicKey.from_multibase(ed.secret_multibase)
    with pytest.raises(KeyFormatError, match="holds a public key"):
        KeyPair.from_multikey(ed.public_multibase)
    with pytest.raises(KeyFormatError, match="does not belong"):
        KeyPair.from_multikey(ed.secret_multibase, p256.public_multibase)
    with pytest.raises(KeyFormatError, match="does not fit"):
        PublicKey.from_jwk({**ed.public.to_jwk(), "alg": "ES256"})
    mixed = {**p256.to_jwk(private=True), "d": ed.to_jwk(private=True)["d"]}
    with pytest.raises(KeyFormatError, match="do not belong"):
        KeyPair.from_jwk(mixed)
    with pytest.raises(KeyFormatError, match="unsupported key type"):
        KeyPair.generate("RSA")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "6Mk",
        "uAAAA",
        "z",
        "z6Mk",
        multibase.encode(multibase.add_multicodec(0x12, b"\x00" * 32)),
        multibase.encode(multibase.add_multicodec(multibase.ED25519_PUB, b"\x00" * 31)),
        multibase.encode(multibase.add_multicodec(multibase.P256_PUB, b"\x04" + b"\x00" * 32)),
        multibase.encode(multibase.add_multicodec(multibase.P256_PUB, b"\x02" + b"\xff" * 32)),
        "z" + "2" * 200,
    ],
)
def test_malformed_public_multikeys_are_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        PublicKey.from_multibase(text)


@pytest.mark.parametrize(
    "secret",
    [
        multibase.encode(multibase.add_multicodec(multibase.P256_PRIV, b"\x00" * 32)),
        multibase.encode(multibase.add_multicodec(multibase.P256_PRIV, P256_ORDER.to_bytes(32, "big"))),
        multibase.encode(multibase.add_multicodec(multibase.ED25519_PRIV, b"\x01" * 64)),
        multibase.encode(multibase.add_multicodec(0x1301, b"\x01" * 32)),
    ],
)
def test_malformed_secret_multikeys_are_refused(secret: str) -> None:
    with pytest.raises(KeyFormatError):
        KeyPair.from_multikey(secret)


@pytest.mark.parametrize(
    "jwk",
    [
        "not a dict",
        {},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        {"kty": "OKP", "crv": "Ed25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": 5},
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
        {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        {"kty": "EC", "crv": "P-256", "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {
            "kty": "EC",
            "crv": "P-256",
            "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        },
        {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
    ],
)
def test_malformed_jwks_are_refused(jwk: object) -> None:
    with pytest.raises(KeyFormatError):
        PublicKey.from_jwk(jwk)  # type: ignore[arg-type]


def test_private_jwk_needs_d() -> None:
    with pytest.raises(KeyFormatError, match="no private member"):
        KeyPair.from_jwk({k: v for k, v in RFC8037_JWK.items() if k != "d"})


def test_constructor_checks_sizes() -> None:
    with pytest.raises(KeyFormatError):
        PublicKey(KeyType.ED25519, b"\x00" * 33)
    with pytest.raises(KeyFormatError):
        KeyPair(KeyType.P256, b"\x00" * 31)
    with pytest.raises(KeyFormatError):
        PublicKey("Ed25519", b"\x00" * 32)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    ["not json", "[]", "{}", '{"secretKeyMultibase": 5}', '{"privateKeyMultibase": "zz", "publicKeyMultibase": 1}'],
)
def test_load_key_pair_refuses_bad_json(text: str) -> None:
    with pytest.raises(KeyFormatError):
        load_key_pair(text)
