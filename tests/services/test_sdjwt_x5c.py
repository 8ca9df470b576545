"""SD-JWT VCs with ``x5c`` (SQLite and PostgreSQL): an organisation whose seal certificate certifies a P-256 key
signs its SD-JWT VCs with that key, ``kid`` its DID URL (listed in did.json) and ``x5c`` the chain without the
root; an RSA seal changes nothing. Cairn's verifier checks the chain against the operator's trusted certificates
and never trusts it for being there; a header with ``x5c`` and no ``kid`` is verified with the certificate's key,
which confirms ``iss`` only when the certificate is trusted and names it."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cairn.bootstrap import Container
from cairn.formats.sdjwt_vc import VCT
from cairn.model.awards import Recipient
from cairn.services.trust.operator import TrustList
from cairn.store.database import Database
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Outcome, Report
from cairn.vc.sdjwt import issue_sd_jwt, split_sd_jwt
from tests.factories import DEFINITION, ORG, FixedClock, make_container
from tests.seal_ca import SealCa, make_seal_ca


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


@pytest.fixture
def ca(clock: FixedClock) -> SealCa:
    return make_seal_ca(clock(), rsa_key=False)


def _award(container: Container) -> str:
    recipient = Recipient(email="ann@example.org", name="Anna Maria Kowalska")
    return container.issuing.award(DEFINITION, recipient, actor="test").award_id


def _header(issued: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(b64url_decode(split_sd_jwt(issued)[0].split(".")[0]))
    return parsed


def _der(cert: Any) -> bytes:
    data: bytes = cert.public_bytes(serialization.Encoding.DER)
    return data


def _trust(container: Container, *certificates: str) -> None:
    container.trust.operator = TrustList([], certificates=list(certificates), source="test")


def _issuer_key(report: Report) -> list[tuple[Outcome, str]]:
    return [(c.outcome, str(c.reason)) for c in report.checks if c.name == "issuer-key"]


def test_a_p256_seal_certificate_signs_with_x5c(container: Container, ca: SealCa) -> None:
    before = container.keys.did_document(ORG)  # read (and kept built) before the seal: the next read lists it
    assert not any("#seal-" in m["id"] for m in before["verificationMethod"])
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner@example.org")
    issued = container.sd_jwt.issue(_award(container), holder_jwk=None, organisation=ORG)
    header = _header(issued)
    thumbprint = hashlib.sha256(_der(ca.leaf)).hexdigest()
    did = container.keys.did(ORG)
    assert header["alg"] == "ES256"
    assert header["kid"] == f"{did}#seal-{thumbprint[:16]}"
    assert header["x5c"] == [base64.b64encode(_der(ca.leaf)).decode()]  # leaf first, the self-signed root left out
    methods = [m["id"] for m in container.keys.did_document(ORG)["verificationMethod"]]
    assert header["kid"] in methods

    report = container.verification.verify(issued)  # no trusted certificates: the DID path alone confirms the key
    assert report.verified, report.text()
    assert report.outcome_of("issuer-key") is Outcome.PASS
    assert report.issuer["trust"] == "unknown"
    assert report.outcome_of("status") is Outcome.PASS

    _trust(container, ca.root_fingerprint)  # the root is not in x5c, so its fingerprint cannot be reached
    assert container.verification.verify(issued).issuer["trust"] == "unknown"
    _trust(container, hashlib.sha256(_der(ca.leaf)).hexdigest())  # the organisation's certificate itself
    trusted = container.verification.verify(issued)
    assert trusted.verified, trusted.text()
    assert trusted.issuer["trust"] == "trusted"
    assert any(o is Outcome.PASS and "(x5c)" in r for o, r in _issuer_key(trusted))


def test_an_rsa_seal_changes_nothing(container: Container, clock: FixedClock) -> None:
    rsa_ca = make_seal_ca(clock())
    container.seals.install(ORG, chain_pem=rsa_ca.chain_pem(), key_pem=rsa_ca.key_pem(), actor="owner@example.org")
    header = _header(container.sd_jwt.issue(_award(container), holder_jwk=None, organisation=ORG))
    assert "x5c" not in header
    assert (
        header["kid"]
        == container.keys.ensure_key(ORG, suite="ecdsa-rdfc-2019", key_type=KeyType.P256.value).verification_method
    )


def test_removing_the_seal_goes_back_to_the_did_key_and_old_copies_still_verify(
    container: Container, ca: SealCa
) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner@example.org")
    award_id = _award(container)
    sealed = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    assert container.seals.remove(ORG, actor="owner@example.org")
    plain = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    assert "x5c" not in _header(plain)
    assert container.verification.verify(plain).verified
    assert container.verification.verify(sealed).verified  # the retired certificate's key stays in did.json


def _x5c_only(ca: SealCa, container: Container, *, kid: str | None = None, x5c: list[str] | None = None) -> str:
    assert isinstance(ca.leaf_key, ec.EllipticCurvePrivateKey)
    key = KeyPair.from_secret(KeyType.P256, ca.leaf_key.private_numbers().private_value.to_bytes(32, "big"))
    claims = {"iss": container.keys.did(ORG), "iat": int(container.clock().timestamp()), "vct": VCT, "given_name": "A"}
    chain = x5c if x5c is not None else [base64.b64encode(_der(ca.leaf)).decode()]
    return issue_sd_jwt(claims, key=key, kid=kid, extra_header={"x5c": chain})


def _leaf_naming(ca: SealCa, uri: str, now: datetime) -> x509.Certificate:
    """Another certificate for the seal key from the test CA, naming ``uri`` as a SAN."""
    return (
        x509.CertificateBuilder()
        .subject_name(ca.leaf.subject)
        .issuer_name(ca.root.subject)
        .public_key(ca.leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False)
        .sign(ca.root_key, hashes.SHA256())
    )


def test_x5c_without_kid_is_believed_only_through_a_trusted_certificate(container: Container, ca: SealCa) -> None:
    text = _x5c_only(ca, container)
    untrusted = container.verification.verify(text)
    assert untrusted.outcome_of("proof") is Outcome.PASS, untrusted.text()
    assert untrusted.outcome_of("issuer-key") is Outcome.WARNING
    assert any(c.undetermined for c in untrusted.checks if c.name == "issuer-key")
    _trust(container, ca.root_fingerprint)
    assert container.verification.verify(text).outcome_of("issuer-key") is Outcome.WARNING  # root not in x5c
    _trust(container, hashlib.sha256(_der(ca.leaf)).hexdigest())
    unnamed = container.verification.verify(text)  # trusted, but the certificate does not name iss
    assert unnamed.outcome_of("issuer-key") is Outcome.WARNING, unnamed.text()
    assert "does not name the issuer" in unnamed.text()
    named = _leaf_naming(ca, container.keys.did(ORG), container.clock())
    _trust(container, hashlib.sha256(_der(named)).hexdigest())
    trusted = container.verification.verify(_x5c_only(ca, container, x5c=[base64.b64encode(_der(named)).decode()]))
    assert trusted.outcome_of("issuer-key") is Outcome.PASS, trusted.text()
    other = make_seal_ca(container.clock(), rsa_key=False)  # another certificate: its key did not sign
    forged = _x5c_only(ca, container, x5c=[base64.b64encode(_der(other.leaf)).decode()])
    assert container.verification.verify(forged).outcome_of("proof") is Outcome.FAIL
    garbage = _x5c_only(ca, container, x5c=["not a certificate"])
    assert container.verification.verify(garbage).outcome_of("proof") is Outcome.FAIL


def test_an_x5c_beside_a_kid_must_certify_the_key_that_signed(container: Container, ca: SealCa) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner@example.org")
    kid = _header(container.sd_jwt.issue(_award(container), holder_jwk=None, organisation=ORG))["kid"]
    other = make_seal_ca(container.clock(), rsa_key=False)
    text = _x5c_only(ca, container, kid=kid, x5c=[base64.b64encode(_der(other.leaf)).decode()])
    report = container.verification.verify(text)
    assert report.outcome_of("proof") is Outcome.PASS  # the kid's key signed
    assert report.outcome_of("issuer-key") is Outcome.FAIL
    assert not report.verified
