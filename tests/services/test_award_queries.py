"""Award queries on SQLite and PostgreSQL: newest first in pages, filters, counts by status, one award, recipients."""

from __future__ import annotations

import pytest

from cairn.errors import InputError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.issuing.queries import AwardQueryService
from cairn.services.issuing.setup import IssuingServices
from cairn.store.database import Database
from tests.factories import DEFINITION, ORG, FixedClock, load_examples, make_services

OTHER_ORG = "skillbridge-europe"
OTHER_DEFINITION = "sb-cloud-applications"


@pytest.fixture
def services(database: Database, clock: FixedClock) -> IssuingServices:
    load_examples(database, clock)
    return make_services(database, clock)


@pytest.fixture
def queries(database: Database, services: IssuingServices) -> AwardQueryService:
    return AwardQueryService(database, recipient_key=services.keys.recipient_key)


def give(
    services: IssuingServices,
    clock: FixedClock,
    email: str | None,
    *,
    did: str | None = None,
    name: str | None = None,
    external_id: str | None = None,
    grade: str | None = None,
) -> str:
    """Award the example definition a minute after the previous award; the award id."""
    clock.advance(minutes=1)
    recipient = Recipient(email=email, did=did, name=name)
    return services.issuing.award(DEFINITION, recipient, actor="test", external_id=external_id, grade=grade).award_id


def test_awards_are_listed_newest_first_in_pages(
    services: IssuingServices, queries: AwardQueryService, clock: FixedClock
) -> None:
    ids = [give(services, clock, f"l{i}@example.org", external_id=f"E{i}") for i in range(7)]
    first = queries.list_awards(ORG, per_page=3)
    assert [a.award_id for a in first.items] == ids[::-1][:3]
    assert (first.matching, first.pages, first.first, first.last) == (7, 3, 1, 3)
    last = queries.list_awards(ORG, page=3, per_page=3)
    assert [a.award_id for a in last.items] == [ids[0]]
    assert (last.first, last.last) == (7, 7)
    beyond = queries.list_awards(ORG, page=40, per_page=3)
    assert beyond.page == 3
    everything = [a.award_id for p in (1, 2, 3) for a in queries.list_awards(ORG, page=p, per_page=3).items]
    assert sorted(everything) == sorted(ids)


def test_a_summary_reads_the_credential(
    services: IssuingServices, queries: AwardQueryService, clock: FixedClock
) -> None:
    award_id = give(services, clock, "ann@example.org", name="Ann Example", grade="5", external_id="S-1")
    [item] = queries.list_awards(ORG).items
    assert item.award_id == award_id
    assert item.title == "Data analysis with Python"
    assert (item.definition, item.version) == (DEFINITION, 1)
    assert item.recipient == "Ann Example"
    assert item.has_email
    assert (item.grade, item.external_id, item.status, item.status_reason) == ("5", "S-1", "valid", None)
    assert item.issued_at == clock().replace(microsecond=0)
    did_only = give(services, clock, None, did="did:example:bo")
    assert queries.get(ORG, did_only).recipient == "did:example:bo"
    assert not queries.get(ORG, did_only).has_email


def test_counts_and_status_filters(services: IssuingServices, queries: AwardQueryService, clock: FixedClock) -> None:
    a, b, c, d = (give(services, clock, f"{n}@example.org") for n in "abcd")
    services.status_lists.revoke(a, reason="error", actor="test")
    services.status_lists.suspend(b, reason="checking", actor="test")
    services.status_lists.suspend(c, reason="checking", actor="test")
    services.status_lists.revoke(c, reason="fraud", actor="test")  # suspended, then revoked: revoked
    counts = queries.counts(ORG)
    assert (counts.total, counts.valid, counts.revoked, counts.suspended) == (4, 1, 2, 1)
    assert {x.award_id for x in queries.list_awards(ORG, status="revoked").items} == {a, c}
    assert [x.award_id for x in queries.list_awards(ORG, status="suspended").items] == [b]
    assert [x.award_id for x in queries.list_awards(ORG, status="valid").items] == [d]
    revoked = queries.get(ORG, c)
    assert (revoked.status, revoked.status_reason) == ("revoked", "fraud")
    assert queries.get(ORG, b).status_reason == "checking"
    with pytest.raises(InputError):
        queries.list_awards(ORG, status="lost")


def test_text_filters(services: IssuingServices, queries: AwardQueryService, clock: FixedClock) -> None:
    plain = give(services, clock, "solo@example.org")
    numbered = give(services, clock, "num@example.org", external_id="STU-100%")
    with_did = give(services, clock, "d@example.org", did="did:example:Zebra")
    graded = give(services, clock, "g@example.org", grade="Excellent")

    def found(query: str) -> list[str]:
        return [a.award_id for a in queries.list_awards(ORG, query=query).items]

    assert found("stu-100") == [numbered]
    assert found("100%") == [numbered]  # LIKE wildcards are taken literally
    assert found("0_") == []
    assert found("zebra") == [with_did]
    assert found("excellent") == [graded]
    assert found(numbered[:8].upper()) == [numbered]
    assert len(found("python-data")) == 4  # the definition's identifier
    assert found("SOLO@example.org") == [plain]  # an email matches awards made to it alone
    assert found("num@example.org") == []  # awarded with an external id
    assert found("nobody") == []
    filtered = queries.list_awards(ORG, query="nobody")
    assert (filtered.matching, filtered.pages, filtered.first, filtered.filtered) == (0, 1, 0, True)
    assert queries.list_awards(ORG, definition="um-sql-databases").matching == 0
    assert queries.list_awards(ORG, definition=DEFINITION).matching == 4
    with pytest.raises(InputError):
        queries.list_awards(ORG, query="x" * 201)


def test_other_organisations_see_none_of_it(
    services: IssuingServices, queries: AwardQueryService, clock: FixedClock
) -> None:
    award_id = give(services, clock, "ann@example.org")
    other = services.issuing.award(OTHER_DEFINITION, Recipient(email="ann@example.org"), actor="test").award_id
    assert [a.award_id for a in queries.list_awards(OTHER_ORG).items] == [other]
    assert queries.counts(OTHER_ORG).total == 1
    with pytest.raises(NotFoundError):
        queries.get(OTHER_ORG, award_id)
    with pytest.raises(NotFoundError):
        queries.get(ORG, "00000000-0000-4000-8000-000000000000")
    with pytest.raises(NotFoundError):
        queries.list_awards("no-such-organisation")


def test_awards_are_found_again_by_recipient_key(
    services: IssuingServices, queries: AwardQueryService, clock: FixedClock
) -> None:
    first = give(services, clock, "ann@example.org", external_id="S-1")
    key = services.keys.recipient_key("ann@example.org", None, "S-1")
    missing = services.keys.recipient_key("bob@example.org", None, None)
    found = queries.by_recipient_keys(ORG, definition=DEFINITION, version=1, recipient_keys=[key, missing])
    assert found == {key: first}
    assert queries.by_recipient_keys(OTHER_ORG, definition=DEFINITION, version=1, recipient_keys=[key]) == {}
    assert queries.by_recipient_keys(ORG, definition=DEFINITION, version=9, recipient_keys=[key]) == {}
    many = [services.keys.recipient_key(f"x{i}@example.org", None, None) for i in range(1200)]
    assert queries.by_recipient_keys(ORG, definition=DEFINITION, version=1, recipient_keys=[*many, key]) == {key: first}
