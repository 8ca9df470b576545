"""Deferred OpenID4VCI over HTTP: an LMS offers at enrolment through the award API, a wallet redeems the offer, its
credential request answers 202 with a transaction, the deferred endpoint 202 until the LMS makes the award, then the
credential (200) once; the API's authorisation and withdrawal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.services.openid4vci.deferred import DEFERRED_INTERVAL
from cairn.services.openid4vci.protocol import PRE_AUTHORIZED_GRANT
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.vc.dids import did_key
from tests.factories import FixedClock
from tests.openid4vci_parts import proof, request
from tests.vcapi_parts import OTHER, auth, vc_api_app

Parts = tuple[TestClient, Any]
ENROLMENT = {"definition": "um-sql-databases", "recipient": {"email": "ada@example.org"}, "external_id": "lms-77"}


@pytest.fixture
def app_parts(sqlite_database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(sqlite_database, clock, examples) as parts:
        yield parts


def wallet_token(client: TestClient, offer: dict[str, Any]) -> str:
    document = client.get(offer["offer_uri"].removeprefix("https://cairn.example")).json()
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer["tx_code"]}
    answer = client.post("/openid4vci/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_offer_at_enrolment_then_202_until_the_award_then_the_credential(app_parts: Parts, clock: FixedClock) -> None:
    client, container = app_parts
    made = client.post("/api/v1/offers", json=ENROLMENT, headers=auth())
    assert made.status_code == 201, made.text
    assert made.headers["cache-control"] == "no-store"
    offer = made.json()
    assert offer["link"].startswith("openid-credential-offer://?credential_offer_uri=")
    token = wallet_token(client, offer)
    bearer = {"Authorization": f"Bearer {token}"}
    jwt, key = proof(clock, client.post("/openid4vci/nonce").json()["c_nonce"])
    asked = client.post("/openid4vci/credential", content=request([jwt]), headers=bearer)
    assert asked.status_code == 202, asked.text
    assert asked.headers["cache-control"] == "no-store"
    transaction = asked.json()["transaction_id"]
    replay = client.post("/openid4vci/credential", content=request([jwt]), headers=bearer)
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_nonce")
    assert asked.json() == {"transaction_id": transaction, "interval": DEFERRED_INTERVAL}
    pending = client.post("/openid4vci/deferred", json={"transaction_id": transaction}, headers=bearer)
    assert (pending.status_code, pending.json()) == (
        202,
        {"transaction_id": transaction, "interval": DEFERRED_INTERVAL},
    )
    clock.advance(hours=20)
    award = client.post(
        "/api/v1/awards",
        json={"definition": "um-sql-databases", "recipient": {"email": "Ada@Example.org"}, "external_id": "lms-77"},
        headers=auth(),
    )
    assert award.status_code == 201, award.text
    delivered = client.post("/openid4vci/deferred", json={"transaction_id": transaction}, headers=bearer)
    assert delivered.status_code == 200, delivered.text
    [credential] = [c["credential"] for c in delivered.json()["credentials"]]
    report = container.verification.verify(credential)
    assert status_of(report) == "valid"
    assert report.credential["credentialSubject"]["id"] == did_key(key.public)
    notice = {"notification_id": delivered.json()["notification_id"], "event": "credential_accepted"}
    assert client.post("/openid4vci/notification", json=notice, headers=bearer).status_code == 204
    again = client.post("/openid4vci/deferred", json={"transaction_id": transaction}, headers=bearer)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_transaction_id")
    big = client.post("/openid4vci/deferred", content=b"{" + b" " * 70_000 + b"}", headers=bearer)
    assert (big.status_code, big.json()["error"]) == (400, "invalid_credential_request")


def test_the_api_needs_an_issuing_token_and_withdraws_only_its_own(app_parts: Parts) -> None:
    client, _ = app_parts
    assert client.post("/api/v1/offers", json=ENROLMENT).status_code == 401
    assert client.post("/api/v1/offers", json=ENROLMENT, headers=auth(OTHER)).status_code == 403
    unknown = client.post("/api/v1/offers", json={**ENROLMENT, "definition": "nope"}, headers=auth())
    assert unknown.status_code == 404
    assert client.post("/api/v1/offers", json={**ENROLMENT, "extra": 1}, headers=auth()).status_code == 422
    offer = client.post("/api/v1/offers", json=ENROLMENT, headers=auth()).json()
    assert client.delete(f"/api/v1/offers/{offer['offer_id']}", headers=auth(OTHER)).status_code == 403
    assert client.delete(f"/api/v1/offers/{offer['offer_id']}", headers=auth()).status_code == 204
    assert client.delete("/api/v1/offers/999999", headers=auth()).status_code == 404
    assert client.get(offer["offer_uri"].removeprefix("https://cairn.example")).status_code == 404
