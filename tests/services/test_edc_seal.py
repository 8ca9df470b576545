"""Seal certificates and sealed European Digital Credentials, on SQLite and PostgreSQL: a test-CA certificate is
installed, an award exported sealed passes Cairn's own EDC verifier on the one path (seal, chain to the trusted test
root, SHACL), a tampered one fails; wrong keys and expired certificates are refused; the key is stored encrypted
and is never in the audit log or the logs."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import ConflictError, InputError
from cairn.model.awards import Recipient
from cairn.services.trust.operator import TrustList
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, SealCertificateRow
from cairn.vc.formats.jades import parse_jws
from cairn.vc.report import Outcome
from tests.factories import DEFINITION, ORG, FixedClock, make_container
from tests.seal_ca import SealCa, make_seal_ca


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


@pytest.fixture
def ca(clock: FixedClock) -> SealCa:
    return make_seal_ca(clock())


def _trust(container: Container, ca: SealCa) -> None:
    container.trust.operator = TrustList([], certificates=[ca.root_fingerprint], source="test")


def _award(container: Container) -> str:
    recipient = Recipient(email="ann@example.org", name="Anna Maria Kowalska")
    return container.issuing.award(DEFINITION, recipient, actor="test").award_id


def test_a_sealed_award_passes_cairns_own_edc_verifier(container: Container, ca: SealCa) -> None:
    info = container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner@example.org")
    assert info.organisation_identifier == "VATPL-5250000000"
    assert info.key_type == "RSA-2048"
    assert container.seals.has_seal(ORG)
    _trust(container, ca)
    sealed = container.seals.export_award(_award(container), organisation=ORG)
    header, payload = parse_jws(sealed)
    assert header["alg"] == "RS256"
    assert header["b64"] is False
    assert header["crit"] == ["b64", "sigT"]
    assert {"x5c", "x5t#S256", "kid", "sigT", "typ", "cty"} <= set(header)
    assert len(header["x5c"]) == 2
    edc = json.loads(payload)
    assert edc["issuer"]["eIDASIdentifier"]["notation"] == "VATPL-5250000000"
    report = container.verification.verify(sealed)
    assert report.format == "elm-edc"
    outcomes = {c.name: c.outcome for c in report.checks}
    assert outcomes["proof"] is Outcome.PASS, report.text()
    assert outcomes["shapes"] is Outcome.PASS, report.text()
    assert outcomes["issuer-key"] is Outcome.PASS, report.text()
    assert outcomes["issuer-trust"] is Outcome.PASS, report.text()
    assert report.issuer["trust"] == "trusted"


def test_an_ec_key_seals_with_es256_and_an_encrypted_key_file_needs_its_passphrase(
    container: Container, clock: FixedClock
) -> None:
    ca = make_seal_ca(clock(), rsa_key=False)
    with pytest.raises(InputError, match="encrypted"):
        container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem("correct horse"), actor="o")
    with pytest.raises(InputError, match="passphrase"):
        container.seals.install(
            ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem("correct horse"), passphrase="wrong", actor="o"
        )
    container.seals.install(
        ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem("correct horse"), passphrase="correct horse", actor="o"
    )
    _trust(container, ca)
    sealed = container.seals.export_award(_award(container))
    assert parse_jws(sealed)[0]["alg"] == "ES256"
    assert container.verification.verify(sealed).outcome_of("proof") is Outcome.PASS


def test_tampering_with_a_sealed_credential_fails(container: Container, ca: SealCa) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    _trust(container, ca)
    sealed = container.seals.export_award(_award(container))
    tampered = dict(sealed, payload=sealed["payload"].replace("Anna Maria Kowalska", "Mallory Kowalska"))
    assert tampered["payload"] != sealed["payload"]
    report = container.verification.verify(tampered)
    assert report.outcome_of("proof") is Outcome.FAIL
    assert not report.verified


def test_an_untrusted_root_is_said_so(container: Container, ca: SealCa) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    report = container.verification.verify(container.seals.export_award(_award(container)))
    assert report.outcome_of("proof") is Outcome.PASS
    assert report.outcome_of("issuer-key") is Outcome.WARNING
    assert report.issuer["trust"] == "unknown"


def test_a_key_of_another_certificate_is_refused(container: Container, ca: SealCa) -> None:
    other = rsa.generate_private_key(65537, 2048)
    wrong = SealCa(ca.root, ca.root_key, ca.leaf, other)
    with pytest.raises(InputError, match="does not belong"):
        container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=wrong.key_pem(), actor="o")
    assert container.seals.info(ORG) is None


def test_an_expired_or_not_yet_valid_certificate_is_refused(container: Container, clock: FixedClock) -> None:
    ca = make_seal_ca(clock(), days=10)  # valid from 30 days ago for 10 days: expired
    with pytest.raises(InputError, match="expired"):
        container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    later = SealCa(ca.root, ca.root_key, ca.issue(ca.leaf_key, start=clock() + timedelta(days=2)), ca.leaf_key)
    with pytest.raises(InputError, match="not valid yet"):
        container.seals.install(ORG, chain_pem=later.chain_pem(), key_pem=later.key_pem(), actor="o")


def test_a_chain_out_of_order_is_refused(container: Container, ca: SealCa) -> None:
    from cryptography.hazmat.primitives import serialization

    other = make_seal_ca(ca.leaf.not_valid_before_utc + timedelta(days=30))
    mixed = ca.leaf.public_bytes(serialization.Encoding.PEM) + other.root.public_bytes(serialization.Encoding.PEM)
    with pytest.raises(InputError, match="not signed by"):
        container.seals.install(ORG, chain_pem=mixed, key_pem=ca.key_pem(), actor="o")


def test_no_certificate_no_export(container: Container) -> None:
    assert not container.seals.has_seal(ORG)
    with pytest.raises(ConflictError):
        container.seals.export_award(_award(container))


def test_the_key_is_stored_encrypted_and_never_audited_or_logged(
    container: Container, ca: SealCa, caplog: pytest.LogCaptureFixture
) -> None:
    from cryptography.hazmat.primitives import serialization

    der = ca.leaf_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = ca.key_pem()
    with caplog.at_level(logging.DEBUG):
        container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=pem, actor="o")
        container.seals.export_award(_award(container))
    with container.database.transaction() as session:
        row = session.scalars(select(SealCertificateRow)).one()
        stored = row.key_encrypted
        audit = [(e.action, e.details) for e in session.scalars(select(AuditEntry)).all()]
    assert stored is not None
    assert der not in stored
    assert der[40:80] not in stored
    body = pem.decode().splitlines()[1]
    audit_text = json.dumps(audit, default=str)
    assert "seal.install" in audit_text
    assert body not in audit_text
    assert body not in caplog.text


def test_replacing_and_removing_forget_the_old_key(container: Container, ca: SealCa, clock: FixedClock) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    second = make_seal_ca(clock(), rsa_key=False)
    container.seals.install(ORG, chain_pem=second.chain_pem(), key_pem=second.key_pem(), actor="o")
    info = container.seals.info(ORG)
    assert info is not None
    assert info.key_type == "P-256"
    assert container.seals.remove(ORG, actor="o")
    assert container.seals.info(ORG) is None
    with container.database.transaction() as session:
        rows = session.scalars(select(SealCertificateRow)).all()
        assert len(rows) == 2
        assert all(r.key_encrypted is None and r.retired_at is not None for r in rows)


def test_a_revoked_or_suspended_award_is_not_exported(container: Container, ca: SealCa) -> None:
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    award_id = _award(container)
    container.status_lists.revoke(award_id, reason="issued in error", actor="test", organisation=ORG)
    with pytest.raises(ConflictError, match="revoked or suspended"):
        container.seals.export_award(award_id)


def test_a_composite_award_exports_its_components_as_parts(container: Container, ca: SealCa) -> None:
    email, components = "ada@example.org", ["um-python-data-analysis", "um-sql-databases", "sb-cloud-applications"]
    account = container.accounts.create_account(email=email).id
    for slug in components:
        org = "skillbridge-europe" if slug.startswith("sb-") else ORG
        result = container.issuing.award(slug, Recipient(email=email, name="Ada"), actor="test", organisation=org)
        assert result.claim_token
        container.wallet.add_from_claim(account, email, result.claim_token)
    claim = container.pathway_claims.claim_from_wallet(account, "um-data-analysis-foundations")
    assert claim.award_id
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="o")
    _trust(container, ca)
    sealed = container.seals.export_award(claim.award_id, organisation=ORG)
    report = container.verification.verify(sealed)
    outcomes = {c.name: c.outcome for c in report.checks}
    assert outcomes["proof"] is Outcome.PASS, report.text()
    assert outcomes["shapes"] is Outcome.PASS, report.text()

    edc = json.loads(parse_jws(sealed)[1])
    parts = edc["credentialSubject"]["hasClaim"]["hasPart"]
    assert sorted(p["identifier"]["notation"] for p in parts) == sorted(c.id for c in claim.components)
    bodies = {p["title"]["en"]: p["awardedBy"]["awardingBody"] for p in parts}
    assert {t: b["legalName"]["en"] for t, b in bodies.items()} == {
        "Data analysis with Python": "Mazovian University in Warsaw",
        "Relational databases and SQL": "Mazovian University in Warsaw",
        "Building applications with cloud services": "SkillBridge Europe GmbH",
    }
    assert bodies["Data analysis with Python"] == edc["issuer"]  # the same organisation: the same node
    assert bodies["Building applications with cloud services"]["id"] == container.keys.did("skillbridge-europe")
    assert all(p["awardedBy"]["awardingDate"] for p in parts)
    plain = json.loads(parse_jws(container.seals.export_award(_award(container)))[1])
    assert "hasPart" not in plain["credentialSubject"]["hasClaim"]
