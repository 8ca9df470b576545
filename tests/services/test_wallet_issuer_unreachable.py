"""Importing a credential whose issuer cannot be reached (its did:web document or key cannot be fetched) keeps it
as "unverifiable" with the reason, to be checked again; a credential whose signature is wrong is still refused.
On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container, build
from cairn.errors import InputError
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.records import issuer_unreachable, status_of
from cairn.services.wallet.service import WalletService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.dids import did_web_document, did_web_url
from cairn.vc.fetch import DictFetcher, Fetcher
from cairn.vc.report import Outcome, Report
from tests.factories import ACADEMY_DID, ACADEMY_METHOD, FixedClock, foreign, from_did_web
from tests.helpers import text_of

SECRET = "w" * 48
ISSUER, METHOD = ACADEMY_DID, ACADEMY_METHOD
DOCUMENT_URL = did_web_url(ISSUER)


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url="https://cairn.example")
    return build(settings, clock=clock, database=database)


def wallet_with(container: Container, clock: FixedClock, fetcher: Fetcher | None) -> WalletService:
    verification = VerificationService(fetcher=fetcher, clock=clock, trust=container.verification.trust)
    return WalletService(
        container.database,
        clock=clock,
        verification=verification,
        secret_key=lambda: SECRET,
        recheck_after=timedelta(hours=1),
    )


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "ob3-jwt"])
@pytest.mark.parametrize("fetcher", [DictFetcher({}), None], ids=["server-down", "no-fetcher"])
def test_an_unreachable_issuer_is_kept_as_unverifiable_and_checked_again(
    container: Container, clock: FixedClock, suite: str, fetcher: DictFetcher | None
) -> None:
    ada = container.accounts.create_account(email="ada@example.org").id
    offline = wallet_with(container, clock, fetcher)
    item = offline.import_credential(ada, text_of(from_did_web(suite=suite)), source="paste")
    assert item.status == "unverifiable"  # never shown as valid
    assert (item.title, item.issuer_name, item.issuer_id) == ("Welding basics", "Other Academy", ISSUER)
    reason = issuer_unreachable(item.report)
    assert reason is not None
    assert "cannot be resolved" in reason
    assert "did.json" in reason  # says which address could not be had
    assert [i.id for i in offline.list(ada, status="unverifiable")] == [item.id]

    # Later the issuer's server answers: opening the credential after the re-check age verifies it.
    online = wallet_with(container, clock, DictFetcher({DOCUMENT_URL: did_web_document(ISSUER, [METHOD])}))
    assert online.get(ada, item.id).status == "unverifiable"  # checked just now: not checked again yet
    clock.advance(hours=2)
    again = online.get(ada, item.id)
    assert again.status == "valid", again.report
    assert issuer_unreachable(again.report) is None


def test_a_wrong_signature_is_still_refused(container: Container, clock: FixedClock) -> None:
    ada = container.accounts.create_account(email="ada@example.org").id
    offline = wallet_with(container, clock, DictFetcher({}))
    tampered = copy.deepcopy(foreign())  # a did:key issuer: its key is read offline, so the check really ran
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket science"
    with pytest.raises(InputError, match="did not pass verification") as refused:
        offline.import_credential(ada, json.dumps(tampered), source="paste")
    assert "signature does not verify" in refused.value.message
    assert "changed after it was issued" in refused.value.message

    online = wallet_with(container, clock, DictFetcher({DOCUMENT_URL: did_web_document(ISSUER, [METHOD])}))
    changed = from_did_web()
    assert isinstance(changed, dict)
    changed["name"] = "Rocket science"  # a did:web issuer whose key is reachable: the signature fails
    with pytest.raises(InputError, match="changed after it was issued"):
        online.import_credential(ada, json.dumps(changed), source="paste")
    unsigned = {k: v for k, v in foreign().items() if k != "proof"}
    with pytest.raises(InputError, match="no proof"):
        offline.import_credential(ada, json.dumps(unsigned), source="paste")
    with pytest.raises(InputError, match="not a credential"):
        offline.import_credential(ada, "{not json", source="paste")
    assert offline.list(ada) == []


def test_issuer_unreachable_tells_a_missing_key_from_a_wrong_signature() -> None:
    def report(issuer: str, *reasons: str) -> dict[str, Any]:
        found = Report("vc-data-integrity", issuer={"id": issuer})
        for reason in reasons:
            found.add("proof", Outcome.FAIL, reason)
        return found.to_dict()

    unreachable = "eddsa-rdfc-2022: the verification method cannot be resolved: nothing at https://a.example/x"
    wrong = "eddsa-rdfc-2022: the signature does not verify: the document or proof was changed after signing"
    assert issuer_unreachable(report(ISSUER, unreachable)) == unreachable
    assert issuer_unreachable(report("https://a.example/issuer", "the signing key cannot be had: HTTP 503"))
    assert issuer_unreachable(report(ISSUER, unreachable, wrong)) is None  # one proof is plainly wrong
    assert issuer_unreachable(report(ISSUER, wrong)) is None
    assert issuer_unreachable(report(ISSUER)) is None  # nothing failed
    assert issuer_unreachable(report("did:key:z6MkBroken", unreachable)) is None  # a did:key resolves offline
    kept = Report("vc-data-integrity", issuer={"id": ISSUER})
    kept.add("proof", Outcome.FAIL, unreachable)
    assert status_of(kept) == "unverifiable"
