"""Verifying a composite of 10 components through the one verification path (issue #15: under 50 ms, warm).

A Cairn instance on a temporary SQLite file with the example catalogue; a pathway of the instance's 10
micro-credentials (four issuers) that Uniwersytet Mazowiecki awards as its composite; a learner who holds all 10 in
Cairn's wallet and claims the composite from it. Then
:meth:`cairn.services.verification.service.VerificationService.verify` of the composite, as every page and
the API call it: its own proof, schema and status, issuer trust, and the ``composite`` check (every component
verified again with its status now, its digest compared, the pathway's rules evaluated again). Prints JSON lines::

    {"bench": "composite_service", "op": "verify_warm", "components": 10, "ms": X, "budget_ms": 50}

``verify_warm``: the mean of repeated verifications (documents, keys and status lists already seen: what a page
that shows a composite again, or a verifier asked twice, does); ``verify_cold``: a verification with no signature
remembered (as the first after the instance started).
Run: ``.venv/bin/python bench/composite_service.py [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.vc.proofs import verified
from timing import rate

CATALOG = Path(__file__).resolve().parents[1] / "examples" / "catalog"
TARGET, ISSUER = "um-data-analysis-foundations", "uniwersytet-mazowiecki"
ORGANISATIONS = {
    "bea": "baltyk-energia-akademia",
    "sb": "skillbridge-europe",
    "um": "uniwersytet-mazowiecki",
    "zsz7": "zsz7-lodz",
}
COMPONENTS = [
    "bea-shift-team-leadership",
    "bea-wind-turbine-safety",
    "sb-cloud-applications",
    "sb-cyber-security-essentials",
    "um-applied-statistics",
    "um-digital-accessibility",
    "um-python-data-analysis",
    "um-sql-databases",
    "zsz7-mag-welding",
    "zsz7-photovoltaic-installer",
]
EMAIL = "bench@example.org"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite:///{folder}/cairn.db", secret_key="b" * 48, base_url="https://cairn.example"
        )
        container = build(settings)
        container.database.upgrade()
        container.catalog.import_paths([CATALOG])
        pathway = {
            "id": "bench-ten-parts",
            "title": {"en": "Ten parts", "pl": "Dziesięć części"},
            "issuer": ISSUER,
            "target": TARGET,
            "review": "automatic",
            "rules": {"all": [{"component": {"definition": slug}} for slug in COMPONENTS]},
        }
        container.pathways.save(pathway, organisation=ISSUER, actor="bench")
        account = container.accounts.create_account(email=EMAIL).id
        for slug in COMPONENTS:
            organisation = ORGANISATIONS[slug.split("-", 1)[0]]
            award = container.issuing.award(slug, Recipient(email=EMAIL), actor="bench", organisation=organisation)
            assert award.claim_token
            container.wallet.add_from_claim(account, EMAIL, award.claim_token)
        claim = container.pathway_claims.claim_from_wallet(account, "bench-ten-parts")
        assert claim.award_id, claim
        composite = container.issuing.get(claim.award_id).credential
        assert isinstance(composite, dict)

        verified.forget()  # the claim verified the components: start as an instance that never saw them
        start = time.perf_counter()
        report = container.verification.verify(composite)
        cold_ms = (time.perf_counter() - start) * 1000
        said = next(c.reason for c in report.checks if c.name == "composite")
        assert report.verified, report.checks
        assert "stacked from 10 micro-credentials by 4 issuers" in str(said), said

        def verify() -> None:
            assert container.verification.verify(composite).verified

        warm_ms = 1000 / rate(verify, args.seconds, batch=1)
        for op, ms in (("verify_cold", cold_ms), ("verify_warm", warm_ms)):
            line = {"bench": "composite_service", "op": op, "components": len(COMPONENTS), "ms": round(ms, 2)}
            print(json.dumps(line | {"budget_ms": 50} if op == "verify_warm" else line), flush=True)


if __name__ == "__main__":
    main()
