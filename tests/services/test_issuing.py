"""Single awards on SQLite and PostgreSQL: the credential, every suite, idempotency, claim links, one transaction."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import func, select

import cairn.services.issuing.service as issuing_module
from cairn.errors import NotFoundError
from cairn.formats.ob3 import identity_hash
from cairn.model.awards import Recipient
from cairn.services.issuing.setup import IssuingServices
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow, OrganisationRow, OutboxRow
from cairn.vc.issuance import SUITES
from cairn.vc.proofs.ecdsa_sd import derive
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock, load_examples, make_services
from tests.helpers import assert_authentic, verify_award


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def _count(database: Database, table: Any) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_an_award_is_a_complete_signed_open_badge(services: IssuingServices, clock: FixedClock) -> None:
    clock.now = clock.now.replace(microsecond=123456)
    result = services.issuing.award(
        DEFINITION, Recipient(email="Ann.Nowak@Example.org", name="Ann Nowak"), actor="registrar", grade="5.0"
    )
    assert result.created
    assert result.claim_token
    assert result.claim_url == f"{PUBLIC_URL}/claim/{result.claim_token}"
    credential = result.credential
    assert isinstance(credential, dict)
    assert credential["id"] == f"urn:uuid:{result.award_id}"
    assert credential["issuer"]["id"] == f"did:web:cairn.example:orgs:{ORG}"
    assert credential["validFrom"] == credential["awardedDate"] == "2026-05-04T09:30:00Z"
    assert credential["proof"]["created"] == "2026-05-04T09:30:00Z"
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    subject = credential["credentialSubject"]
    assert subject["achievement"]["id"] == f"{PUBLIC_URL}/micro-credentials/{DEFINITION}/versions/1"
    assert [r["value"] for r in subject["result"]] == ["5.0"]
    email_id, name_id = subject["identifier"]
    assert email_id["identityHash"] == identity_hash("ann.nowak@example.org", email_id["salt"])
    assert name_id == {"type": "IdentityObject", "identityHash": "Ann Nowak", "identityType": "name", "hashed": False}
    assert_authentic(verify_award(services, credential, clock()))
    other = services.issuing.award(DEFINITION, Recipient(email="bob@example.org"), actor="registrar")
    assert isinstance(other.credential, dict)
    assert other.credential["credentialSubject"]["identifier"][0]["salt"] != email_id["salt"]


def test_what_is_stored_names_the_learner_only_by_hash(services: IssuingServices, database: Database) -> None:
    result = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="registrar", external_id="S1")
    assert result.claim_token is not None
    with database.transaction() as session:
        row = session.get(AwardRow, result.award_id)
        assert row is not None
        assert row.claim_token_hash == hashlib.sha256(result.claim_token.encode()).hexdigest()
        assert row.recipient_hash is not None
        assert row.recipient_hash.startswith("sha256$")
        assert row.external_id == "S1"
        assert row.suite == "eddsa-rdfc-2022"
        assert row.credential_jwt is None
        assert "ann@example.org" not in (row.recipient_key + row.recipient_hash)
        email = session.scalars(select(OutboxRow)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "award.create")).one()
    assert email.to_address == "ann@example.org"
    assert result.claim_url is not None
    assert result.claim_url in email.body_text
    assert "Mazovian University" in email.body_text
    assert email.subject.startswith("Your micro-credential: ")
    assert (audit.actor, audit.subject) == ("registrar", result.award_id)
    assert audit.details == {"definition": DEFINITION, "version": 1, "suite": "eddsa-rdfc-2022"}
    view = services.issuing.by_claim_token(result.claim_token)
    assert view is not None
    assert view.award_id == result.award_id
    assert view.organisation == ORG
    assert services.issuing.by_claim_token("not-a-token") is None


def test_awarding_twice_is_one_award(services: IssuingServices, database: Database) -> None:
    first = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="a", external_id="S1")
    again = services.issuing.award(
        DEFINITION, Recipient(email="ANN@example.org ", name="Ann"), actor="b", external_id="S1"
    )
    assert (again.award_id, again.created, again.claim_token) == (first.award_id, False, None)
    assert again.credential == first.credential
    other_id = services.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="a", external_id="S2")
    other_definition = services.issuing.award("um-sql-databases", Recipient(email="ann@example.org"), actor="a")
    assert other_id.created
    assert other_definition.created
    assert _count(database, AwardRow) == 3
    assert _count(database, OutboxRow) == 3
    with database.transaction() as session:
        created = session.scalar(select(func.count()).where(AuditEntry.action == "award.create"))
    assert created == 3


@pytest.mark.parametrize("suite", SUITES)
def test_every_suite_verifies(suite: str, services: IssuingServices, clock: FixedClock) -> None:
    services.keys.set_suite(ORG, suite, actor="admin")
    result = services.issuing.award(DEFINITION, Recipient(did="did:example:learner-7", name="Ann"), actor="test")
    if suite in ("jwt", "ob3-jwt"):
        assert isinstance(result.credential, str)
        assert result.credential.count(".") == 2
    else:
        assert isinstance(result.credential, dict)
        assert result.credential["proof"]["cryptosuite"] == suite
    shown = result.credential
    if suite == "ecdsa-sd-2023":  # the learner holds a base proof and shows what they derive from it
        assert isinstance(shown, dict)
        base = shown
        shown = derive(base, selective_pointers=["/credentialSubject/achievement/name", "/credentialSubject/id"])
        assert set(shown["credentialSubject"]) == {"id", "type", "achievement"}
        assert shown["credentialStatus"] == base["credentialStatus"]  # mandatory by default
    report = verify_award(services, shown, clock())
    assert [c.outcome.value for c in report.checks if c.name in ("proof", "issuer-key")] == ["pass", "pass"]
    assert services.issuing.get(result.award_id).credential == result.credential


def test_a_learner_named_by_did_gets_no_email(services: IssuingServices, database: Database) -> None:
    result = services.issuing.award(DEFINITION, Recipient(did="did:example:learner-7"), actor="test")
    assert isinstance(result.credential, dict)
    assert result.credential["credentialSubject"]["id"] == "did:example:learner-7"
    assert "identifier" not in result.credential["credentialSubject"]
    assert _count(database, OutboxRow) == 0
    with database.transaction() as session:
        row = session.get(AwardRow, result.award_id)
        assert row is not None
        assert row.recipient_did == "did:example:learner-7"
        assert row.recipient_hash is None


def test_versions_and_scopes(services: IssuingServices) -> None:
    assert services.issuing.award(DEFINITION, Recipient(email="a@example.org"), actor="t", version=1).created
    with pytest.raises(NotFoundError):
        services.issuing.award(DEFINITION, Recipient(email="a@example.org"), actor="t", version=2)
    with pytest.raises(NotFoundError):
        services.issuing.award("no-such-thing", Recipient(email="a@example.org"), actor="t")
    with pytest.raises(NotFoundError):
        services.issuing.award(
            DEFINITION, Recipient(email="a@example.org"), actor="t", organisation="skillbridge-europe"
        )
    assert services.issuing.award(DEFINITION, Recipient(email="b@example.org"), actor="t", organisation=ORG).created


def test_an_award_is_written_whole_or_not_at_all(
    services: IssuingServices, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.issuing.award(DEFINITION, Recipient(email="first@example.org"), actor="t")
    before = {t.__name__: _count(database, t) for t in (AwardRow, OutboxRow, AuditEntry)}

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(issuing_module, "append_audit", broken)
    with pytest.raises(RuntimeError):
        services.issuing.award(DEFINITION, Recipient(email="second@example.org"), actor="t")
    assert {t.__name__: _count(database, t) for t in (AwardRow, OutboxRow, AuditEntry)} == before


def test_the_issuer_profile_comes_from_the_organisation(services: IssuingServices, database: Database) -> None:
    with database.transaction() as session:
        org = session.scalars(select(OrganisationRow).where(OrganisationRow.slug == ORG)).one()
        assert org.signing_suite == "eddsa-rdfc-2022"
    result = services.issuing.award(DEFINITION, Recipient(email="a@example.org"), actor="t")
    assert isinstance(result.credential, dict)
    issuer = result.credential["issuer"]
    assert issuer["name"] == "Mazovian University in Warsaw"
    assert issuer["address"]["addressCountryCode"] == "PL"
