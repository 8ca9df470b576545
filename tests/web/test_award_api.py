"""The award API for LMSs: a catalogue micro-credential to a learner, through the pages' issuing service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.store.database import Database
from tests.factories import FixedClock
from tests.vcapi_parts import OTHER, SB, UM, auth, vc_api_app

SB_ISSUER = "cairn_test_issue_token_of_skillbridge_0123"
STATUS_ONLY = "cairn_test_status_only_token_of_um_0123456"
Parts = tuple[TestClient, Any]


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(database, clock, examples) as parts:
        yield parts


def _body(**extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "definition": "um-sql-databases",
        "recipient": {"email": "Ada@Example.org", "name": "Ada Lovelace"},
        "evidence": [
            {"id": "https://lms.example/submissions/77", "name": "Final project", "narrative": "Built a schema."}
        ],
        "external_id": "lms-enrolment-77",
    }
    body.update(extra)
    return body


def test_an_award_is_made_once_and_verifies(app_parts: Parts) -> None:
    client, container = app_parts
    made = client.post("/api/v1/awards", json=_body(), headers=auth())
    assert made.status_code == 201, made.text
    answer = made.json()
    assert answer["created"] is True
    assert answer["claim_url"].startswith("https://cairn.example/claim/")
    vc = answer["credential"]
    assert vc["id"] == f"urn:uuid:{answer['award_id']}"
    assert vc["validFrom"] == "2026-05-04T09:30:00Z"
    assert vc["evidence"] == [
        {
            "type": ["Evidence"],
            "id": "https://lms.example/submissions/77",
            "name": "Final project",
            "narrative": "Built a schema.",
        }
    ]
    assert sorted(e["statusPurpose"] for e in vc["credentialStatus"]) == ["revocation", "suspension"]
    checked = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert checked.status_code == 200, checked.text
    again = client.post("/api/v1/awards", json=_body(), headers=auth())
    assert again.status_code == 200
    assert again.json()["award_id"] == answer["award_id"]
    assert again.json()["created"] is False
    assert again.json()["claim_url"] is None
    listing = container.award_queries.list_awards(UM)
    assert [a.award_id for a in listing.items] == [answer["award_id"]]
    assert listing.items[0].external_id == "lms-enrolment-77"
    # The award the API made is revoked like any other, by the VC-API.
    revoke = {"credentialId": vc["id"], "credentialStatus": [{"statusPurpose": "revocation", "status": True}]}
    assert client.post("/credentials/status", json=revoke, headers=auth()).status_code == 200
    assert container.award_queries.counts(UM).revoked == 1


def test_the_idempotency_key_returns_the_same_award(app_parts: Parts) -> None:
    client, container = app_parts
    headers = {**auth(), "Idempotency-Key": "retry-0001"}
    first = client.post("/api/v1/awards", json=_body(external_id=None), headers=headers)
    assert first.status_code == 201, first.text
    retry = client.post("/api/v1/awards", json=_body(external_id=None, grade="5"), headers=headers)
    assert retry.status_code == 200
    assert retry.json()["award_id"] == first.json()["award_id"]
    other = client.post("/api/v1/awards", json=_body(external_id=None), headers={**auth(), "Idempotency-Key": "k2"})
    assert other.status_code == 201
    assert other.json()["award_id"] != first.json()["award_id"]
    assert container.award_queries.counts(UM).total == 2


def test_a_named_version_and_a_did(app_parts: Parts) -> None:
    client, _ = app_parts
    body = _body(version=1, recipient={"did": "did:example:learner"}, evidence=[])
    made = client.post("/api/v1/awards", json=body, headers=auth())
    assert made.status_code == 201, made.text
    assert made.json()["credential"]["credentialSubject"]["id"] == "did:example:learner"
    assert "evidence" not in made.json()["credential"]
    missing = client.post("/api/v1/awards", json=_body(version=999), headers=auth())
    assert missing.status_code == 404
    assert missing.json()["ok"] is False


def test_authorisation(app_parts: Parts) -> None:
    client, container = app_parts
    container.accounts.install_token(organisation=SB, name="i", scopes=["credentials:issue"], token=SB_ISSUER)
    container.accounts.install_token(organisation=UM, name="s", scopes=["credentials:status"], token=STATUS_ONLY)
    assert client.post("/api/v1/awards", json=_body()).status_code == 401
    assert client.post("/api/v1/awards", json=_body(), headers=auth(OTHER)).status_code == 403
    assert client.post("/api/v1/awards", json=_body(), headers=auth(STATUS_ONLY)).status_code == 403
    # Another organisation's token cannot award UM's micro-credential, and learns only that it is not its own.
    foreign = client.post("/api/v1/awards", json=_body(), headers=auth(SB_ISSUER))
    assert foreign.status_code == 404
    assert foreign.json()["status"] == 404
    assert container.award_queries.counts(UM).total == 0
    made = client.post("/api/v1/awards", json=_body(), headers=auth()).json()
    container.accounts.install_token(organisation=SB, name="s", scopes=["credentials:status"], token="cairn_sb_st_0123")
    revoke = {
        "credentialId": made["credential"]["id"],
        "credentialStatus": [{"statusPurpose": "revocation", "status": True}],
    }
    assert client.post("/credentials/status", json=revoke, headers=auth("cairn_sb_st_0123")).status_code == 404
    assert container.award_queries.counts(UM).revoked == 0


def test_bad_requests_are_refused_in_the_error_shape(app_parts: Parts) -> None:
    client, container = app_parts
    cases = [
        _body(recipient={"name": "nobody"}),
        _body(recipient={"email": "not-an-email"}),
        _body(evidence=[{}]),
        _body(evidence=[{"id": "javascript:alert(1)"}]),
        _body(evidence=[{"name": "e"}] * 21),
        _body(definition="x" * 300),
        _body(external_id="x" * 501),
        _body(surprise=True),
    ]
    for body in cases:
        answer = client.post("/api/v1/awards", json=body, headers=auth())
        assert answer.status_code in (400, 422), (body, answer.text)
        assert answer.json()["ok"] is False
    long_key = client.post("/api/v1/awards", json=_body(), headers={**auth(), "Idempotency-Key": "k" * 201})
    assert long_key.status_code in (400, 422)
    assert container.award_queries.counts(UM).total == 0


def test_the_route_is_documented(app_parts: Parts) -> None:
    client, _ = app_parts
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/awards"]["post"]
    assert "Idempotency-Key" in operation["description"]
    assert {p["name"].lower() for p in operation["parameters"]} >= {"idempotency-key"}
