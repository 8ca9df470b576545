"""The demo's trust network (``make serve``): a chain on /verify at once, a federated registry, a forgery refused."""

from __future__ import annotations

import json

from cairn.bootstrap import build, demo_catalog_path
from cairn.model.awards import Recipient
from cairn.services.analytics.engine import Query
from cairn.services.demo.cohort import COHORT
from cairn.services.demo.instance import DEMO_EMAIL
from cairn.services.demo.setup import EXAMPLES, prepare_demo
from cairn.services.demo.trust import DEMO_AGENCY, DEMO_EU_REGISTRY, DEMO_MINISTRY
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.i18n import catalog
from cairn.web.verification.page import EXAMPLE_LABELS
from tests.factories import FixedClock


def test_the_demo_network_vouches_for_every_demo_issuer_and_refuses_the_forgery(
    database: Database, clock: FixedClock
) -> None:
    settings = Settings(database_url="sqlite://", secret_key="d" * 48, base_url="http://127.0.0.1:8000")
    container = build(settings, clock=clock, database=database)
    ready = prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None, esco=False)
    assert any("5 accreditation(s) made" in line and "ok, 1 entry" in line for line in ready.lines), ready.lines
    assert tuple(ready.examples) == EXAMPLES
    assert any(line.startswith("Analytics snapshot made") for line in ready.lines), ready.lines
    assert container.analytics.freshness() is not None  # the dashboards have figures at once
    cohort = sum(count for _, _, count in COHORT)
    assert any(line.startswith(f"Demo cohort: {cohort} awards") for line in ready.lines), ready.lines
    by_definition = container.analytics.table(Query("awards", ("issuer",)))
    assert by_definition is not None
    shown = [c for c in by_definition.cells if not c.suppressed]
    assert shown, "the demo's dashboards show figures, not only withheld cells"
    assert all(c.n >= container.analytics.k for c in shown)
    demo = container.accounts.find_account(DEMO_EMAIL)
    assert demo is not None
    assert demo.is_admin  # the demo shows the trust anchors and the federation pages
    assert {m.role for slug in (DEMO_MINISTRY, DEMO_AGENCY) for m in container.accounts.members(slug)} == {"owner"}

    verify = container.verification.verify
    university = verify(ready.examples["vouched"])
    assert university.verdict == "Authentic and vouched for"
    chain = university.trust["chain"]
    assert [link["accredited"] for link in chain] == [
        "Uniwersytet Mazowiecki w Warszawie",
        "Micro-credential Quality Agency (demo)",
    ]
    assert university.trust["anchor"]["name"] == "Ministry of Science (demo)"
    assert "for EQF 5-7 in ISCED-F 05, 06 until" in university.trust["summary"]

    federated = verify(ready.examples["federated"])
    assert federated.verdict == "Authentic and vouched for"
    assert federated.trust["anchor"]["name"] == "European Register of Training Providers (demo)"
    peers = container.federation.peers()
    assert [(p.url, p.state, p.entries) for p in peers] == [
        ("http://127.0.0.1:8000/registries/demo-eu-registry/trust-list", "in use", 1)
    ]

    forged = json.loads(ready.examples["forgery"])
    assert forged["issuer"]["name"] == json.loads(ready.examples["vouched"])["issuer"]["name"]
    forgery = verify(ready.examples["forgery"])
    assert forgery.verified
    assert forgery.verdict == "Authentic, but nobody vouches for the issuer"

    for slug in ("zsz7-lodz", "baltyk-energia-akademia"):  # every other demo issuer is vouched for too
        definition = next(e.definition.id for e in container.catalog.entries() if e.organisations[0].id == slug)
        award = container.issuing.award(
            definition, Recipient(email="kim@example.org", name="Kim"), actor="test", organisation=slug
        )
        credential = container.issuing.get(award.award_id, organisation=slug).credential
        assert verify(json.dumps(credential)).verdict == "Authentic and vouched for", slug

    again = prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None, esco=False)
    assert any("already in place" in line for line in again.lines)
    assert not any(line.startswith("Demo cohort") for line in again.lines)  # awarded once
    assert len(container.registry.accreditations()) == 5
    assert {slug for slug, _ in container.registry.organisations()} >= {DEMO_MINISTRY, DEMO_AGENCY, DEMO_EU_REGISTRY}


def test_the_example_labels_speak_polish() -> None:
    polish = catalog("pl")
    assert all(polish.get(label) for label in EXAMPLE_LABELS.values())
