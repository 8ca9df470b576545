"""The import page tells an unreachable issuer (kept, "Cannot be verified", with the reason) from a credential
whose signature is wrong (refused: it may have been changed)."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.service import WalletService
from cairn.store.database import Database
from cairn.vc.fetch import DictFetcher
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock, foreign, from_did_web, make_container
from tests.helpers import csrf_of, sign_in, text_of


@pytest.fixture
def client(sqlite_database: Database, clock: FixedClock, examples: Path) -> Iterator[TestClient]:
    built = make_container(sqlite_database, clock, examples)
    offline = WalletService(
        sqlite_database,
        clock=clock,
        verification=VerificationService(fetcher=DictFetcher({}), clock=clock, trust=built.verification.trust),
        secret_key=built.settings.require_secret_key,
    )
    container: Container = dataclasses.replace(built, wallet=offline)
    container.accounts.create_account(email="ann@example.org", password=PASSWORD)
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def test_an_unreachable_issuer_is_kept_and_the_page_says_so(client: TestClient) -> None:
    sign_in(client, "ann@example.org")
    csrf = csrf_of(client.get("/wallet/import").text)
    added = client.post("/wallet/import", data={"csrf_token": csrf, "text": text_of(from_did_web())})
    assert added.status_code == 303, added.text
    assert added.headers["location"].endswith("?done=unreachable")
    page = client.get(added.headers["location"]).text
    assert "could not reach its issuer to check the signature" in page
    assert "Cannot be verified" in page
    assert "the verification method cannot be resolved" in page  # the reason, under Checks
    assert "https://academy.example/.well-known/did.json" in page
    assert "changed after it was issued" not in page
    polish = client.get(added.headers["location"] + "&lang=pl").text
    assert "Cairn nie mógł połączyć się z wystawcą" in polish


def test_a_wrong_signature_is_refused_and_the_page_says_so(client: TestClient) -> None:
    sign_in(client, "ann@example.org")
    csrf = csrf_of(client.get("/wallet/import").text)
    good = client.post("/wallet/import", data={"csrf_token": csrf, "text": json.dumps(foreign())})
    assert good.headers["location"].endswith("?done=added")
    tampered = copy.deepcopy(foreign("Another"))
    tampered["credentialSubject"]["achievement"]["name"] = "Rocket science"
    refused = client.post("/wallet/import", data={"csrf_token": csrf, "text": json.dumps(tampered)})
    assert refused.status_code == 400
    assert "the signature does not verify" in refused.text
    assert "changed after it was issued" in refused.text
    assert re.search(r'aria-invalid="true"', refused.text)
    assert "could not reach" not in refused.text
