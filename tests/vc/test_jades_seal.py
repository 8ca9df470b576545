"""JAdES baseline-B seals made by Cairn (cairn.vc.formats.jades_seal): the header the EU's EDC issuer writes (its
``kid`` is the same DER IssuerSerial as the EU's sealed sample), verified by Cairn's own JAdES verifier for RSA
(RS256, PS256) and EC (ES256, ES384) keys; a key of another certificate is refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from cairn.errors import KeyFormatError
from cairn.vc.formats.jades import parse_jws, verify_jades
from cairn.vc.formats.jades_seal import issuer_serial, load_chain, load_seal_key, seal_jades
from tests.factories import NOW
from tests.seal_ca import make_seal_ca

SAMPLE = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)/Sample-MC-Annex1-signed.jsonld"


def test_the_kid_is_the_issuer_serial_the_eu_issuer_writes(test_data: Path) -> None:
    sealed = json.loads((test_data / SAMPLE).read_text(encoding="utf-8"))
    header, _ = parse_jws(sealed)
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    assert base64.b64encode(issuer_serial(leaf)).decode() == header["kid"]


def test_the_header_has_the_eu_issuers_parameters() -> None:
    ca = make_seal_ca(NOW)
    sealed = seal_jades('{"a":1}', key=ca.leaf_key, chain=[ca.leaf, ca.root], signing_time=NOW)
    header, payload = parse_jws(sealed)
    assert payload == b'{"a":1}'
    assert sealed["payload"] == '{"a":1}'  # b64 false: the JSON itself
    assert set(header) == {"alg", "cty", "kid", "x5t#S256", "x5c", "typ", "b64", "sigT", "crit"}
    assert (header["typ"], header["cty"], header["crit"]) == ("jose+json", "octet-stream", ["b64", "sigT"])
    assert header["sigT"] == NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("make_key", "alg", "wanted"),
    [
        (lambda: rsa.generate_private_key(65537, 2048), None, "RS256"),
        (lambda: rsa.generate_private_key(65537, 2048), "PS256", "PS256"),
        (lambda: ec.generate_private_key(ec.SECP256R1()), None, "ES256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), None, "ES384"),
    ],
)
def test_seals_verify_with_each_key_type(make_key: object, alg: str | None, wanted: str) -> None:
    ca = make_seal_ca(NOW)
    key = make_key()  # type: ignore[operator]
    leaf = ca.issue(key, start=ca.leaf.not_valid_before_utc, identifier="VATPL-1")
    sealed = seal_jades('{"x":"ż"}', key=key, chain=[leaf, ca.root], signing_time=NOW, alg=alg)
    result = verify_jades(sealed, now=NOW, trusted=[ca.root_fingerprint])
    assert result.header["alg"] == wanted
    assert result.signature_ok, result.signature_reason
    assert result.chain_ok, result.chain_reason
    assert result.trust == "trusted"


def test_a_key_of_another_certificate_and_small_keys_are_refused() -> None:
    ca, other = make_seal_ca(NOW), make_seal_ca(NOW)
    with pytest.raises(KeyFormatError, match="does not belong"):
        seal_jades("{}", key=other.leaf_key, chain=[ca.leaf], signing_time=NOW)
    small = rsa.generate_private_key(65537, 1024)
    with pytest.raises(KeyFormatError, match="2048"):
        seal_jades("{}", key=small, chain=[ca.issue(small, start=NOW)], signing_time=NOW)


def test_pem_input_is_read_and_checked() -> None:
    ca = make_seal_ca(NOW)
    assert len(load_chain(ca.chain_pem())) == 2
    assert isinstance(load_seal_key(ca.key_pem("secret words"), b"secret words"), rsa.RSAPrivateKey)
    with pytest.raises(KeyFormatError, match="encrypted"):
        load_seal_key(ca.key_pem("secret words"))
    with pytest.raises(KeyFormatError):
        load_chain(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(KeyFormatError, match="cannot be read"):
        load_chain(b"nothing here")
