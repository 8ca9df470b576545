"""Deferred issuance on the wallet pages: an offer at enrolment accepted says the issuer will issue later, the
wallet lists it under Waiting for issuers with Check now (POST, CSRF, not before the issuer's interval); once the
award is made, Check now lands on the received credential."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.services.accounts.service import SCOPES, AccountService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.app_outbound import AppOutbound
from tests.factories import PASSWORD, FixedClock, fast_hasher
from tests.helpers import sign_in
from tests.vcapi_parts import TOKEN, UM, auth

FAST = fast_hasher()
PUBLIC = "https://cairn.example"
ADA = "ada@example.org"
ENROLMENT = {"definition": "um-sql-databases", "recipient": {"email": ADA}, "external_id": "lms-77"}


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="w" * 48, base_url=PUBLIC)
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    built.accounts.install_token(organisation=UM, name="t", scopes=list(SCOPES), token=TOKEN)
    return dataclasses.replace(built, accounts=AccountService(sqlite_database, clock=clock, password_hasher=FAST))


@pytest.fixture
def clients(container: Container) -> Iterator[tuple[TestClient, TestClient]]:
    app = create_app(container)
    with (
        TestClient(app, follow_redirects=False, base_url=PUBLIC) as browser,
        TestClient(app, base_url=PUBLIC) as issuer_side,
    ):
        container.receiving.outbound = AppOutbound(issuer_side)
        container.accounts.create_account(email=ADA, password=PASSWORD)
        yield browser, issuer_side


def test_accepted_waiting_checked_too_early_then_received(
    clients: tuple[TestClient, TestClient], clock: FixedClock
) -> None:
    browser, lms = clients
    made = lms.post("/api/v1/offers", json=ENROLMENT, headers=auth()).json()
    csrf = sign_in(browser, ADA)
    data = {"offer": made["link"], "tx_code": made["tx_code"], "configuration": ["OpenBadgeCredential_jwt_vc_json"]}
    accepted = browser.post("/wallet/receive/accept", data={**data, "csrf_token": csrf})
    assert accepted.status_code == 200, accepted.text
    assert "The issuer will issue this later (deferred issuance)" in accepted.text
    assert made["tx_code"] not in accepted.text
    page = browser.get("/wallet").text
    assert "Waiting for issuers" in page
    assert "Check now" in page
    action = page.split('action="/wallet/receive/pending/', 1)[1].split('"', 1)[0]
    assert action.endswith("/check")
    check = f"/wallet/receive/pending/{action}"
    assert browser.post(check).status_code == 403  # CSRF
    early = browser.post(check, data={"csrf_token": csrf})
    assert early.headers["location"] == "/wallet?done=not-checked#waiting"  # the issuer's interval holds
    award = {**ENROLMENT, "recipient": {"email": "Ada@Example.org"}}
    assert lms.post("/api/v1/awards", json=award, headers=auth()).status_code == 201
    clock.advance(hours=2)
    arrived = browser.post(check, data={"csrf_token": csrf})
    assert arrived.status_code == 303
    assert arrived.headers["location"].endswith("?done=received")
    assert "it was verified and is in your wallet" in browser.get(arrived.headers["location"]).text
    assert "Waiting for issuers" not in browser.get("/wallet").text
