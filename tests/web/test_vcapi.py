"""VC-API on SQLite and PostgreSQL: issue with a token, verify, update status, and the documents it serves."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.model.awards import Recipient
from cairn.store.database import Database
from tests.factories import FixedClock
from tests.vcapi_parts import OTHER, UM, auth, credential, vc_api_app


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Any]]:
    with vc_api_app(database, clock, examples) as parts:
        yield parts


@pytest.mark.parametrize(
    "suite", ["eddsa-rdfc-2022", "eddsa-jcs-2022", "ecdsa-rdfc-2019", "ecdsa-jcs-2019", "jwt", None]
)
def test_issue_then_verify(app_parts: tuple[TestClient, Any], suite: str | None) -> None:
    client, container = app_parts
    options = {"cryptosuite": suite} if suite else {}
    issued = client.post("/credentials/issue", json={"credential": credential(), "options": options}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    if suite == "jwt":
        assert vc["type"] == "EnvelopedVerifiableCredential"
    else:
        assert vc["issuer"] == container.keys.did(UM)
        assert vc["proof"]["cryptosuite"] == (suite or "eddsa-rdfc-2022")
    checked = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["verified"] is True
    assert "proof" in body["checks_passed"]
    assert body["errors"] == []


def test_the_suite_can_be_chosen_by_url(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    issued = client.post("/suites/eddsa-jcs-2022/credentials/issue", json={"credential": credential()}, headers=auth())
    assert issued.status_code == 201
    assert issued.json()["verifiableCredential"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    unknown = client.post("/suites/rot13/credentials/issue", json={"credential": credential()}, headers=auth())
    assert unknown.status_code == 400
    assert unknown.json()["ok"] is False


def test_tokens_are_required_and_scoped(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    missing = client.post("/credentials/issue", json={"credential": credential()})
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.json()["status"] == 401
    wrong = client.post("/credentials/issue", json={"credential": credential()}, headers=auth("cairn_nope"))
    assert wrong.status_code == 401
    unscoped = client.post("/credentials/issue", json={"credential": credential()}, headers=auth(OTHER))
    assert unscoped.status_code == 403


def test_a_credential_naming_another_issuer_is_refused(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    answer = client.post(
        "/credentials/issue", json={"credential": credential(issuer="did:web:someone.else")}, headers=auth()
    )
    assert answer.status_code == 400
    assert "is refused" in answer.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"credential": "not an object"},
        {"credential": credential(credentialSubject="x" * 10)},
        {"credential": {"@context": ["https://evil.example/ctx"], "type": ["VerifiableCredential"]}},
    ],
)
def test_bad_input_is_4xx_never_500(app_parts: tuple[TestClient, Any], body: dict[str, Any]) -> None:
    client, _ = app_parts
    answer = client.post("/credentials/issue", json=body, headers=auth())
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["ok"] is False


def test_oversized_bodies_get_413(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    answer = client.post(
        "/credentials/verify", content=b'{"verifiableCredential": "' + b"a" * 3_000_000 + b'"}', headers=auth()
    )
    assert answer.status_code == 413
    assert answer.json()["status"] == 413


def test_award_revoke_and_the_verify_answer_changes(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    result = container.issuing.award(
        "um-sql-databases", Recipient(email="ada@example.org", name="Ada"), actor="test", organisation=UM
    )
    before = client.post("/credentials/verify", json={"verifiableCredential": result.credential}).json()
    assert before["verified"] is True, before
    statuses = [c for c in before["checks"] if c["check"] == "status"]
    assert statuses
    assert all(c["outcome"] == "pass" for c in statuses)
    denied = client.post(
        "/credentials/status",
        json={
            "credentialId": f"urn:uuid:{result.award_id}",
            "credentialStatus": [{"statusPurpose": "revocation", "status": True}],
        },
        headers=auth(OTHER),
    )
    assert denied.status_code == 403
    done = client.post(
        "/credentials/status",
        json={
            "credentialId": f"urn:uuid:{result.award_id}",
            "credentialStatus": [{"statusPurpose": "revocation", "status": True, "reason": "issued in error"}],
        },
        headers=auth(),
    )
    assert done.status_code == 200, done.text
    after = client.post("/credentials/verify", json={"verifiableCredential": result.credential})
    assert after.status_code == 400
    assert any("revoked" in e["reason"] for e in after.json()["errors"])
    undo = client.post(
        "/credentials/status",
        json={
            "credentialId": f"urn:uuid:{result.award_id}",
            "credentialStatus": [{"statusPurpose": "revocation", "status": False}],
        },
        headers=auth(),
    )
    assert undo.status_code == 400


def test_did_document_and_status_list_are_served(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    container.issuing.award("um-sql-databases", Recipient(email="b@example.org"), actor="t", organisation=UM)
    did = client.get(f"/orgs/{UM}/did.json")
    assert did.status_code == 200
    assert did.json()["id"] == container.keys.did(UM)
    assert did.headers["content-type"].startswith("application/did+json")
    listing = client.get(f"/orgs/{UM}/status/revocation/1")
    assert listing.status_code == 200, listing.text
    etag = listing.headers["ETag"]
    assert "max-age" in listing.headers["Cache-Control"]
    assert client.get(f"/orgs/{UM}/status/revocation/1", headers={"If-None-Match": etag}).status_code == 304
    assert client.get(f"/orgs/{UM}/status/revocation/99").status_code == 404
    assert client.get("/orgs/nobody/did.json").status_code == 404


def test_presentations_verify(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    garbage = client.post("/presentations/verify", json={"verifiablePresentation": {"type": "VerifiablePresentation"}})
    assert garbage.status_code == 400
    assert garbage.json()["verified"] is False


def test_openapi_lists_the_vc_api(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/credentials/issue", "/credentials/verify", "/presentations/verify", "/credentials/status"):
        assert path in paths
    assert "/suites/{cryptosuite}/credentials/issue" in paths


def test_container_replace_keeps_working(app_parts: tuple[TestClient, Any]) -> None:
    _, container = app_parts
    assert dataclasses.replace(container).verification is container.verification


def test_the_claim_link_of_an_award(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    result = container.issuing.award(
        "um-python-data-analysis", Recipient(email="c@example.org"), actor="t", organisation=UM
    )
    assert result.claim_url is not None
    path = result.claim_url.removeprefix("https://cairn.example")
    page = client.get(path)
    assert page.status_code == 200
    assert "Data analysis with Python" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    download = client.get(path + "/credential.json")
    assert download.json()["id"] == f"urn:uuid:{result.award_id}"
    assert client.get("/claim/not-a-token").status_code == 404


def test_errors_answer_in_the_shape_of_their_router(app_parts: tuple[TestClient, Any]) -> None:
    """JSON routers answer errors as JSON whatever the client accepts; page routers answer pages."""
    client, _ = app_parts
    browser = {"Accept": "text/html"}
    for path in ("/orgs/nope/did.json", "/orgs/nope/status/revocation/1", "/api/v1/micro-credentials/nope"):
        answer = client.get(path, headers=browser)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("application/json"), path
        assert answer.json()["ok"] is False
    unknown = client.get("/api/v1/no-such-thing", headers=browser)
    assert unknown.status_code == 404
    assert unknown.json()["status"] == 404
    page = client.get("/micro-credentials/nope", headers=browser)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("suite", ["ecdsa-rdfc-2019", "ecdsa-jcs-2019"])
def test_p384_by_url_or_option(app_parts: tuple[TestClient, Any], suite: str) -> None:
    client, _ = app_parts
    by_url = client.post(f"/suites/{suite}/P-384/credentials/issue", json={"credential": credential()}, headers=auth())
    by_option = client.post(
        f"/suites/{suite}/credentials/issue",
        json={"credential": credential(), "options": {"keyType": "P-384"}},
        headers=auth(),
    )
    default = client.post(f"/suites/{suite}/credentials/issue", json={"credential": credential()}, headers=auth())
    methods = []
    for answer in (by_url, by_option, default):
        assert answer.status_code == 201, answer.text
        vc = answer.json()["verifiableCredential"]
        checked = client.post("/credentials/verify", json={"verifiableCredential": vc})
        assert checked.json()["verified"] is True, checked.text
        methods.append(vc["proof"]["verificationMethod"])
    assert methods[0] == methods[1] != methods[2]
    assert methods[0].split("#")[1].startswith("z82L")  # P-384 Multikey
    assert methods[2].split("#")[1].startswith("zDna")  # the default stays P-256
    listed = client.get(f"/orgs/{UM}/did.json").json()
    assert {methods[0], methods[2]} <= {m["id"] for m in listed["verificationMethod"]}
    refused = client.post(
        "/suites/ecdsa-sd-2023/P-384/credentials/issue", json={"credential": credential()}, headers=auth()
    )
    assert refused.status_code == 400
    assert "P-256" in refused.json()["error"]
    wrong = client.post(f"/suites/{suite}/P-521/credentials/issue", json={"credential": credential()}, headers=auth())
    assert wrong.status_code == 422


def test_selective_disclosure_issue_derive_verify(app_parts: tuple[TestClient, Any]) -> None:
    """The issuer adds an ecdsa-sd-2023 base proof, the holder derives, the verifier checks what was disclosed."""
    client, _ = app_parts
    subject = {"id": "did:example:learner", "achieved": "First aid", "name": "Ann Example"}
    issued = client.post(
        "/suites/ecdsa-sd-2023/credentials/issue",
        json={"credential": credential(credentialSubject=subject), "options": {"mandatoryPointers": ["/issuer"]}},
        headers=auth(),
    )
    assert issued.status_code == 201, issued.text
    base = issued.json()["verifiableCredential"]
    assert base["proof"]["cryptosuite"] == "ecdsa-sd-2023"
    assert base["proof"]["proofValue"].startswith("u2V0A")
    refused = client.post("/credentials/verify", json={"verifiableCredential": base})
    assert refused.status_code == 400
    assert "derive before presenting" in refused.text
    derived = client.post(
        "/credentials/derive",
        json={"verifiableCredential": base, "options": {"selectivePointers": ["/credentialSubject/achieved"]}},
    )
    assert derived.status_code == 201, derived.text
    shown = derived.json()["verifiableCredential"]
    assert shown["credentialSubject"] == {"id": "did:example:learner", "achieved": "First aid"}
    assert shown["issuer"] == base["issuer"]
    assert "validFrom" not in shown  # not mandatory here, not selected
    checked = client.post("/credentials/verify", json={"verifiableCredential": shown})
    assert checked.status_code == 200, checked.text
    shown["credentialSubject"]["achieved"] = "Brain surgery"
    tampered = client.post("/credentials/verify", json={"verifiableCredential": shown})
    assert tampered.status_code == 400
    missing = client.post(
        "/credentials/derive",
        json={"verifiableCredential": base, "options": {"selectivePointers": ["/credentialSubject/nothing"]}},
    )
    assert missing.status_code == 400
    assert "does not match" in missing.json()["error"]
    not_sd = client.post("/credentials/derive", json={"verifiableCredential": credential()})
    assert not_sd.status_code == 400
    bad_pointer = client.post(
        "/suites/ecdsa-sd-2023/credentials/issue",
        json={"credential": credential(), "options": {"mandatoryPointers": ["/credentialSubject/invalidPointer"]}},
        headers=auth(),
    )
    assert bad_pointer.status_code == 400


# -- issue #12: the verifier follows the specs ----------------------------------------------------------------

PARSING_ERROR = "https://www.w3.org/TR/vc-data-model#PARSING_ERROR"


def _issued(client: TestClient, suite: str = "eddsa-rdfc-2022") -> Any:
    issued = client.post(
        "/credentials/issue", json={"credential": credential(), "options": {"cryptosuite": suite}}, headers=auth()
    )
    assert issued.status_code == 201, issued.text
    return issued.json()["verifiableCredential"]


def test_json_in_a_string_is_a_parsing_error_and_a_jwt_string_is_read(app_parts: tuple[TestClient, Any]) -> None:
    client, _ = app_parts
    vc = _issued(client)
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    answer = client.post("/credentials/verify", json={"verifiableCredential": json.dumps(vc)})
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert [(e["check"], e["type"]) for e in errors] == [("readable", PARSING_ERROR)]
    assert "must be a JWT" in errors[0]["reason"]
    token = _issued(client, "jwt")["id"].split(",", 1)[1]
    read = client.post("/credentials/verify", json={"verifiableCredential": token})
    assert read.status_code == 200, read.text
    assert read.json()["verified"] is True
    vp = client.post("/presentations/verify", json={"verifiablePresentation": json.dumps({"type": "x"})})
    assert vp.status_code == 400
    assert vp.json()["errors"][0]["type"] == PARSING_ERROR


@pytest.mark.parametrize("proof", [None, "z5gL4Hy8N4B6zr9", [1]])
def test_a_proof_that_is_not_a_map_is_a_parsing_error(app_parts: tuple[TestClient, Any], proof: Any) -> None:
    client, _ = app_parts
    vc = {**_issued(client), "proof": proof}
    answer = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert answer.status_code == 400
    assert PARSING_ERROR in [e.get("type") for e in answer.json()["errors"]]


def test_options_checks_choose_the_optional_checks(app_parts: tuple[TestClient, Any]) -> None:
    client, container = app_parts
    result = container.issuing.award(
        "um-sql-databases", Recipient(email="ada@example.org", name="Ada"), actor="test", organisation=UM
    )
    container.status_lists.revoke(result.award_id, reason="issued in error", actor="t", organisation=UM)
    body = {"verifiableCredential": result.credential}
    everything = client.post("/credentials/verify", json=body)
    assert everything.status_code == 400
    assert any("revoked" in e["reason"] for e in everything.json()["errors"])
    proof_only = client.post("/credentials/verify", json={**body, "options": {"checks": ["proof"]}})
    assert proof_only.status_code == 200, proof_only.text
    checks = {c["check"]: c for c in proof_only.json()["checks"]}
    assert checks["status"]["outcome"] == "skipped"
    assert "not requested" in checks["status"]["reason"]
    assert checks["proof"]["outcome"] == checks["well-formed"]["outcome"] == checks["validity"]["outcome"] == "pass"
    both = {**body, "options": {"checks": ["proof", "credentialStatus"]}}
    with_status = client.post("/credentials/verify", json=both)
    assert with_status.status_code == 400
    assert any("revoked" in e["reason"] for e in with_status.json()["errors"])
    unknown = client.post("/credentials/verify", json={**body, "options": {"checks": ["proof", "horoscope"]}})
    assert unknown.status_code == 400
    assert unknown.json()["ok"] is False
    assert "unknown checks in options.checks: horoscope" in unknown.json()["error"]


def test_presentations_without_holder_and_enveloped_ones_verify(app_parts: tuple[TestClient, Any]) -> None:
    from cairn.vc.dids import did_key
    from cairn.vc.issuance import default_verification_method
    from cairn.vc.keys import KeyPair, KeyType
    from cairn.vc.presentations import build_presentation, create_presentation_jwt, envelop_presentation
    from cairn.vc.proofs.data_integrity import add_proof

    client, _ = app_parts
    holder = KeyPair.from_secret(KeyType.ED25519, bytes(range(11, 43)))
    vc = _issued(client)
    options = {"challenge": "c-9", "domain": "verifier.example"}
    vp = add_proof(
        build_presentation([vc], holder=None),
        key=holder,
        verification_method=default_verification_method(holder),
        cryptosuite="eddsa-rdfc-2022",
        created="2026-06-01T10:00:00Z",
        proof_purpose="authentication",
        challenge="c-9",
        domain="verifier.example",
    )
    answer = client.post("/presentations/verify", json={"verifiablePresentation": vp, "options": options})
    assert answer.status_code == 200, answer.text
    assert answer.json()["credentials"][0]["verified"] is True
    replayed = {"verifiablePresentation": vp, "options": {**options, "challenge": "x"}}
    replay = client.post("/presentations/verify", json=replayed)
    assert replay.status_code == 400
    token = create_presentation_jwt(
        [vc],
        holder=did_key(holder.public),
        key=holder,
        kid=default_verification_method(holder),
        challenge="c-9",
        domain="verifier.example",
    )
    enveloped = client.post(
        "/presentations/verify", json={"verifiablePresentation": envelop_presentation(token), "options": options}
    )
    assert enveloped.status_code == 200, enveloped.text
    assert enveloped.json()["format"] == "enveloped-vp-jwt"
    emptied = {**envelop_presentation(token), "@context": []}
    refused = client.post("/presentations/verify", json={"verifiablePresentation": emptied, "options": options})
    assert refused.status_code == 400
    assert "@context is empty" in refused.json()["errors"][0]["reason"]
