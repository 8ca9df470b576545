"""RegistryService.lookup: who vouches for an identifier today, with no credential in question."""

from __future__ import annotations

from pathlib import Path

from cairn.store.database import Database
from tests.factories import FixedClock, make_container
from tests.trust_network import build_network


def test_a_scoped_chain_vouches_today_and_names_every_link(
    database: Database, clock: FixedClock, examples: Path
) -> None:
    container = make_container(database, clock, examples)
    network = build_network(container)
    found = container.registry.lookup(network.university_did)
    assert found.vouching.vouched, found.vouching.reason
    assert [a.id for a in found.accreditations] == [network.issuer]
    assert [link["accredited_by"] for link in found.chain] == ["Quality Agency", "Ministry of Science"]
    assert [link["scope"] for link in found.chain] == ["ISCED-F 061", "EQF 5-6 in ISCED-F 06"]


def test_a_suspended_link_breaks_the_chain_today(database: Database, clock: FixedClock, examples: Path) -> None:
    container = make_container(database, clock, examples)
    network = build_network(container)
    clock.advance(days=1)
    container.registry.change_status("ministry", network.body, status="suspended", reason="audit", actor="t")
    clock.advance(days=1)
    found = container.registry.lookup(network.university_did)
    assert not found.vouching.vouched
    assert found.vouching.reason == "the accreditation was suspended on 2026-05-05 (audit)"  # no credential in it


def test_an_unknown_identifier_is_vouched_for_by_nobody(database: Database, clock: FixedClock, examples: Path) -> None:
    container = make_container(database, clock, examples)
    build_network(container)
    found = container.registry.lookup("did:key:z6MkUnknown")
    assert not found.vouching.vouched
    assert found.accreditations == ()
    assert found.vouching.reason == "no registry this instance trusts accredits the issuer"
