"""Everything ``cairn serve --demo`` sets up, in one call, and the example credentials its /verify page offers.

The examples let a newcomer see the verdicts at once, without finding a credential first: a university award
vouched for through the ministry and the agency, an award vouched for by the federated registry, and a forgery
(the university's award re-signed with a fresh key: same name, same content, nobody vouches for it).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cairn.services.accounts.service import AccountService
from cairn.services.analytics.service import AnalyticsService
from cairn.services.careers.esco import EscoService
from cairn.services.catalog.badges import BadgeService
from cairn.services.catalog.cocreation import CoCreationService
from cairn.services.catalog.editing import EditingService
from cairn.services.catalog.service import CatalogService
from cairn.services.demo.cocreation import DEMO_DRAFT, DEMO_REVIEWER, seed_cocreation
from cairn.services.demo.cohort import seed_demo_cohort
from cairn.services.demo.instance import (
    DEMO_EMAIL,
    DEMO_EMPLOYER,
    DEMO_ENDORSED,
    DEMO_LEARNER_EMAIL,
    DEMO_PASSWORD,
    DEMO_RECOGNITION_RULES,
    seed_demo,
    seed_demo_learner,
    seed_endorsement,
    seed_esco,
    seed_recognition,
)
from cairn.services.demo.openid4vp import seed_presentation_request
from cairn.services.demo.trust import seed_trust
from cairn.services.endorsements.service import EndorsementService
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.service import IssuingService
from cairn.services.openid4vp.verifier import OpenID4VPVerifier
from cairn.services.recognition.service import RecognitionService
from cairn.services.trust.federation import FederationService
from cairn.services.trust.registry import RegistryService
from cairn.services.wallet.service import WalletService
from cairn.vc.dids import did_key
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair

__all__ = ["EXAMPLES", "DemoReady", "DemoServices", "demo_examples", "prepare_demo"]

EXAMPLES = ("vouched", "federated", "forgery")
"""The example credentials' keys, in the order the verify page offers them."""
_EXAMPLE_ISSUERS = {"vouched": "uniwersytet-mazowiecki", "federated": "skillbridge-europe"}


class DemoServices(Protocol):
    """The services the demo is set up with (an instance's :class:`cairn.bootstrap.Container` has them all)."""

    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def catalog(self) -> CatalogService: ...
    @property
    def accounts(self) -> AccountService: ...
    @property
    def esco(self) -> EscoService: ...
    @property
    def keys(self) -> KeyService: ...
    @property
    def issuing(self) -> IssuingService: ...
    @property
    def wallet(self) -> WalletService: ...
    @property
    def registry(self) -> RegistryService: ...
    @property
    def federation(self) -> FederationService: ...
    @property
    def badges(self) -> BadgeService: ...
    @property
    def recognition(self) -> RecognitionService: ...
    @property
    def endorsements(self) -> EndorsementService: ...
    @property
    def editing(self) -> EditingService: ...
    @property
    def cocreation(self) -> CoCreationService: ...
    @property
    def analytics(self) -> AnalyticsService: ...
    @property
    def bulk(self) -> BulkAwardService: ...
    @property
    def presentation_requests(self) -> OpenID4VPVerifier: ...


@dataclass(frozen=True, slots=True)
class DemoReady:
    """What setting up the demo did (lines for the person who started it) and the example credentials."""

    lines: list[str] = field(default_factory=list)
    examples: dict[str, str] = field(default_factory=dict)


