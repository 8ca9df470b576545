"""JAdES seals made here with a throw-away CA: signature, chain, certificate times and trust."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from cairn.vc.formats.jades import verify_jades
from cairn.vc.multibase import b64url_encode as b64url_no_pad

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "IE"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "VATIE-1234567X"),
        ]
    return x509.Name(attrs)


def make_ca(start: datetime = NOW - timedelta(days=900)) -> tuple[Any, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(
    ca_key: Any, ca: x509.Certificate, *, start: datetime = NOW - timedelta(days=30), days: int = 365
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Seal", "University of Zed"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def der64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def seal(
    payload: dict[str, Any],
    key: rsa.RSAPrivateKey,
    chain: list[x509.Certificate],
    *,
    sig_t: datetime | None = None,
    b64: bool = False,
) -> dict[str, Any]:
    """A JAdES JWS JSON serialization like the EU issuer's (RS256, x5c, b64 false, sigT)."""
    header: dict[str, Any] = {"alg": "RS256", "typ": "jose+json", "x5c": [der64(c) for c in chain]}
    crit = []
    if not b64:
        header["b64"] = False
        crit.append("b64")
    if sig_t is not None:
        header["sigT"] = sig_t.strftime("%Y-%m-%dT%H:%M:%SZ")
        crit.append("sigT")
    if crit:
        header["crit"] = crit
    protected = b64url_no_pad(json.dumps(header).encode())
    body = json.dumps(payload)
    payload_text = body if not b64 else b64url_no_pad(body.encode())
    signature = key.sign(f"{protected}.{payload_text}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"payload": payload_text, "signatures": [{"protected": protected, "signature": b64url_no_pad(signature)}]}


PAYLOAD = {"id": "urn:credential:1", "type": ["VerifiableCredential", "EuropeanDigitalCredential"]}


def test_a_good_seal_verifies_and_shows_the_chain() -> None:
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    result = verify_jades(seal(PAYLOAD, key, [leaf, ca]), now=NOW)
    assert result.signature_ok, result.signature_reason
    assert result.chain_ok
    assert result.cert_time_ok
    assert [c["link"] for c in result.chain] == ["signed by the next certificate", "self-signed (root)"]
    assert result.chain[0]["organisation_identifier"] == "VATIE-1234567X"
    assert result.trust == "unknown"
    assert json.loads(result.payload or b"") == PAYLOAD


def test_base64url_payload_flattened_and_compact_forms() -> None:
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    general = seal(PAYLOAD, key, [leaf, ca], b64=True)
    entry = general["signatures"][0]
    flattened = {"payload": general["payload"], **entry}
    compact = f"{entry['protected']}.{general['payload']}.{entry['signature']}"
    for source in (general, flattened, compact):
        result = verify_jades(source, now=NOW)  # type: ignore[arg-type]
        assert result.signature_ok, result.signature_reason


def test_a_tampered_payload_fails() -> None:
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    jws = seal(PAYLOAD, key, [leaf, ca])
    jws["payload"] = jws["payload"].replace("urn:credential:1", "urn:credential:2")
    result = verify_jades(jws, now=NOW)
    assert not result.signature_ok
    assert "does not match" in result.signature_reason


def test_a_certificate_that_did_not_sign_fails() -> None:
    ca_key, ca = make_ca()
    key, _leaf = make_leaf(ca_key, ca)
    _other_key, other = make_leaf(ca_key, ca)
    result = verify_jades(seal(PAYLOAD, key, [other, ca]), now=NOW)
    assert not result.signature_ok


def test_a_chain_link_signed_by_another_ca_is_reported() -> None:
    ca_key, ca = make_ca()
    _stranger_key, stranger = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    result = verify_jades(seal(PAYLOAD, key, [leaf, stranger]), now=NOW)
    assert result.signature_ok
    assert not result.chain_ok
    assert "not signed by certificate 2" in result.chain_reason


def test_an_expired_leaf_fails_without_sigt_and_is_judged_at_sigt_with_it() -> None:
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca, start=NOW - timedelta(days=800), days=365)
    result = verify_jades(seal(PAYLOAD, key, [leaf, ca]), now=NOW)
    assert not result.cert_time_ok
    assert "expired" in result.cert_time_reason
    signed_while_valid = verify_jades(seal(PAYLOAD, key, [leaf, ca], sig_t=NOW - timedelta(days=700)), now=NOW)
    assert signed_while_valid.cert_time_ok
    assert signed_while_valid.cert_expired_now
    assert "has since expired" in signed_while_valid.cert_time_reason
    signed_late = verify_jades(seal(PAYLOAD, key, [leaf, ca], sig_t=NOW - timedelta(days=10)), now=NOW)
    assert not signed_late.cert_time_ok


def test_trust_comes_from_a_configured_fingerprint_or_subject() -> None:
    ca_key, ca = make_ca()
    key, leaf = make_leaf(ca_key, ca)
    jws = seal(PAYLOAD, key, [leaf, ca])
    root_fp = verify_jades(jws, now=NOW).chain[1]["sha256"]
    assert verify_jades(jws, now=NOW, trusted=[root_fp.upper()]).trust == "trusted"
    assert verify_jades(jws, now=NOW, trusted=["C=IE, CN=Test Root CA"]).trust != "trusted"  # order matters
    assert verify_jades(jws, now=NOW, trusted=["CN=Test Root CA,C=IE"]).trust == "trusted"
    assert verify_jades(jws, now=NOW, trusted=["00" * 32]).trust == "unknown"


def test_bad_input_is_a_reason_not_a_crash() -> None:
    for bad in ("", "a.b", "x.y.z", "{", {"payload": 1}, {"payload": "x", "signatures": []}, {"signatures": "x"}):
        result = verify_jades(bad, now=NOW)  # type: ignore[arg-type]
        assert not result.signature_ok
        assert result.signature_reason
    header = b64url_no_pad(json.dumps({"alg": "none"}).encode())
    assert "not a signature algorithm" in verify_jades(f"{header}.e30.", now=NOW).signature_reason
    header = b64url_no_pad(json.dumps({"alg": "RS256", "x5c": ["!!"]}).encode())
    assert not verify_jades(f"{header}.e30.AAAA", now=NOW).signature_ok
    header = b64url_no_pad(json.dumps({"alg": "RS256", "crit": ["zzz"], "zzz": 1}).encode())
    assert "does not support" in verify_jades(f"{header}.e30.AAAA", now=NOW).signature_reason
