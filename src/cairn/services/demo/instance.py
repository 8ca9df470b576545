"""The demo instance: the example catalogue, a demo account that runs every demo organisation, an API token.

Only ``cairn serve --demo`` calls this, on an empty database. The demo password is printed for the person
who started it; it is not a secret worth keeping, and a production instance never has it.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.model.awards import Recipient
from cairn.services.accounts.service import SCOPES, AccountService
from cairn.services.careers.esco import EscoService, ImportSummary, version_key
from cairn.services.catalog.service import CatalogService, ImportResult
from cairn.services.endorsements.service import EndorsementService
from cairn.services.issuing.service import IssuingService
from cairn.services.recognition.service import RecognitionService
from cairn.services.wallet.service import WalletService
from cairn.skills.labels import SHIPPED_ESCO_VERSION

__all__ = [
    "DEMO_EMAIL",
    "DEMO_LEARNER_AWARDS",
    "DEMO_LEARNER_EMAIL",
    "DEMO_PASSWORD",
    "DemoSeed",
    "demo_secret_key",
    "seed_demo",
    "seed_demo_learner",
    "seed_esco",
]

DEMO_EMAIL = "demo@cairn.example"
DEMO_PASSWORD = "cairn-demo-password"  # noqa: S105 - printed to the person running the demo; demo only
DEMO_LEARNER_EMAIL = "learner@cairn.example"
#: ESCO-aligned example micro-credentials awarded to the demo learner (the skills pages show them): two from the
#: university (vouched for through the demo ministry), one from SkillBridge (vouched for by the federated registry).
DEMO_LEARNER_AWARDS = ("um-python-data-analysis", "um-sql-databases", "sb-cloud-applications")


@dataclass(frozen=True, slots=True)
class DemoSeed:
    """What seeding did."""

    catalogue: ImportResult
    organisations: tuple[str, ...]
    token_installed: bool


def seed_demo(
    *,
    catalog: CatalogService,
    accounts: AccountService,
    catalogue_path: Path,
    demo_token: str | None,
) -> DemoSeed:
    """Import the example catalogue and make the demo account (an instance administrator) owner of every demo
    organisation."""
    result = catalog.import_paths([catalogue_path], actor="demo")
    organisations = tuple(sorted({o.id for e in catalog.entries() for o in e.organisations}))
    demo = accounts.find_account(DEMO_EMAIL)
    if demo is None:
        accounts.create_account(  # an administrator too: the demo shows the trust anchors and the federation
            email=DEMO_EMAIL, password=DEMO_PASSWORD, display_name="Demo issuer", is_admin=True, actor="demo"
        )
    elif not demo.email_verified:  # made before addresses were verified: the operator's seed vouches for it
        accounts.mark_verified(email=DEMO_EMAIL, actor="demo")
    for slug in organisations:
        if all(m.email != DEMO_EMAIL for m in accounts.members(slug)):
            accounts.add_member(organisation=slug, email=DEMO_EMAIL, role="owner", actor="demo", notify=False)
    installed = False
    if demo_token and organisations:
        lead = "uniwersytet-mazowiecki" if "uniwersytet-mazowiecki" in organisations else organisations[0]
        accounts.install_token(organisation=lead, name="demo", scopes=list(SCOPES), token=demo_token, actor="demo")
        installed = True
    return DemoSeed(result, organisations, installed)


def seed_demo_learner(*, accounts: AccountService, issuing: IssuingService, wallet: WalletService) -> int:
    """A demo learner (:data:`DEMO_LEARNER_EMAIL`, the demo password) holding :data:`DEMO_LEARNER_AWARDS` in
    their wallet; idempotent (a wallet with credentials is left alone). Returns how many credentials were
    added now (definitions missing from the catalogue, and awards that no longer verify here, say after the
    instance's URL changed, are left out)."""
    account = accounts.find_account(DEMO_LEARNER_EMAIL)
    if account is None:
        account = accounts.create_account(
            email=DEMO_LEARNER_EMAIL, password=DEMO_PASSWORD, display_name="Ola Demo", actor="demo"
        )
    elif not account.email_verified:
        accounts.mark_verified(email=DEMO_LEARNER_EMAIL, actor="demo")
    if wallet.list(account.id):
        return 0
    added = 0
    for definition in DEMO_LEARNER_AWARDS:
        try:
            award = issuing.award(definition, Recipient(name="Ola Demo", email=DEMO_LEARNER_EMAIL), actor="demo")
        except NotFoundError:
            continue
        try:
            if award.claim_token:  # claimed through its link as a learner would: the issuer sees it claimed
                wallet.add_from_claim(account.id, DEMO_LEARNER_EMAIL, award.claim_token)  # (and notices reach it)
            else:
                credential = award.credential if isinstance(award.credential, str) else json.dumps(award.credential)
                wallet.import_credential(account.id, credential, source="demo")
        except (ConflictError, InputError):  # already in the wallet, or no longer verifiable here
            continue
        added += 1
    return added


DEMO_RECOGNITION_RULES = "um-cloud-programming-micro"
"""The demo faculty's recognition rules (the example catalogue's ``recognition/`` folder)."""
DEMO_RECOGNITION_PARTS = ("sb-cloud-applications", "um-python-data-analysis")
"""What the demo learner presents under them: SkillBridge's cloud course and the university's Python one."""


def seed_recognition(*, recognition: RecognitionService, accounts: AccountService, wallet: WalletService) -> bool:
    """The demo learner's application for recognition under :data:`DEMO_RECOGNITION_RULES`, waiting for the demo
    university's review (``/orgs/uniwersytet-mazowiecki/recognition``); idempotent. False when there is nothing to
    do (no such rules, no demo learner, an application already made)."""
    account = accounts.find_account(DEMO_LEARNER_EMAIL)
    if account is None or recognition.of_account(account.id):
        return False
    wanted = {f"/micro-credentials/{slug}/" for slug in DEMO_RECOGNITION_PARTS}
    chosen = [
        item.id
        for item in wallet.list(account.id)
        if any(part in json.dumps(item.document.get("credentialSubject", {})) for part in wanted)
    ]
    if not chosen:
        return False
    try:
        recognition.apply_from_wallet(account.id, DEMO_RECOGNITION_RULES, chosen)
    except (NotFoundError, ConflictError, InputError):
        return False
    return True


DEMO_EMPLOYER = "baltyk-energia-akademia"
"""The demo's employer (a wind energy operator's academy), which endorses :data:`DEMO_ENDORSED`."""
DEMO_ENDORSED = "um-python-data-analysis"


def seed_endorsement(*, endorsements: EndorsementService, accounts: AccountService, public_url: str) -> bool:
    """The demo employer's endorsement of the university's Python micro-credential (shown on /verify with the
    demo's examples); idempotent. False when there is nothing to do."""
    account = accounts.find_account(DEMO_EMAIL)
    achievement = f"{public_url}/micro-credentials/{DEMO_ENDORSED}/versions/1"
    if account is None or any(e.organisation == DEMO_EMPLOYER for e in endorsements.of_achievement(achievement)):
        return False
    try:
        access = accounts.access(account=account, organisation=DEMO_EMPLOYER, min_role="issuer")
        endorsements.endorse(
            DEMO_EMPLOYER,
            DEMO_ENDORSED,
            comment="Our data engineers for the offshore wind farms learn exactly this; we hire those who hold it.",
            relation="values",
            access=access,
        )
    except (NotFoundError, ConflictError, InputError, PermissionDeniedError):
        return False
    return True


def seed_esco(esco: EscoService) -> ImportSummary | None:
    """Import the ESCO extract shipped in the package unless the store already holds that release or a newer
    one; returns what the import did, or None when there was nothing to do."""
    stored = esco.version()
    if stored is not None and version_key(stored) >= version_key(SHIPPED_ESCO_VERSION):
        return None
    return esco.import_shipped()


def demo_secret_key(folder: Path) -> str:
    """A CAIRN_SECRET_KEY for the demo, made once and kept in ``folder/.cairn-demo-secret`` (mode 0600)."""
    path = folder / ".cairn-demo-secret"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret
