"""The wallet pages: sign-up and claiming, importing (forgeries refused), the list and detail, organising,
presenting, export and import, erasing; sign-in, CSRF and another learner's wallet (404)."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts import AccountService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.conftest import FixedClock
from tests.helpers import csrf_of
from tests.services.test_wallet import foreign

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
UM, DEFINITION = "uniwersytet-mazowiecki", "um-python-data-analysis"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(
        database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example", max_upload_bytes=200_000
    )
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    return dataclasses.replace(built, accounts=AccountService(sqlite_database, clock=clock, password_hasher=FAST))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_up(client: TestClient, email: str, next_path: str = "/wallet") -> str:
    client.cookies.clear()
    token = csrf_of(client.get("/sign-up").text)
    answer = client.post(
        "/sign-up", data={"email": email, "password": PASSWORD, "name": "Ada", "next": next_path, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(next_path)
    return csrf_of(client.get("/wallet/import").text)


def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/wallet", "/wallet/import", "/wallet/present", "/wallet/export", "/account/delete"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in?next=")


def test_sign_up_claim_and_see_the_credential(client: TestClient, container: Container) -> None:
    result = container.issuing.issuing.award(
        DEFINITION, Recipient(email="ada@example.org"), actor="test", organisation=UM
    )
    claim_page = client.get(f"/claim/{result.claim_token}").text
    assert f"/claim/{result.claim_token}/wallet" in claim_page
    csrf = sign_up(client, "ada@example.org", f"/claim/{result.claim_token}/wallet")
    assert "Add to my wallet" in client.get(f"/claim/{result.claim_token}/wallet").text
    assert client.post(f"/claim/{result.claim_token}/wallet", data={}).status_code == 403
    answer = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": csrf})
    assert answer.status_code == 303
    detail_path = answer.headers["location"].split("?")[0]
    page = client.get(detail_path).text
    assert "status-valid" in page
    assert "Annex I" in page
    assert "Python" in page
    again = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": csrf})
    assert again.status_code == 409
    assert "already in your wallet" in again.text
    listing = client.get("/wallet").text
    assert detail_path in listing
    assert client.get("/wallet?view=timeline").status_code == 200
    polish = client.get("/wallet?lang=pl").text
    assert 'lang="pl"' in polish
    assert "Twój portfel" in polish

    # another learner: the claim does not match their email, and the credential is not theirs to see
    other = sign_up(client, "bob@example.org")
    refused = client.post(f"/claim/{result.claim_token}/wallet", data={"csrf_token": other})
    assert refused.status_code == 400
    assert "another email address" in refused.text
    assert client.get(detail_path).status_code == 404
    assert client.post(detail_path + "/remove", data={"csrf_token": other}).status_code == 404


def test_import_organise_present_export_and_delete(client: TestClient, container: Container) -> None:
    csrf = sign_up(client, "ada@example.org")
    good = foreign()
    tampered = copy.deepcopy(good)
    tampered["name"] = "Forged"
    refused = client.post("/wallet/import", data={"text": json.dumps(tampered), "csrf_token": csrf})
    assert refused.status_code == 400
    assert "did not pass verification" in refused.text
    assert 'aria-invalid="true"' in refused.text
    big = client.post(
        "/wallet/import",
        data={"csrf_token": csrf},
        files={"file": ("big.json", b"{" + b" " * 150_000 + b"}" * 60_000, "application/json")},
    )
    assert big.status_code in (400, 413)
    answer = client.post(
        "/wallet/import",
        data={"csrf_token": csrf},
        files={"file": ("badge.json", json.dumps(good).encode(), "application/json")},
    )
    assert answer.status_code == 303
    detail = answer.headers["location"].split("?")[0]
    credential_id = detail.rsplit("/", 1)[1]
    assert client.post(detail + "/tags", data={"tags": "Metal, Work", "csrf_token": csrf}).status_code == 303
    assert client.post("/wallet/collections", data={"name": "Jobs", "csrf_token": csrf}).status_code == 303
    assert "Jobs" in client.get("/wallet/collections").text
    assert "Metal" in client.get("/wallet?tag=Metal").text
    assert "Welding" not in client.get("/wallet?q=zzz").text

    vp = client.post(
        "/wallet/present",
        data={
            "ids": [credential_id],
            "challenge": "n-1",
            "domain": "verifier.example",
            "format": "di",
            "csrf_token": csrf,
        },
    )
    assert vp.status_code == 200
    assert vp.json()["proof"]["challenge"] == "n-1"
    missing = client.post("/wallet/present", data={"challenge": "", "domain": "x", "csrf_token": csrf})
    assert missing.status_code == 400

    exported = client.get("/wallet/export")
    assert exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert "manifest.json" in archive.namelist()

    csrf_bob = sign_up(client, "bob@example.org")
    imported = client.post(
        "/wallet/import-export",
        data={"csrf_token": csrf_bob},
        files={"file": ("cairn-wallet.zip", exported.content, "application/zip")},
    )
    assert imported.status_code == 200
    assert "Added: 1." in imported.text
    assert client.get(detail).status_code == 404  # Ada's copy is still Ada's

    wrong = client.post("/account/delete", data={"confirm_email": "ada@example.org", "csrf_token": csrf_bob})
    assert wrong.status_code == 400
    gone = client.post("/account/delete", data={"confirm_email": "bob@example.org", "csrf_token": csrf_bob})
    assert gone.status_code == 200
    assert container.accounts.find_account("bob@example.org") is None
    assert client.get("/wallet").status_code == 303
