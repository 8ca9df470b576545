"""Issuer identity on SQLite and PostgreSQL: did:web, keys sealed at rest, rotation that keeps old credentials valid."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cairn.errors import ConfigurationError, InputError
from cairn.model.awards import Recipient
from cairn.services.issuing.credentials import IssuanceContext
from cairn.services.issuing.keys import (
    KEY_ENCRYPTION_INFO,
    KeyService,
    derive_key,
    did_for,
    key_type_for,
    open_secret,
    seal_secret,
)
from cairn.services.issuing.setup import IssuingServices
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, KeyRow
from cairn.vc.dids import did_web_url
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.suites import b58decode
from cairn.vc.report import Outcome
from cairn.vc.verification import verify
from tests.factories import DEFINITION, ORG, PUBLIC_URL, SECRET, FixedClock, load_examples, make_services
from tests.helpers import assert_authentic, fetcher_for, outcomes, verify_award


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def test_did_for_host_port_and_base_path() -> None:
    assert did_for("https://cairn.example", "acme") == "did:web:cairn.example:orgs:acme"
    assert did_for("http://127.0.0.1:8000", "acme") == "did:web:127.0.0.1%3A8000:orgs:acme"
    assert did_for("https://Uni.Example.org/cairn/", "acme") == "did:web:uni.example.org:cairn:orgs:acme"
    assert did_web_url(did_for("http://localhost:8000", "acme")) == "https://localhost:8000/orgs/acme/did.json"
    with pytest.raises(ConfigurationError):
        did_for("https://[::1]:8000", "acme")


def test_keys_are_sealed_at_rest_and_need_the_same_secret(services: IssuingServices, database: Database) -> None:
    signing = services.keys.ensure_key(ORG)
    with database.transaction() as session:
        row = session.scalars(select(KeyRow)).one()
        stored, org_id = bytes(row.private_key_encrypted), row.organisation_id
    secret = signing.key.secret
    assert stored[0] == 1
    assert len(stored) == 1 + 12 + 32 + 16
    for leak in (secret, secret.hex().encode(), signing.key.secret_multibase.encode()):
        assert leak not in stored
    # A fresh process with the same secret opens it; another secret cannot; another organisation cannot.
    again = KeyService(database, secret_key=lambda: SECRET, public_url=PUBLIC_URL, clock=services.keys.clock)
    assert again.ensure_key(ORG).key == signing.key
    wrong = KeyService(database, secret_key=lambda: "x" * 40, public_url=PUBLIC_URL, clock=services.keys.clock)
    with pytest.raises(ConfigurationError, match="CAIRN_SECRET_KEY"):
        wrong.ensure_key(ORG)
    key = derive_key(SECRET, info=KEY_ENCRYPTION_INFO)
    assert open_secret(stored, key=key, organisation_id=org_id, kind="Ed25519") == secret
    with pytest.raises(ConfigurationError):
        open_secret(stored, key=key, organisation_id=org_id + 1, kind="Ed25519")
    with pytest.raises(ConfigurationError, match="format"):
        open_secret(b"\x02" + stored[1:], key=key, organisation_id=org_id, kind="Ed25519")


def test_sealing_is_randomised_and_purpose_keys_differ() -> None:
    key = derive_key(SECRET, info=KEY_ENCRYPTION_INFO)
    assert len(key) == 32
    assert key != derive_key(SECRET, info=b"cairn/v1/another-purpose")
    secret = bytes(range(32))
    first, second = (seal_secret(secret, key=key, organisation_id=1, kind="Ed25519") for _ in range(2))
    assert first != second
    assert open_secret(first, key=key, organisation_id=1, kind="Ed25519") == secret


def test_a_missing_secret_key_fails_with_the_settings_message(database: Database, clock: FixedClock) -> None:
    load_examples(database, clock)
    services = make_services(database, clock, secret=None)
    with pytest.raises(ConfigurationError, match="CAIRN_SECRET_KEY is not set"):
        services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="test")
    with database.transaction() as session:
        assert session.scalars(select(KeyRow)).all() == []


def test_secrets_stay_out_of_reprs(services: IssuingServices) -> None:
    signing = services.keys.ensure_key(ORG)
    plan = services.issuing.plan(DEFINITION)
    for text in (repr(signing), repr(plan), repr(plan.context)):
        assert signing.key.secret_multibase not in text
        assert signing.key.secret.hex() not in text
        assert repr(signing.key.secret) not in text
    assert isinstance(plan.context, IssuanceContext)


def test_the_first_key_is_ed25519_and_made_once(services: IssuingServices, database: Database) -> None:
    first = services.keys.ensure_key(ORG)
    assert services.keys.ensure_key(ORG).key_row_id == first.key_row_id
    assert first.key.kind is KeyType.ED25519
    assert first.verification_method == f"did:web:cairn.example:orgs:{ORG}#{first.key.public_multibase}"
    document = services.keys.did_document(ORG)
    assert document["id"] == f"did:web:cairn.example:orgs:{ORG}"
    assert document["assertionMethod"] == [first.verification_method]
    with database.transaction() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.subject == ORG)))
    assert actions.count("key.create") == 1


def test_rotation_keeps_old_credentials_verifying(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    before = services.issuing.award(DEFINITION, Recipient(email="ann@example.org", name="Ann"), actor="test")
    clock.advance(days=30)
    rotated = services.keys.rotate(ORG, actor="admin")
    after = services.issuing.award(DEFINITION, Recipient(email="bob@example.org", name="Bob"), actor="test")
    assert isinstance(before.credential, dict)
    assert isinstance(after.credential, dict)
    old_method = before.credential["proof"]["verificationMethod"]
    assert after.credential["proof"]["verificationMethod"] == rotated.verification_method != old_method
    document = services.keys.did_document(ORG)
    assert [m["id"] for m in document["verificationMethod"]] == [old_method, rotated.verification_method]
    assert document["assertionMethod"] == [old_method, rotated.verification_method]
    for credential in (before.credential, after.credential):
        assert_authentic(verify_award(services, credential, clock()))
    listed = services.keys.keys(ORG)
    assert [k.retired_at is not None for k in listed] == [True, False]
    # Retired keys sign nothing new, in this process or in a fresh one.
    fresh = make_services(database, clock)
    assert fresh.keys.ensure_key(ORG).verification_method == rotated.verification_method
    assert services.audit.verify().ok


def test_the_did_document_follows_what_another_process_changes(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    """The document is kept built while nothing it is made of changes; a rotation, a new suite's key or a key
    retired by another process (another KeyService on the same database) is in the next document read."""
    first = services.keys.ensure_key(ORG)
    read = services.keys.did_document(ORG)
    assert services.keys.did_document(ORG) == read
    read["verificationMethod"].clear()  # what a caller does with its copy is not served to the next one
    assert [m["id"] for m in services.keys.did_document(ORG)["verificationMethod"]] == [first.verification_method]

    other = make_services(database, clock).keys
    rotated = other.rotate(ORG, actor="admin")
    document = services.keys.did_document(ORG)
    assert [m["id"] for m in document["verificationMethod"]] == [first.verification_method, rotated.verification_method]

    other.set_suite(ORG, "ecdsa-rdfc-2019", actor="admin")
    document = services.keys.did_document(ORG)
    assert len(document["verificationMethod"]) == 3
    assert services.keys.did_document(ORG) == other.did_document(ORG) == document

    # The default key retired behind the service's back (an operator's repair): the next read makes a new one,
    # as a first read would, instead of serving the document kept from before.
    with database.transaction() as session:
        for row in session.scalars(select(KeyRow).where(KeyRow.type == "P-256")):
            row.retired_at = clock()
    assert len(services.keys.did_document(ORG)["verificationMethod"]) == 4


def test_an_ecdsa_organisation_signs_with_p256(services: IssuingServices, clock: FixedClock) -> None:
    ed = services.keys.ensure_key(ORG)
    services.keys.set_suite(ORG, "ecdsa-rdfc-2019", actor="admin")
    result = services.issuing.award(DEFINITION, Recipient(did="did:example:learner-1"), actor="test")
    assert isinstance(result.credential, dict)
    assert result.credential["proof"]["cryptosuite"] == "ecdsa-rdfc-2019"
    p256 = services.keys.ensure_key(ORG)
    assert p256.key.kind is KeyType.P256
    assert p256.key_row_id != ed.key_row_id
    assert result.credential["proof"]["verificationMethod"] == p256.verification_method
    assert_authentic(verify_award(services, result.credential, clock()))


def test_the_secret_is_derived_once_and_keys_opened_once(database: Database, clock: FixedClock) -> None:
    load_examples(database, clock)
    KeyService(database, secret_key=lambda: SECRET, public_url=PUBLIC_URL, clock=clock).ensure_key(ORG)
    calls: list[int] = []

    def secret() -> str:
        calls.append(1)
        return SECRET

    keys = KeyService(database, secret_key=secret, public_url=PUBLIC_URL, clock=clock)
    pairs = {keys.ensure_key(ORG).key for _ in range(5)}
    assert len(pairs) == 1
    assert isinstance(next(iter(pairs)), KeyPair)
    assert len(calls) == 1


def test_sign_any_credential_as_the_organisation(services: IssuingServices, clock: FixedClock) -> None:
    """What the VC-API issue endpoint needs: the organisation's DID as issuer, a suite per request, and no key
    churn when requests alternate between suites."""
    did = services.keys.did(ORG)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:learner-1"},
    }
    for suite in ("eddsa-rdfc-2022", "ecdsa-jcs-2019", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "jwt"):
        signed = services.keys.sign(ORG, unsigned, suite=suite)
        if isinstance(signed, dict):
            assert signed["issuer"] == did
            assert signed["proof"]["cryptosuite"] == suite
        report = verify(signed, now=clock(), fetcher=fetcher_for(services))
        assert outcomes(report, "proof") == [Outcome.PASS], report.text()
        assert outcomes(report, "issuer-key") == [Outcome.PASS], report.text()
    assert [(k.type, k.retired_at) for k in services.keys.keys(ORG)] == [("Ed25519", None), ("P-256", None)]
    assert services.keys.sign(ORG, {**unsigned, "issuer": {"id": did, "name": "UM"}})
    with pytest.raises(InputError, match="another issuer"):
        services.keys.sign(ORG, {**unsigned, "issuer": "did:web:elsewhere.example"})
    rotated = services.keys.rotate(ORG, actor="admin")
    listed = services.keys.keys(ORG)
    assert [k.retired_at is not None for k in listed] == [True, True, False]
    assert listed[-1].verification_method == rotated.verification_method
    assert rotated.type == "Ed25519"


def test_the_did_document_of_an_organisation_with_keys_needs_no_secret(services: IssuingServices) -> None:
    made = services.keys.did_document(ORG)
    reader = KeyService(services.keys.database, secret_key=_no_secret, public_url=PUBLIC_URL, clock=services.keys.clock)
    assert reader.did_document(ORG) == made
    assert made["verificationMethod"]


def _no_secret() -> str:
    raise AssertionError("the secret key was asked for")


def test_key_type_for_suites_and_key_types() -> None:
    assert key_type_for("ecdsa-rdfc-2019") is KeyType.P256
    assert key_type_for("ecdsa-jcs-2019", "P-384") is KeyType.P384
    assert key_type_for("ecdsa-sd-2023") is KeyType.P256
    assert key_type_for("eddsa-rdfc-2022", "Ed25519") is KeyType.ED25519
    with pytest.raises(InputError, match="takes P-256\\)"):
        key_type_for("ecdsa-sd-2023", "P-384")
    with pytest.raises(InputError, match="cannot sign"):
        key_type_for("eddsa-jcs-2022", "P-384")


def test_p384_keys_sign_every_ecdsa_suite_sealed_and_listed(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    """A P-384 key per request (the VC-API's keyType): sealed at rest, in the DID document, verified by a
    verifier that reads only that document; ecdsa-sd-2023 stays P-256."""
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "credentialSubject": {"id": "did:example:learner-1", "name": "Ann"},
    }
    for suite in ("ecdsa-rdfc-2019", "ecdsa-jcs-2019"):
        signed = services.keys.sign(ORG, unsigned, suite=suite, key_type="P-384")
        assert isinstance(signed, dict)
        assert signed["proof"]["verificationMethod"].split("#")[1].startswith("z82L")  # a P-384 Multikey
        report = verify(signed, now=clock(), fetcher=fetcher_for(services))
        assert outcomes(report, "proof") == [Outcome.PASS], report.text()
        assert outcomes(report, "issuer-key") == [Outcome.PASS], report.text()
        assert len(b58decode(signed["proof"]["proofValue"][1:])) == 96  # ECDSA P-384 r || s
    p384 = services.keys.ensure_key(ORG, suite="ecdsa-rdfc-2019", key_type="P-384")
    assert p384.key.kind is KeyType.P384
    with database.transaction() as session:
        row = session.scalars(select(KeyRow).where(KeyRow.type == "P-384")).one()
        stored = bytes(row.private_key_encrypted)
    assert len(stored) == 1 + 12 + 48 + 16
    assert p384.key.secret not in stored
    document = services.keys.did_document(ORG)
    methods = {m["id"]: m for m in document["verificationMethod"]}
    assert methods[p384.verification_method]["type"] == "Multikey"
    assert methods[p384.verification_method]["publicKeyMultibase"] == p384.key.public_multibase
    assert p384.verification_method in document["assertionMethod"]
    # The organisation's default ECDSA key stays P-256; selective disclosure refuses P-384.
    assert services.keys.ensure_key(ORG, suite="ecdsa-rdfc-2019").key.kind is KeyType.P256
    with pytest.raises(InputError, match="ecdsa-sd-2023 cannot sign"):
        services.keys.sign(ORG, unsigned, suite="ecdsa-sd-2023", key_type="P-384")


def test_an_organisation_can_choose_p384(services: IssuingServices, database: Database, clock: FixedClock) -> None:
    services.keys.set_suite(ORG, "ecdsa-rdfc-2019", actor="admin")
    before = services.issuing.award(DEFINITION, Recipient(did="did:example:learner-1"), actor="test")
    services.keys.set_suite(ORG, "ecdsa-jcs-2019", actor="admin", key_type="P-384")
    after = services.issuing.award(DEFINITION, Recipient(did="did:example:learner-2"), actor="test")
    assert isinstance(before.credential, dict)
    assert isinstance(after.credential, dict)
    assert after.credential["proof"]["cryptosuite"] == "ecdsa-jcs-2019"
    current = services.keys.ensure_key(ORG)
    assert current.key.kind is KeyType.P384
    assert after.credential["proof"]["verificationMethod"] == current.verification_method
    for credential in (before.credential, after.credential):
        assert_authentic(verify_award(services, credential, clock()))
    # The choice is stored (a fresh process reads it); P-256 still signs what asks for it, without changing it.
    fresh = make_services(database, clock)
    assert fresh.keys.ensure_key(ORG).key.kind is KeyType.P384
    assert fresh.keys.ensure_key(ORG, suite="ecdsa-sd-2023").key.kind is KeyType.P256
    assert fresh.keys.ensure_key(ORG).key.kind is KeyType.P384
    # The organisation's status lists are signed with its P-384 key too.
    entry = after.credential["credentialStatus"][0]
    slug, _, purpose, sequence = entry["statusListCredential"].removeprefix(PUBLIC_URL + "/orgs/").split("/")
    published = json.loads(services.status_lists.published(slug, purpose, int(sequence)).body)
    assert published["proof"]["verificationMethod"] == current.verification_method
    # Rotation keeps the choice; choosing P-256 again goes back.
    assert services.keys.rotate(ORG, actor="admin").type == "P-384"
    services.keys.set_suite(ORG, "ecdsa-jcs-2019", actor="admin", key_type="P-256")
    assert services.keys.ensure_key(ORG).key.kind is KeyType.P256
    with pytest.raises(InputError, match="cannot sign"):
        services.keys.set_suite(ORG, "eddsa-rdfc-2022", actor="admin", key_type="P-384")
