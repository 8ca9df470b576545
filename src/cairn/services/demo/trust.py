"""The demo's trust network: who vouches for the demo issuers, so a newcomer sees a chain on /verify at once.

- The *Ministry of Science (demo)* is a trust anchor of the instance (an administrator's decision).
- It accredits the *Micro-credential Quality Agency (demo)* as an accreditation body.
- The agency accredits the Polish demo issuers (the university for ISCED-F 05 and 06 at EQF 5-7, the vocational
  school for ISCED-F 07 at EQF 3-4, the energy academy for anything it awards), each with a (made-up) decision.
- The *European Register of Training Providers (demo)* accredits SkillBridge Europe. This instance does not anchor
  it: it federates with it by the URL of its signed trust list and syncs that list, exactly as it would with a
  registry on another instance (its own lists are answered locally, never over the network).

Idempotent: a network already there (the ministry's accreditations) is left alone; only the federated list is
synced again. The registries' organisations are in ``cairn/demo/registries``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path

from cairn.errors import ConflictError
from cairn.model.trust import Evidence, LegalIdentity, Scope
from cairn.services.accounts.service import AccountService
from cairn.services.catalog.service import CatalogService
from cairn.services.issuing.keys import KeyService
from cairn.services.trust.federation import FederationService, SyncResult
from cairn.services.trust.registry import RegistryService

__all__ = ["DEMO_AGENCY", "DEMO_EU_REGISTRY", "DEMO_MINISTRY", "TrustSeed", "demo_registries_path", "seed_trust"]

DEMO_MINISTRY = "demo-ministry"
DEMO_AGENCY = "demo-quality-agency"
DEMO_EU_REGISTRY = "demo-eu-registry"
_YEAR = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class TrustSeed:
    """What seeding the network did: accreditations made now, and the federated registry's sync."""

    accreditations: int
    sync: SyncResult

    def summary(self) -> str:
        """One line for the person who started the demo."""
        made = f"{self.accreditations} accreditation(s) made" if self.accreditations else "already in place"
        network = f"{DEMO_MINISTRY} -> {DEMO_AGENCY} -> issuers, {DEMO_EU_REGISTRY}"
        return f"Demo trust network ({network}): {made}; federated registry: {self.sync.line()}"


def demo_registries_path() -> Path:
    """The demo registries' organisation documents shipped in the package."""
    return Path(str(resources.files("cairn") / "demo" / "registries"))


def seed_trust(
    *,
    catalog: CatalogService,
    accounts: AccountService,
    registry: RegistryService,
    federation: FederationService,
    keys: KeyService,
    operator_email: str,
) -> TrustSeed:
    """Build the demo network on an instance holding the demo catalogue; ``operator_email`` (an existing account)
    becomes owner, and so operator, of the three registries."""
    if all(slug != DEMO_MINISTRY for slug, _ in registry.organisations()):
        catalog.import_paths([demo_registries_path()], actor="demo")
    for slug in (DEMO_MINISTRY, DEMO_AGENCY, DEMO_EU_REGISTRY):
        if all(m.email != operator_email for m in accounts.members(slug)):
            accounts.add_member(organisation=slug, email=operator_email, role="owner", actor="demo", notify=False)
    made = 0
    if not registry.accreditations(DEMO_MINISTRY):
        made = _accredit(registry, keys)
    peer_url = registry.list_url(DEMO_EU_REGISTRY)
    peer = next((p for p in federation.peers() if p.url == peer_url), None)
    if peer is None:
        try:
            peer = federation.add_peer(
                peer_url, keys.did(DEMO_EU_REGISTRY), "European Register of Training Providers (demo)", actor="demo"
            )
        except ConflictError:  # added by another process starting at the same time
            peer = next(p for p in federation.peers() if p.url == peer_url)
    return TrustSeed(made, federation.sync(peer.id, actor="demo"))


def _accredit(registry: RegistryService, keys: KeyService) -> int:
    now = registry.clock()
    registry.add_anchor(DEMO_MINISTRY, actor="demo")
    registry.accredit(
        DEMO_MINISTRY,
        actor="demo",
        kind="body",
        subjects=[keys.did(DEMO_AGENCY)],
        identity=LegalIdentity("Micro-credential Quality Agency (demo)", "PL", (("national", "REGON 000000001"),)),
        valid_until=now + 5 * _YEAR,
        evidence=(Evidence("Statute of the agency (demo)", description="A made-up founding act, for the demo."),),
    )
    issuers = (
        (
            "uniwersytet-mazowiecki",
            LegalIdentity("Uniwersytet Mazowiecki w Warszawie", "PL", (("national", "POL-on 0123"),)),
            Scope(isced=("05", "06"), eqf=(5, 6, 7)),
        ),
        (
            "zsz7-lodz",
            LegalIdentity("Zespół Szkół Zawodowych nr 7 w Łodzi", "PL", (("national", "RSPO 000123456"),)),
            Scope(isced=("07",), eqf=(3, 4)),
        ),
        (
            "baltyk-energia-akademia",
            LegalIdentity("Bałtyk Energia S.A.", "PL", (("national", "KRS 0000987654"),)),
            Scope(),
        ),
    )
    for number, (slug, identity, scope) in enumerate(issuers, start=10):
        registry.accredit(
            DEMO_AGENCY,
            actor="demo",
            kind="issuer",
            subjects=[keys.did(slug)],
            identity=identity,
            scope=scope,
            valid_until=now + 3 * _YEAR,
            evidence=(Evidence(f"Accreditation decision {number}/2026 (demo)"),),
        )
    registry.accredit(
        DEMO_EU_REGISTRY,
        actor="demo",
        kind="issuer",
        subjects=[keys.did("skillbridge-europe")],
        identity=LegalIdentity("SkillBridge Europe GmbH", "DE", (("national", "HRB 234567 B"),)),
        scope=Scope(isced=("061",), eqf=(4, 5)),
        valid_until=now + 2 * _YEAR,
        evidence=(Evidence("Registration decision 2026-041 (demo)"),),
    )
    return 2 + len(issuers)
