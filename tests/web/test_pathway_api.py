"""The pathway API: published pathways for anyone, an organisation's own written with its token (problems by path),
and claiming a composite credential with a presentation signed by a did:key holder, then the issuer's review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.store.database import Database
from tests.factories import (
    HOLDER_DID,
    OTHER_HOLDER_KEY,
    PATHWAY_ID,
    FixedClock,
    awarded_to_did,
    pathway_document,
    present,
)
from tests.vcapi_parts import OTHER, SB, TOKEN, UM, auth, vc_api_app

READ_ONLY = "cairn_test_read_only_token_of_the_um_0123"
PUT = f"/api/v1/orgs/{UM}/pathways/{PATHWAY_ID}"
CLAIMS = f"/api/v1/pathways/{PATHWAY_ID}/claims"
Parts = tuple[TestClient, Container]


DEMO_PATHWAY = "um-data-analysis-foundations"  # the example catalogue's pathway


@pytest.fixture
def parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(database, clock, examples) as (client, container):
        container.accounts.install_token(organisation=UM, name="r", scopes=["credentials:read"], token=READ_ONLY)
        yield client, container


def challenge_of(client: TestClient) -> tuple[str, str]:
    answer = client.get(f"/api/v1/pathways/{PATHWAY_ID}/challenge")
    assert answer.status_code == 200, answer.text
    return answer.json()["challenge"], answer.json()["domain"]


def stored(container: Container, **changes: Any) -> None:
    container.pathways.save(pathway_document(**changes), organisation=UM, actor="test")


# -- writing and reading pathways -------------------------------------------------------------------------------


def test_writing_needs_the_organisation_s_token_with_the_issuing_scope(parts: Parts) -> None:
    client, container = parts
    body = pathway_document()
    missing = client.put(PUT, json=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert client.put(PUT, json=body, headers=auth("cairn_not_a_token_at_all_0123456789")).status_code == 401
    scope = client.put(PUT, json=body, headers=auth(READ_ONLY))
    assert scope.status_code == 403
    assert 'scope="credentials:issue"' in scope.headers["www-authenticate"]
    assert client.put(PUT, json=body, headers=auth(OTHER)).status_code == 403  # another organisation's token
    assert [v.slug for v in container.pathways.all(drafts=True)] == [DEMO_PATHWAY]


def test_a_pathway_is_created_then_versioned_and_read_by_anyone(parts: Parts) -> None:
    client, container = parts
    body = pathway_document()
    del body["id"], body["issuer"]  # both default to the address's
    made = client.put(PUT, json=body, headers=auth())
    assert made.status_code == 201, made.text
    assert made.json() == {"ok": True, "id": PATHWAY_ID, "version": 1, "action": "created", "state": "published"}
    same = client.put(PUT, json=body, headers=auth())
    assert same.status_code == 200
    assert same.json()["action"] == "unchanged"
    changed = client.put(PUT, json={**body, "review": "automatic"}, headers=auth())
    assert changed.status_code == 200
    assert changed.json()["version"] == 2
    assert changed.json()["action"] == "new-version"
    one = client.get(f"/api/v1/pathways/{PATHWAY_ID}")
    assert one.status_code == 200
    assert one.json()["version"] == 2
    assert one.json()["versions"] == [1, 2]
    assert one.json()["pathway"]["review"] == "automatic"
    assert one.json()["target_title"]["en"] == "Applied statistics for data analysis"
    first = client.get(f"/api/v1/pathways/{PATHWAY_ID}", params={"version": 1})
    assert first.json()["pathway"]["review"] == "issuer"
    listing = client.get("/api/v1/pathways").json()
    assert [item["id"] for item in listing["items"]] == [DEMO_PATHWAY, PATHWAY_ID]
    assert client.get(f"/api/v1/pathways/{PATHWAY_ID}", params={"version": 3}).status_code == 404
    assert container.pathways.versions(PATHWAY_ID) == [1, 2]


def test_a_draft_is_not_public(parts: Parts) -> None:
    client, _ = parts
    made = client.put(PUT, json=pathway_document(state="draft"), headers=auth())
    assert made.status_code == 201
    assert made.json()["state"] == "draft"
    assert client.get(f"/api/v1/pathways/{PATHWAY_ID}").status_code == 404
    assert client.get("/api/v1/pathways").json()["count"] == 1  # the example catalogue's own
    assert client.get(f"/api/v1/pathways/{PATHWAY_ID}/challenge").status_code == 404


def test_problems_answer_422_with_their_paths_and_store_nothing(parts: Parts) -> None:
    client, container = parts
    impossible = pathway_document(rules={"n_of": {"n": 3, "of": [{"component": {"definition": "um-sql-databases"}}]}})
    answer = client.put(PUT, json=impossible, headers=auth())
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert [(p["path"], p["message"]) for p in problems] == [
        ("rules.n_of", "n is 3 but there are only 1 rules to choose from")
    ]
    unknown = pathway_document(
        target="um-not-there",
        rules={"all": [{"component": {"definition": "nope"}}, {"component": {"definition": "um-sql-databases"}}]},
    )
    paths = {p["path"] for p in client.put(PUT, json=unknown, headers=auth()).json()["problems"]}
    assert {"target", "rules.all[0]"} <= paths
    mismatched = client.put(PUT, json=pathway_document(id="another", issuer=SB), headers=auth())
    assert mismatched.status_code == 422
    assert {p["path"] for p in mismatched.json()["problems"]} == {"id", "issuer"}
    foreign_target = client.put(PUT, json=pathway_document(target="sb-cloud-applications"), headers=auth())
    assert foreign_target.status_code == 422
    assert "is not a micro-credential of" in foreign_target.json()["problems"][0]["message"]
    too_large = client.put(PUT, json={**pathway_document(), "description": {"en": "x" * 200_000}}, headers=auth())
    assert too_large.status_code == 413
    assert [v.slug for v in container.pathways.all(drafts=True)] == [DEMO_PATHWAY]


def test_the_api_is_documented(parts: Parts) -> None:
    client, _ = parts
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/pathways",
        "/api/v1/pathways/{slug}",
        "/api/v1/orgs/{org}/pathways/{slug}",
        "/api/v1/pathways/{slug}/challenge",
        "/api/v1/pathways/{slug}/claims",
        "/api/v1/orgs/{org}/pathways/{slug}/claims",
        "/api/v1/orgs/{org}/pathway-claims/{claim_id}/decision",
    ):
        assert path in paths, path
    assert paths["/api/v1/orgs/{org}/pathways/{slug}"]["put"]["tags"] == ["pathways"]


# -- claiming ---------------------------------------------------------------------------------------------------


def test_a_claim_waits_for_review_and_a_replay_gives_the_same_claim(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    assert domain == "https://cairn.example"
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, domain)
    made = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge})
    assert made.status_code == 201, made.text
    claim = made.json()["claim"]
    assert claim["state"] == "review"
    assert claim["holder"] == HOLDER_DID
    assert made.json()["credential"] is None
    assert claim["explanation"] == "met: 2 of 2 parts"
    assert [c["title"] for c in claim["components"]] == ["Relational databases and SQL", "Data analysis with Python"]
    assert all(c["counted"] and c["status"] == "valid" for c in claim["components"])
    assert all(c["digest"].startswith("sha384-") for c in claim["components"])
    replay = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge})
    assert replay.status_code == 201
    assert replay.json()["claim"]["id"] == claim["id"]
    listed = client.get(f"/api/v1/orgs/{UM}/pathways/{PATHWAY_ID}/claims", headers=auth(READ_ONLY))
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [claim["id"]]
    assert client.get(f"/api/v1/orgs/{UM}/pathways/{PATHWAY_ID}/claims").status_code == 401
    assert client.get(f"/api/v1/orgs/{SB}/pathways/{PATHWAY_ID}/claims", headers=auth(OTHER)).status_code == 404
    waiting = client.get(
        f"/api/v1/orgs/{UM}/pathways/{PATHWAY_ID}/claims", params={"state": "awarded"}, headers=auth(READ_ONLY)
    )
    assert waiting.json()["count"] == 0


def test_a_vp_jwt_claims_too(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    token = present(awarded_to_did(container, HOLDER_DID), challenge, domain, jwt=True)
    assert isinstance(token, str)
    made = client.post(CLAIMS, json={"presentation": token, "challenge": challenge})
    assert made.status_code == 201, made.text
    assert made.json()["claim"]["state"] == "review"


def test_refusing_needs_a_reason_the_learner_reads(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, domain)
    claim_id = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge}).json()["claim"]["id"]
    decision = f"/api/v1/orgs/{UM}/pathway-claims/{claim_id}/decision"
    assert client.post(decision, json={"approve": False, "reason": "no"}, headers=auth(READ_ONLY)).status_code == 403
    assert client.post(decision, json={"approve": False, "reason": "no"}, headers=auth(OTHER)).status_code == 403
    no_reason = client.post(decision, json={"approve": False, "reason": "   "}, headers=auth())
    assert no_reason.status_code == 400
    assert "say why the claim is refused" in no_reason.json()["error"]
    assert client.post(decision, json={"approve": "no"}, headers=auth()).status_code == 422
    refused = client.post(decision, json={"approve": False, "reason": "The SQL course was audited."}, headers=auth())
    assert refused.status_code == 200, refused.text
    assert refused.json()["claim"]["state"] == "refused"
    assert refused.json()["claim"]["reason"] == "The SQL course was audited."
    assert client.post(decision, json={"approve": False, "reason": "again"}, headers=auth()).status_code == 409


def test_someone_else_s_credentials_do_not_count(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, domain, OTHER_HOLDER_KEY)
    answer = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge})
    assert answer.status_code == 409
    assert "the pathway's rules are not met" in answer.json()["error"]
    assert "about someone else" in answer.json()["error"]
    assert container.pathway_claims.claims(PATHWAY_ID, organisation=UM) == []


def test_a_challenge_must_be_this_pathway_s_and_fresh(parts: Parts, clock: FixedClock) -> None:
    client, container = parts
    stored(container)
    stored(container, id="um-other-pathway", target="um-digital-accessibility")
    credentials = awarded_to_did(container, HOLDER_DID)
    other = client.get("/api/v1/pathways/um-other-pathway/challenge").json()["challenge"]
    domain = container.pathway_claims.domain
    foreign = client.post(CLAIMS, json={"presentation": present(credentials, other, domain), "challenge": other})
    assert foreign.status_code == 400
    assert "another pathway" in foreign.json()["error"]
    made_up = "4102444800.0123.abcdef"
    guessed = client.post(CLAIMS, json={"presentation": present(credentials, made_up, domain), "challenge": made_up})
    assert guessed.status_code == 400
    challenge, _ = challenge_of(client)
    late = present(credentials, challenge, domain)
    clock.advance(minutes=11)
    expired = client.post(CLAIMS, json={"presentation": late, "challenge": challenge})
    assert expired.status_code == 400
    assert "expired" in expired.json()["error"]
    fresh, _ = challenge_of(client)
    elsewhere = present(credentials, fresh, "https://verifier.example")
    assert client.post(CLAIMS, json={"presentation": elsewhere, "challenge": fresh}).status_code == 400
    assert container.pathway_claims.claims(PATHWAY_ID, organisation=UM) == []


def test_bad_presentations_answer_400_and_large_ones_413(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    credentials = awarded_to_did(container, HOLDER_DID)
    presentation = present(credentials, challenge, domain)
    assert isinstance(presentation, dict)
    tampered = {**presentation, "holder": "did:example:mallory"}
    assert client.post(CLAIMS, json={"presentation": tampered, "challenge": challenge}).status_code == 400
    bare = client.post(CLAIMS, json={"presentation": credentials[0], "challenge": challenge})
    assert bare.status_code == 400
    assert client.post(CLAIMS, json={"presentation": "not a jwt", "challenge": challenge}).status_code == 400
    assert client.post(CLAIMS, json={"presentation": presentation}).status_code == 422
    huge = client.post(CLAIMS, json={"presentation": "x" * 1_000_001, "challenge": challenge})
    assert huge.status_code == 413
    assert (
        client.post(
            "/api/v1/pathways/no-such-pathway/claims", json={"presentation": presentation, "challenge": challenge}
        ).status_code
        == 404
    )
    assert container.pathway_claims.claims(PATHWAY_ID, organisation=UM) == []


def test_an_automatic_pathway_awards_at_once_and_only_once(parts: Parts) -> None:
    client, container = parts
    stored(container, review="automatic")
    challenge, domain = challenge_of(client)
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, domain)
    made = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge})
    assert made.status_code == 201
    assert made.json()["claim"]["state"] == "awarded"
    assert made.json()["credential"]["id"] == f"urn:uuid:{made.json()['claim']['award_id']}"
    again = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge})
    assert again.json()["claim"]["award_id"] == made.json()["claim"]["award_id"]


def test_approving_a_claim_awards_the_composite(parts: Parts) -> None:
    client, container = parts
    stored(container)
    challenge, domain = challenge_of(client)
    presentation = present(awarded_to_did(container, HOLDER_DID), challenge, domain)
    claim_id = client.post(CLAIMS, json={"presentation": presentation, "challenge": challenge}).json()["claim"]["id"]
    approved = client.post(
        f"/api/v1/orgs/{UM}/pathway-claims/{claim_id}/decision", json={"approve": True}, headers=auth(TOKEN)
    )
    assert approved.status_code == 200
    assert approved.json()["claim"]["state"] == "awarded"
    assert approved.json()["credential"]["id"] == f"urn:uuid:{approved.json()['claim']['award_id']}"
