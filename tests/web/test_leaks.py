"""What answers and logs must not leak (issue 19): a bare /healthz, no caching of personal answers, HSTS on https,
no one-time tokens in the access log."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import cairn
from cairn.bootstrap import build
from cairn.services.accounts.service import AccountService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.accounts.access_log import redact_access_log
from cairn.web.app import create_app
from tests.factories import FixedClock, add_organisation, fast_hasher
from tests.helpers import sign_in

PASSWORD = "correct horse battery"


def _client(database: Database, clock: FixedClock, base_url: str) -> TestClient:
    built = build(
        Settings(database_url="sqlite://", secret_key="s" * 48, base_url=base_url), clock=clock, database=database
    )
    accounts = AccountService(database, clock=clock, password_hasher=fast_hasher())
    return TestClient(
        create_app(dataclasses.replace(built, accounts=accounts)), base_url=base_url, follow_redirects=False
    )


@pytest.fixture
def client(sqlite_database: Database, clock: FixedClock) -> Iterator[TestClient]:
    with _client(sqlite_database, clock, "https://cairn.example") as client:
        yield client


def test_healthz_tells_only_whether_it_is_well_and_administrators_see_more(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"ok": True}
    accounts: AccountService = client.app.state.container.accounts  # type: ignore[attr-defined]
    accounts.create_account(email="ada@example.org", password=PASSWORD)
    accounts.create_account(email="root@example.org", password=PASSWORD, is_admin=True)
    assert client.get("/admin/health").status_code == 303  # nobody signed in: to the sign-in page
    sign_in(client, "ada@example.org")
    assert client.get("/admin/health").status_code == 403  # a learner is no administrator
    client.cookies.clear()
    sign_in(client, "root@example.org")
    details = client.get("/admin/health")
    assert details.json() == {"ok": True, "version": cairn.__version__, "database": "sqlite", "schema": "current"}
    assert details.headers["cache-control"] == "no-store"


def test_personal_answers_are_not_cached_and_https_is_strict(client: TestClient, sqlite_database: Database) -> None:
    accounts: AccountService = client.app.state.container.accounts  # type: ignore[attr-defined]
    add_organisation(sqlite_database, accounts.clock, "uni")
    accounts.create_account(email="ada@example.org", password=PASSWORD)
    accounts.add_member(organisation="uni", email="ada@example.org", notify=False)
    token = accounts.create_token(organisation="uni", name="ci", scopes=["credentials:read"], actor="cli").token
    public = client.get("/")
    assert "no-store" not in public.headers.get("cache-control", "")
    assert public.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    api = client.get("/api/v1/awards/claims", headers={"Authorization": f"Bearer {token}"})
    assert api.headers["cache-control"] == "no-store"
    sign_in(client, "ada@example.org")
    assert client.get("/account").headers["cache-control"] == "no-store"


def test_plain_http_gets_no_hsts(sqlite_database: Database, clock: FixedClock) -> None:
    with _client(sqlite_database, clock, "http://localhost:8000") as client:
        assert "strict-transport-security" not in client.get("/").headers


def test_the_access_log_keeps_no_one_time_tokens() -> None:
    def logged(path: str) -> str:
        record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', None, None)
        record.args = ("10.0.0.1:5000", "GET", path, "1.1", 200)
        assert redact_access_log(record)
        return record.getMessage()

    line = logged("/sign-in/link?token=SECRETsecret_-1&next=/wallet")
    assert "SECRET" not in line
    assert "/sign-in/link?token=[redacted]&next=/wallet" in line
    assert "SECRET" not in logged("/claim/SECRETsecret/credential.png")
    assert "SECRET" not in logged("/s/SECRETsecret")
    assert "/micro-credentials/x?lang=pl" in logged("/micro-credentials/x?lang=pl")
