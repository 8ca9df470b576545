"""The VC-API issuer applies the data model Cairn's verifier applies, and what it issues is a first-class award:
an id and a start of validity, status entries, a place in the award list, revocation through the API."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.model.awards import Recipient
from cairn.store.database import Database
from cairn.vc.datamodel import DATA_INTEGRITY_V2, credential_problems
from cairn.vc.verification import verify
from tests.factories import EXAMPLES as EXAMPLE_CATALOG
from tests.factories import FixedClock, copy_sqlite
from tests.vcapi_parts import OTHER, SB, UM, VC2, auth, credential, vc_api_app

VC1 = "https://www.w3.org/2018/credentials/v1"
SB_STATUS = "cairn_test_status_token_of_skillbridge_0123"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
DIGEST = "sha384-NSOcNpmdIVUxIJGvGUoe22FjTWrXiaXlsZ8q6912LdnR3KraQO2n75Ica4wK4Qeg"

Parts = tuple[TestClient, Any]


@pytest.fixture
def app_parts(database: Database, clock: FixedClock, examples: Path) -> Iterator[Parts]:
    with vc_api_app(database, clock, examples) as parts:
        yield parts


@pytest.fixture(scope="module")
def refusing_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parts]:
    """One app on SQLite for the refusals: they are about input, nothing is stored, so they share it."""
    database = Database(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("refusals") / "cairn.db"))
    with vc_api_app(database, FixedClock(), EXAMPLE_CATALOG) as parts:
        yield parts
    database.dispose()


def _without(*names: str) -> dict[str, Any]:
    body = credential()
    for name in names:
        body.pop(name)
    return body


MALFORMED = {
    "first context not v2": credential(**{"@context": [EXAMPLES]}),
    "no context": _without("@context"),
    "empty context": credential(**{"@context": []}),
    "a context that is not a URL": credential(**{"@context": [VC2, "https ://not-a-url/v1"]}),
    "a context that is a number": credential(**{"@context": [VC2, 123192875]}),
    "no VerifiableCredential type": credential(type=["ExampleAchievementCredential"]),
    "no credentialSubject": _without("credentialSubject"),
    "an empty credentialSubject": credential(credentialSubject={}),
    "one empty subject of two": credential(credentialSubject=[{"id": "did:example:a"}, {}]),
    "validFrom not a dateTimeStamp": credential(validFrom="Sat 25 Feb 2023 07:16:31 PM CST"),
    "validFrom without a time zone": credential(validFrom="2026-01-01T00:00:00"),
    "validUntil not a dateTimeStamp": credential(validUntil="Sun, 26 Feb 2023 01:22:14 +0000"),
    "validUntil before validFrom": credential(validFrom="2026-01-02T00:00:00Z", validUntil="2026-01-01T00:00:00Z"),
    "an id that is not a URL": credential(id="https ://not-a-url/vcs/1"),
    "a null id": credential(id=None),
    "credentialStatus without type": credential(credentialStatus={"id": "https://example.org/status/1"}),
    "credentialStatus type not a string": credential(credentialStatus={"id": "https://e.org/s", "type": 2}),
    "termsOfUse without type": credential(termsOfUse={}),
    "evidence without type": credential(evidence=[{"id": "https://example.org/evidence/1"}]),
    "refreshService without type": credential(refreshService={"id": "https://example.org/refresh"}),
    "credentialSchema without type": credential(credentialSchema={"id": "https://example.org/schema.json"}),
    "credentialSchema without id": credential(credentialSchema={"type": "JsonSchema"}),
    "credentialSchema id not a URL": credential(credentialSchema={"type": "JsonSchema", "id": "https ://x/s"}),
    "name neither string nor language value": credential(name={"@value": "X", "@language": "en", "url": "x"}),
    "description a number": credential(description=7),
    "issuer name with an extra property": credential(
        issuer={"id": "ISSUER", "name": {"@value": "X", "@language": "en", "extra": 1}}
    ),
    "relatedResource as strings": credential(relatedResource=["https://www.w3.org/ns/credentials/v2"]),
    "relatedResource without id": credential(relatedResource=[{"digestSRI": DIGEST}]),
    "relatedResource without digest": credential(relatedResource=[{"id": VC2}]),
    "relatedResource listed twice": credential(
        relatedResource=[{"id": VC2, "digestSRI": DIGEST}, {"id": VC2, "digestMultibase": "uJKGMkOmFbVJhE"}]
    ),
    "relatedResource digestSRI in base64url": credential(
        relatedResource=[{"id": VC2, "digestSRI": "sha384-_rCVIV7fSXXTNIvpiq26jRDyj8JG8TDjij-tD0ewLk4J"}]
    ),
}


def _with_issuer(body: dict[str, Any], did: str) -> dict[str, Any]:
    body = copy.deepcopy(body)
    if isinstance(body.get("issuer"), dict):
        body["issuer"]["id"] = did
    return body


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_the_issuer_refuses_what_the_verifier_calls_malformed(refusing_app: Parts, name: str) -> None:
    client, container = refusing_app
    did = container.keys.did(UM)
    body = _with_issuer(MALFORMED[name], did)
    answer = client.post("/credentials/issue", json={"credential": body}, headers=auth())
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["ok"] is False
    assert answer.json()["status"] == answer.status_code
    # The verifier, given the same document (issuer filled in as the issuer would), calls it malformed too.
    as_issued = {"issuer": did, **body}
    assert credential_problems(as_issued), name
    report = verify(as_issued, now=container.clock())
    assert any(c.name == "well-formed" and c.outcome.value == "fail" for c in report.checks), name
    assert container.award_queries.counts(UM).total == 0


@pytest.mark.parametrize(
    "extra",
    [
        {"name": [{"@value": "Dog", "@language": "en"}, {"@value": "Chien", "@language": "fr"}]},
        {"description": {"@value": "An example", "@language": "en"}},
        {"relatedResource": [{"id": VC2, "digestSRI": DIGEST, "mediaType": "application/ld+json"}]},
        {"credentialSchema": {"id": "https://example.org/schema.json", "type": "JsonSchema"}},
        {"evidence": [{"type": ["Evidence"], "id": "https://example.org/evidence/1"}]},
        {"validUntil": "2027-01-01T00:00:00.123+02:00"},
    ],
)
def test_well_formed_variants_are_issued_and_verify(app_parts: Parts, extra: dict[str, Any]) -> None:
    client, _ = app_parts
    issued = client.post("/credentials/issue", json={"credential": credential(**extra)}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    checked = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert checked.status_code == 200, checked.text


def test_a_vc_1_1_credential_gets_the_data_integrity_context(app_parts: Parts) -> None:
    client, _ = app_parts
    body = {
        "@context": [VC1],
        "type": ["VerifiableCredential"],
        "issuanceDate": "2026-01-01T00:00:00Z",
        "expirationDate": "2027-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner"},
    }
    issued = client.post("/suites/eddsa-rdfc-2022/credentials/issue", json={"credential": body}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["@context"] == [VC1, DATA_INTEGRITY_V2]
    assert vc["id"].startswith("urn:uuid:")
    assert "credentialStatus" not in vc  # the 1.1 context does not define BitstringStatusListEntry
    checked = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert checked.status_code == 200, checked.text
    revoke = {"credentialId": vc["id"], "credentialStatus": [{"statusPurpose": "revocation", "status": True}]}
    cannot = client.post("/credentials/status", json=revoke, headers=auth())
    assert cannot.status_code == 409  # stored and listed, but it carries no status entry to set
    assert "no revocation status entry" in cannot.json()["error"]
    no_date = {k: v for k, v in body.items() if k != "issuanceDate"}
    dated = client.post("/credentials/issue", json={"credential": no_date}, headers=auth())
    assert dated.status_code == 201, dated.text
    assert dated.json()["verifiableCredential"]["issuanceDate"] == "2026-05-04T09:30:00Z"


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "ecdsa-rdfc-2019"])
def test_a_base_direction_is_signed(app_parts: Parts, suite: str) -> None:
    client, container = app_parts
    name = {"@value": "شهادة", "@language": "ar", "@direction": "rtl"}
    body = credential(name=name, issuer={"id": container.keys.did(UM), "description": {**name, "@value": "x"}})
    request = {"credential": body, "options": {"cryptosuite": suite}}
    issued = client.post("/credentials/issue", json=request, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["name"] == name
    assert client.post("/credentials/verify", json={"verifiableCredential": vc}).status_code == 200
    turned = copy.deepcopy(vc)
    turned["name"]["@direction"] = "ltr"  # only the direction changes: the signature must no longer hold
    answer = client.post("/credentials/verify", json={"verifiableCredential": turned})
    assert answer.status_code == 400
    assert any(e["check"] == "proof" for e in answer.json()["errors"])


def test_missing_id_and_validfrom_are_added(app_parts: Parts) -> None:
    client, container = app_parts
    issued = client.post("/credentials/issue", json={"credential": _without("id", "validFrom")}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    assert vc["id"].startswith("urn:uuid:")
    assert vc["validFrom"] == "2026-05-04T09:30:00Z"  # the clock's now
    assert container.clock().isoformat().startswith("2026-05-04T09:30:00")
    again = client.post("/credentials/issue", json={"credential": _without("id", "validFrom")}, headers=auth())
    assert again.json()["verifiableCredential"]["id"] != vc["id"]
    # An already expired credential starts when it ends, never after (validUntil before validFrom is malformed).
    expired = _without("validFrom")
    expired["validUntil"] = "2026-02-01T00:00:00Z"
    past = client.post("/credentials/issue", json={"credential": expired}, headers=auth())
    assert past.status_code == 201, past.text
    assert past.json()["verifiableCredential"]["validFrom"] == "2026-02-01T00:00:00Z"


def test_status_entries_listing_and_revocation(app_parts: Parts) -> None:
    client, container = app_parts
    given = {"id": "https://example.org/status/7", "type": "ExampleStatus"}
    body = credential(credentialStatus=given, **{"@context": [VC2, EXAMPLES, {"ExampleStatus": "https://e.org/#S"}]})
    issued = client.post("/credentials/issue", json={"credential": body}, headers=auth())
    assert issued.status_code == 201, issued.text
    vc = issued.json()["verifiableCredential"]
    entries = vc["credentialStatus"]
    assert entries[0] == given  # what the caller gave is kept
    ours = entries[1:]
    assert sorted(e["statusPurpose"] for e in ours) == ["revocation", "suspension"]
    for entry in ours:
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["statusListCredential"].startswith(f"https://cairn.example/orgs/{UM}/status/")
        assert int(entry["statusListIndex"]) >= 0
    award_id = vc["id"].removeprefix("urn:uuid:")
    listing = container.award_queries.list_awards(UM)
    assert [a.award_id for a in listing.items] == [award_id]
    assert listing.items[0].definition == ""
    assert listing.items[0].title == "ExampleAchievementCredential"
    assert listing.items[0].recipient_did == "did:example:learner"
    assert container.issuing.get(award_id, organisation=UM).credential == vc
    change = {"credentialId": vc["id"], "credentialStatus": [{"statusPurpose": "suspension", "status": True}]}
    assert client.post("/credentials/status", json=change, headers=auth()).status_code == 200
    suspended = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert suspended.status_code == 400
    assert any("suspended" in e["reason"] for e in suspended.json()["errors"])
    revoke = {"credentialId": vc["id"], "credentialStatus": [{"statusPurpose": "revocation", "status": True}]}
    assert client.post("/credentials/status", json=revoke, headers=auth()).status_code == 200
    assert container.award_queries.counts(UM).revoked == 1


def test_a_credential_with_its_own_url_id_is_revoked_by_that_id(app_parts: Parts) -> None:
    client, container = app_parts
    body = credential(id="https://lms.example/credentials/42")
    vc = client.post("/credentials/issue", json={"credential": body}, headers=auth()).json()["verifiableCredential"]
    revoke = {"credentialId": body["id"], "credentialStatus": [{"statusPurpose": "revocation", "status": True}]}
    done = client.post("/credentials/status", json=revoke, headers=auth())
    assert done.status_code == 200, done.text
    after = client.post("/credentials/verify", json={"verifiableCredential": vc})
    assert any("revoked" in e["reason"] for e in after.json()["errors"])
    assert container.award_queries.list_awards(UM).items[0].external_id == body["id"]


def test_another_organisation_cannot_revoke_and_cannot_take_an_award_id(app_parts: Parts) -> None:
    client, container = app_parts
    container.accounts.install_token(
        organisation=SB, name="s", scopes=["credentials:status", "credentials:issue"], token=SB_STATUS
    )
    ours = client.post("/credentials/issue", json={"credential": _without("id")}, headers=auth()).json()
    our_id = ours["verifiableCredential"]["id"]
    revoke = {"credentialId": our_id, "credentialStatus": [{"statusPurpose": "revocation", "status": True}]}
    assert client.post("/credentials/status", json=revoke, headers=auth(SB_STATUS)).status_code == 404
    assert client.post("/credentials/status", json=revoke, headers=auth(OTHER)).status_code == 403
    assert container.award_queries.counts(UM).revoked == 0
    # SkillBridge issues a credential whose id is UM's award id: it gets an award of its own, and revoking
    # "its" credential by that id revokes its own, never UM's.
    body = credential(id=our_id, credentialSubject={"id": "did:example:someone"})
    taken = client.post("/credentials/issue", json={"credential": body}, headers=auth(SB_STATUS))
    assert taken.status_code == 201, taken.text
    assert client.post("/credentials/status", json=revoke, headers=auth(SB_STATUS)).status_code == 200
    assert container.award_queries.counts(UM).revoked == 0
    assert container.award_queries.counts(SB).revoked == 1
    # And an award made on the pages is no more reachable by another organisation.
    award = container.issuing.award("um-sql-databases", Recipient(email="a@example.org"), actor="t", organisation=UM)
    other = {"credentialId": f"urn:uuid:{award.award_id}", "credentialStatus": revoke["credentialStatus"]}
    assert client.post("/credentials/status", json=other, headers=auth(SB_STATUS)).status_code == 404


def test_huge_and_deep_credentials_are_refused(app_parts: Parts) -> None:
    client, container = app_parts
    deep: dict[str, Any] = {"id": "did:example:x"}
    for _ in range(80):
        deep = {"nested": deep}
    answer = client.post("/credentials/issue", json={"credential": credential(credentialSubject=deep)}, headers=auth())
    assert answer.status_code in (400, 413, 422)
    big = client.post(
        "/credentials/issue",
        json={"credential": credential(credentialSubject={"id": "did:example:x", "note": "a" * 3_000_000})},
        headers=auth(),
    )
    assert big.status_code == 413
    many = credential(relatedResource=[{"id": f"https://e.org/{i}", "digestSRI": DIGEST} for i in range(5000)])
    many["relatedResource"].append({"id": "https://e.org/0", "digestSRI": DIGEST})
    refused = client.post("/credentials/issue", json={"credential": many}, headers=auth())
    assert refused.status_code == 400
    assert "twice" in refused.json()["error"]
    assert container.award_queries.counts(UM).total == 0


def test_the_status_list_answers_json_ld_loaders_in_their_media_type(app_parts: Parts) -> None:
    client, _ = app_parts
    vc = client.post("/credentials/issue", json={"credential": credential()}, headers=auth()).json()
    url = vc["verifiableCredential"]["credentialStatus"][0]["statusListCredential"].removeprefix(
        "https://cairn.example"
    )
    assert client.get(url).headers["content-type"].startswith("application/vc")
    loader = client.get(url, headers={"Accept": "application/ld+json, application/json"})
    assert loader.headers["content-type"].startswith("application/ld+json")
    assert loader.json()["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    either = client.get(url, headers={"Accept": "application/vc, */*"})
    assert either.headers["content-type"].startswith("application/vc")


def test_a_caller_cannot_point_at_cairns_status_lists_or_name_another_issuer(app_parts: Parts) -> None:
    client, container = app_parts
    award = container.issuing.award("um-sql-databases", Recipient(email="a@example.org"), actor="t", organisation=UM)
    assert isinstance(award.credential, dict)
    stolen = award.credential["credentialStatus"][0]
    answer = client.post("/credentials/issue", json={"credential": credential(credentialStatus=stolen)}, headers=auth())
    assert answer.status_code == 400
    assert "given by Cairn" in answer.json()["error"]
    other = container.keys.did(SB)
    for issuer in (other, {"id": other, "name": "SkillBridge"}, {"name": "no id"}):
        refused = client.post("/credentials/issue", json={"credential": credential(issuer=issuer)}, headers=auth())
        assert refused.status_code == 400, issuer
    assert container.award_queries.counts(UM).total == 1
