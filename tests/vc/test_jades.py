"""JAdES seals made here with a throw-away CA: signature, chain, certificate times and trust."""

from __future__ import annotations

import json
from datetime import timedelta

from cairn.vc.formats.jades import verify_jades
from cairn.vc.multibase import b64url_encode as b64url_no_pad
from tests.factories import NOW, make_ca, make_leaf, seal

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
        result = verify_jades(source, now=NOW)
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
        result = verify_jades(bad, now=NOW)
        assert not result.signature_ok
        assert result.signature_reason
    header = b64url_no_pad(json.dumps({"alg": "none"}).encode())
    assert "not a signature algorithm" in verify_jades(f"{header}.e30.", now=NOW).signature_reason
    header = b64url_no_pad(json.dumps({"alg": "RS256", "x5c": ["!!"]}).encode())
    assert not verify_jades(f"{header}.e30.AAAA", now=NOW).signature_ok
    header = b64url_no_pad(json.dumps({"alg": "RS256", "crit": ["zzz"], "zzz": 1}).encode())
    assert "does not support" in verify_jades(f"{header}.e30.AAAA", now=NOW).signature_reason
