"""Validity periods and renewal on SQLite and PostgreSQL: validUntil from the definition, expiry as verifiers see
it, and a renewal that re-issues the same achievement to the same learner with a new validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.model.awards import Evidence, Recipient, add_months
from cairn.services.issuing.setup import IssuingServices
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow
from cairn.vc.report import Outcome
from tests.factories import DEFINITION, ORG, FixedClock, load_examples, make_services
from tests.helpers import assert_authentic, outcomes, verify_award

EMAIL = "ann.nowak@example.org"


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


def _set_validity(database: Database, clock: FixedClock, months: int | None) -> None:
    with database.transaction() as session:
        repo = DefinitionRepository(session)
        definition = repo.get(DEFINITION).definition
        repo.save(definition.model_copy(update={"validity_months": months}), now=clock())


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (datetime(2026, 1, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2028, 1, 31, tzinfo=UTC), 1, datetime(2028, 2, 29, tzinfo=UTC)),
        (datetime(2026, 11, 15, tzinfo=UTC), 14, datetime(2028, 1, 15, tzinfo=UTC)),
        (datetime(2026, 5, 4, 9, 30, tzinfo=UTC), 24, datetime(2028, 5, 4, 9, 30, tzinfo=UTC)),
    ],
)
def test_add_months_keeps_the_day_where_the_month_has_it(start: datetime, months: int, end: datetime) -> None:
    assert add_months(start, months) == end


def test_a_definition_with_a_validity_gives_valid_until_and_expires(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    _set_validity(database, clock, 12)
    result = services.issuing.award(DEFINITION, Recipient(email=EMAIL), actor="registrar")
    credential = result.credential
    assert isinstance(credential, dict)
    assert credential["validUntil"] == "2027-05-04T09:30:00Z"
    view = services.issuing.get(result.award_id)
    assert view.valid_until == datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
    report = verify_award(services, credential, clock.now + timedelta(days=30))
    assert_authentic(report)
    assert outcomes(report, "schema") == [Outcome.PASS], report.text()  # cairn.vc.ob3_schema: still valid OB 3.0
    assert report.verified, report.text()
    assert outcomes(report, "validity") == [Outcome.PASS]
    expired = verify_award(services, credential, datetime(2027, 5, 5, tzinfo=UTC))
    assert not expired.verified
    assert outcomes(expired, "validity") == [Outcome.FAIL], expired.text()


def test_no_validity_no_valid_until(services: IssuingServices) -> None:
    result = services.issuing.award(DEFINITION, Recipient(email=EMAIL), actor="registrar")
    assert isinstance(result.credential, dict)
    assert "validUntil" not in result.credential
    assert services.issuing.get(result.award_id).valid_until is None


def test_renewal_re_issues_to_the_same_learner_with_a_new_validity(
    services: IssuingServices, database: Database, clock: FixedClock
) -> None:
    _set_validity(database, clock, 12)
    evidence = (Evidence(id="https://portfolio.example.org/ann/capstone", narrative="A capstone project."),)
    first = services.issuing.award(
        DEFINITION,
        Recipient(email=EMAIL, name="Ann Nowak"),
        actor="registrar",
        grade="5.0",
        evidence=evidence,
        narrative="Led the team's data pipeline.",
    )
    clock.now = clock.now + timedelta(days=300)
    with pytest.raises(InputError):  # Cairn keeps only a hash of the email: the issuer must say it
        services.issuing.renew(first.award_id, organisation=ORG, actor="registrar")
    with pytest.raises(InputError):
        services.issuing.renew(first.award_id, organisation=ORG, actor="registrar", email="someone@example.org")
    with pytest.raises(NotFoundError):
        services.issuing.renew(first.award_id, organisation="politechnika-krakowska", actor="registrar")
    renewed = services.issuing.renew(first.award_id, organisation=ORG, actor="registrar", email="Ann.Nowak@Example.org")
    assert renewed.created
    assert renewed.claim_url
    assert renewed.award_id != first.award_id
    credential = renewed.credential
    assert isinstance(credential, dict)
    assert credential["id"] == f"urn:uuid:{renewed.award_id}"
    assert credential["validFrom"] == "2027-02-28T09:30:00Z"
    assert credential["validUntil"] == "2028-02-28T09:30:00Z"
    subject = credential["credentialSubject"]
    assert subject["result"][0]["value"] == "5.0"
    assert subject["narrative"] == "Led the team's data pipeline."
    assert credential["evidence"][0]["id"] == "https://portfolio.example.org/ann/capstone"
    names = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    assert names == ["Ann Nowak"]
    assert_authentic(verify_award(services, credential, clock.now))

    old, new = services.issuing.get(first.award_id), services.issuing.get(renewed.award_id)
    assert new.renewed_from == first.award_id
    assert old.renewed_by == renewed.award_id
    assert old.revoked_at is None
    assert old.valid_until == datetime(2027, 5, 4, 9, 30, tzinfo=UTC)
    again = services.issuing.renew(first.award_id, organisation=ORG, actor="registrar", email=EMAIL)
    assert not again.created
    assert again.award_id == renewed.award_id
    with database.transaction() as session:
        row = session.get(AwardRow, renewed.award_id)
        assert row is not None
        assert row.renewed_from == first.award_id
        assert row.valid_until == datetime(2028, 2, 28, 9, 30, tzinfo=UTC)
        audits = session.query(AuditEntry).filter(AuditEntry.subject == renewed.award_id).all()
        assert [a.details.get("renewed_from") for a in audits] == [first.award_id]


def test_a_did_learner_is_renewed_without_an_email_and_a_revoked_award_is_not(services: IssuingServices) -> None:
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    first = services.issuing.award(DEFINITION, Recipient(did=did), actor="registrar")
    renewed = services.issuing.renew(first.award_id, organisation=ORG, actor="registrar")
    assert isinstance(renewed.credential, dict)
    assert renewed.credential["credentialSubject"]["id"] == did
    services.status_lists.revoke(renewed.award_id, reason="awarded in error", actor="registrar")
    with pytest.raises(ConflictError):
        services.issuing.renew(renewed.award_id, organisation=ORG, actor="registrar")
