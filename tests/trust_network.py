"""A small trust network for the registry's tests (services, pages, CLI, publication formats).

The Ministry of Science (a trust anchor of the instance) accredits the Quality Agency as an accreditation body
for EQF 5-6 in ISCED-F 06 until 2028; the agency accredits the Uniwersytet Mazowiecki (the example catalogue's
university) as an issuer for ISCED-F 061, with a register number and evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cairn.bootstrap import Container
from cairn.model.trust import Evidence, LegalIdentity, Scope
from tests.factories import ORG, add_organisation

__all__ = ["AGENCY", "MINISTRY", "Network", "build_network"]

MINISTRY = "ministry"
AGENCY = "qa-agency"


@dataclass(frozen=True, slots=True)
class Network:
    """The ids of the two accreditations and the DIDs of the three organisations."""

    body: str
    issuer: str
    ministry_did: str
    agency_did: str
    university_did: str


def build_network(container: Container) -> Network:
    """Add the ministry and the agency to ``container``'s instance (which holds the example catalogue), anchor
    the ministry and make both accreditations."""
    add_organisation(container.database, container.clock, MINISTRY, "Ministry of Science")
    add_organisation(container.database, container.clock, AGENCY, "Quality Agency")
    registry, did = container.registry, container.keys.did
    registry.add_anchor(MINISTRY, actor="test")
    body = registry.accredit(
        MINISTRY,
        actor="test",
        kind="body",
        subjects=[did(AGENCY)],
        identity=LegalIdentity("Quality Agency", "PL"),
        scope=Scope(isced=("06",), eqf=(5, 6)),
        valid_until=datetime(2028, 1, 1, tzinfo=UTC),
    )
    issuer = registry.accredit(
        AGENCY,
        actor="test",
        kind="issuer",
        subjects=[did(ORG)],
        identity=LegalIdentity("Uniwersytet Mazowiecki", "PL", (("national", "REGON 012345678"),)),
        scope=Scope(isced=("061",)),
        evidence=(Evidence("Decision 12/2026", "https://agency.example/decisions/12"),),
    )
    return Network(body.accreditation.id, issuer.accreditation.id, did(MINISTRY), did(AGENCY), did(ORG))