def prepare_demo(
    container: DemoServices, *, catalogue_path: Path, demo_token: str | None, esco: bool = True
) -> DemoReady:
    """Seed an instance for the demo (each step idempotent): the example catalogue and the demo accounts on an
    empty database, the shipped ESCO extract (unless ``esco`` is false), the trust network, the demo learner's
    wallet; then the examples."""
    lines: list[str] = []
    if container.catalog.is_empty():
        seeded = seed_demo(
            catalog=container.catalog, accounts=container.accounts, catalogue_path=catalogue_path, demo_token=demo_token
        )
        lines.append(f"Loaded the demo catalogue: {seeded.catalogue.summary()}")
        lines.append(f"Demo sign-in: {DEMO_EMAIL} / {DEMO_PASSWORD} (owner of {', '.join(seeded.organisations)})")
        if seeded.token_installed:
            lines.append("Demo API token (CAIRN_DEMO_TOKEN) installed for the demo issuer")
    logos = [o.id for o in container.catalog.organisations() if container.badges.generate_logo(o.id, actor="demo")]
    if logos:
        lines.append(f"Logos drawn for: {', '.join(logos)}")
    if esco and (loaded := seed_esco(container.esco)) is not None:
        lines.append(f"Loaded the shipped ESCO extract: {loaded.describe()}")
    trust = seed_trust(
        catalog=container.catalog,
        accounts=container.accounts,
        registry=container.registry,
        federation=container.federation,
        keys=container.keys,
        operator_email=DEMO_EMAIL,
    )
    lines.append(trust.summary())
    added = seed_demo_learner(accounts=container.accounts, issuing=container.issuing, wallet=container.wallet)
    lines.append(
        f"Demo learner: {DEMO_LEARNER_EMAIL} / {DEMO_PASSWORD} ({added} credential(s) added to the wallet now; "
        "see /wallet/skills and /wallet/occupations)"
    )
    if seed_recognition(recognition=container.recognition, accounts=container.accounts, wallet=container.wallet):
        lines.append(
            f"Demo recognition: {DEMO_LEARNER_EMAIL} applied under {DEMO_RECOGNITION_RULES}; "
            "the application waits at /orgs/uniwersytet-mazowiecki/recognition"
        )
    public_url = container.keys.public_url
    if seed_endorsement(endorsements=container.endorsements, accounts=container.accounts, public_url=public_url):
        lines.append(f"Demo endorsement: {DEMO_EMPLOYER} endorses {DEMO_ENDORSED} (shown on /verify)")
    if seed_cocreation(editing=container.editing, cocreation=container.cocreation, accounts=container.accounts):
        lines.append(f"Demo co-creation: the draft {DEMO_DRAFT} is shared with {DEMO_REVIEWER}, which commented")
    asked = seed_presentation_request(container.presentation_requests)
    if asked is not None:
        where = f"/orgs/{DEMO_EMPLOYER}/presentation-requests/{asked.id}"
        lines.append(f"Demo OpenID4VP request of {DEMO_EMPLOYER}, open until {asked.expires_at:%H:%M} UTC: {where}")
    cohort = seed_demo_cohort(container.bulk)
    if cohort:
        lines.append(f"Demo cohort: {cohort} awards to invented learners at demo.example.org, for the dashboards")
    snapshot = container.analytics.refresh()  # after the data above: the dashboards show it at once
    awards, k = snapshot.rows.get("awards", 0), container.analytics.k
    lines.append(
        f"Analytics snapshot made ({awards} awards): /open-data, /analytics (administrators), "
        f"/orgs/{{slug}}/analytics; figures about fewer than {k} people (CAIRN_ANALYTICS_K) are withheld"
    )
    examples = demo_examples(container)
    if examples:
        lines.append(f"Example credentials to try on /verify: {', '.join(examples)}")
    return DemoReady(lines, examples)


def demo_examples(container: DemoServices) -> dict[str, str]:
    """The example credentials (JSON text), from the demo learner's wallet; the forgery is made anew each time
    with a key nobody knows afterwards. Empty when the demo learner holds none of them."""
    account = container.accounts.find_account(DEMO_LEARNER_EMAIL)
    if account is None:
        return {}
    held = {item.issuer_id: item for item in container.wallet.list(account.id) if not item.is_jwt}
    examples: dict[str, str] = {}
    for name, slug in _EXAMPLE_ISSUERS.items():
        item = held.get(container.keys.did(slug))
        if item is not None:
            examples[name] = item.original
    if "vouched" in examples:
        examples["forgery"] = json.dumps(forge(json.loads(examples["vouched"]), now=container.clock()), indent=2)
    return examples


def forge(credential: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """``credential`` as a forger would copy it: the same issuer name and content, signed with a fresh did:key
    (no status entry: the forger has no status list of the real issuer's)."""
    key = KeyPair.generate()
    forged = copy.deepcopy(credential)
    forged.pop("proof", None)
    forged.pop("credentialStatus", None)
    forged["id"] = "urn:uuid:00000000-0000-4000-8000-00000000f0e9"
    issuer = forged.get("issuer")
    forged["issuer"] = {**issuer, "id": did_key(key.public)} if isinstance(issuer, dict) else did_key(key.public)
    signed = issue(forged, key=key, suite="eddsa-rdfc-2022", created=now.replace(microsecond=0))
    assert isinstance(signed, dict)  # a Data Integrity suite gives a signed copy
    return signed
