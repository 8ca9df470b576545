"""OpenID4VP over HTTP: the JSON API (its organisation's token only), the request object by reference with its
media type, the response endpoint's form, error shape, size limit (413) and replay refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.openid4vp.verifier import MAX_RESPONSE
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.sdjwt import add_key_binding
from cairn.web.app import create_app
from tests.factories import FixedClock

PUBLIC = "https://cairn.example"
UM, DEFINITION = "uniwersytet-mazowiecki", "um-python-data-analysis"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url=PUBLIC)
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False, base_url=PUBLIC) as client:
        yield client


def token(container: Container, organisation: str = UM) -> dict[str, str]:
    made = container.accounts.create_token(organisation=organisation, name="hr", scopes=["credentials:read"], actor="t")
    return {"Authorization": f"Bearer {made.token}"}


def test_api_request_object_and_direct_post(client: TestClient, container: Container) -> None:
    headers = token(container)
    made = client.post(
        f"/api/v1/orgs/{UM}/presentation-requests",
        json={"name": "Hiring", "formats": ["dc+sd-jwt"], "min_eqf": 4},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "open"
    assert body["dcql_query"]["credentials"][0]["meta"] == {
        "vct_values": ["urn:eu.europa.ec.eudi:learning:credential:1"]
    }
    assert (
        client.post(
            f"/api/v1/orgs/{UM}/presentation-requests", json={"name": "x", "formats": ["dc+sd-jwt"]}
        ).status_code
        == 401
    )
    got = client.get(urlsplit(body["request_uri"]).path)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/oauth-authz-req+jwt")
    assert got.headers["cache-control"] == "no-store"
    huge = client.post("/openid4vp/response", content=b"vp_token=" + b"a" * (MAX_RESPONSE + 10), headers=FORM)
    assert huge.status_code == 413
    assert huge.json()["error"] == "invalid_request"
    bad = client.post("/openid4vp/response", data={"vp_token": "{", "state": "nope"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_request"
    award = container.issuing.award(DEFINITION, Recipient(email="ada@example.org"), actor="test", organisation=UM)
    key = KeyPair.generate(KeyType.P256)
    verifier = container.presentation_requests
    issued = container.sd_jwt.issue(award.award_id, holder_jwk=key.public.to_jwk())
    bound = add_key_binding(
        issued,
        holder_key=key,
        aud=body["client_id"],
        nonce=verifier.nonce(body["id"]),
        iat=int(container.clock().timestamp()),
    )
    form = {"vp_token": json.dumps({"learning_credential": [bound]}), "state": verifier.state(body["id"])}
    answered = client.post("/openid4vp/response", data=form)
    assert answered.status_code == 200, answered.text
    assert answered.json() == {}
    replay = client.post("/openid4vp/response", data=form)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_request"
    assert client.get(urlsplit(body["request_uri"]).path).status_code == 404
    read = client.get(f"/api/v1/orgs/{UM}/presentation-requests/{body['id']}", headers=headers)
    assert read.json()["status"] == "answered"
    assert read.json()["result"]["verified"] is True
    other = container.catalog.organisations()[-1].id
    assert other != UM
    foreign = client.get(f"/api/v1/orgs/{UM}/presentation-requests/{body['id']}", headers=token(container, other))
    assert foreign.status_code == 403
