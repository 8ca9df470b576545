"""What registries publish without sign-in: the signed trust list (ETag, 304, caching headers) and the lookup API
(a chained issuer, an unknown DID, a seal certificate, hostile input), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.trust import LegalIdentity
from cairn.web.app import create_app
from tests.factories import ORG, FixedClock
from tests.trust_network import AGENCY, MINISTRY, Network

LOOKUP = "/api/v1/trust/lookup"
FINGERPRINT = "ab" * 32


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


# -- the signed trust list ----------------------------------------------------------------------------------


def test_the_trust_list_is_served_with_its_etag_and_caching_headers(
    client: TestClient, container: Container, network: Network
) -> None:
    answer = client.get(f"/registries/{MINISTRY}/trust-list")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/vc"
    assert answer.headers["cache-control"] == "public, max-age=300"
    assert answer.headers["access-control-allow-origin"] == "*"
    etag = answer.headers["etag"]
    document = answer.json()
    assert document["type"] == ["VerifiableCredential", "TrustList"]
    assert container.verification.verify(document).verified
    assert parsedate_to_datetime(answer.headers["expires"]).isoformat() == document["validUntil"].replace("Z", "+00:00")
    assert parsedate_to_datetime(answer.headers["last-modified"]).isoformat() == document["validFrom"].replace(
        "Z", "+00:00"
    )
    assert etag.startswith('W/"')  # each process signs its own equivalent copy
    for header in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        again = client.get(f"/registries/{MINISTRY}/trust-list", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.content == b""
        assert again.headers["etag"] == etag
    assert client.get(f"/registries/{MINISTRY}/trust-list", headers={"If-None-Match": '"old"'}).status_code == 200
    head = client.head(f"/registries/{MINISTRY}/trust-list")
    assert head.status_code == 200
    assert head.headers["etag"] == etag


def test_the_trust_list_changes_its_etag_when_an_accreditation_changes(
    client: TestClient, container: Container, network: Network, clock: FixedClock
) -> None:
    etag = client.get(f"/registries/{MINISTRY}/trust-list").headers["etag"]
    clock.advance(hours=1)
    container.registry.change_status(AGENCY, network.issuer, status="suspended", reason="review", actor="t")
    answer = client.get(f"/registries/{MINISTRY}/trust-list", headers={"If-None-Match": etag})
    assert answer.status_code == 200
    assert answer.headers["etag"] != etag
    statuses = {e["id"]: e["status"] for e in answer.json()["credentialSubject"]["accreditations"]}
    assert statuses[network.issuer] == "suspended"


def test_an_organisation_that_is_no_registry_has_no_trust_list(client: TestClient, network: Network) -> None:
    for slug in (ORG, "no-such-organisation"):
        answer = client.get(f"/registries/{slug}/trust-list")
        assert answer.status_code == 404, slug
        body = answer.json()
        assert body["ok"] is False
        assert body["status"] == 404


def test_an_anchor_without_accreditations_publishes_an_empty_list(
    client: TestClient, container: Container, network: Network
) -> None:
    container.registry.add_anchor(ORG, actor="t")
    answer = client.get(f"/registries/{ORG}/trust-list")
    assert answer.status_code == 200
    assert answer.json()["credentialSubject"]["accreditations"] == []


# -- the lookup API -----------------------------------------------------------------------------------------


def test_lookup_of_a_chained_issuer_names_each_link_and_the_anchor(client: TestClient, network: Network) -> None:
    answer = client.get(LOOKUP, params={"did": network.university_did})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=60"
    body = answer.json()
    assert body["ok"] is True
    assert body["vouched"] is True
    assert body["reason"] is None
    assert body["anchor"] == {"did": network.ministry_did, "name": "Ministry of Science"}
    assert body["chainText"] == (
        "accredited by Quality Agency for ISCED-F 061, "
        "itself accredited by Ministry of Science for EQF 5-6 in ISCED-F 06 until 2028-01-01"
    )
    assert [link["accredited_by_did"] for link in body["chain"]] == [network.agency_did, network.ministry_did]
    assert [link["registry"] for link in body["chain"]] == [
        f"https://cairn.example/registries/{AGENCY}/trust-list",
        f"https://cairn.example/registries/{MINISTRY}/trust-list",
    ]
    assert body["identity"]["legalName"] == "Uniwersytet Mazowiecki"
    (accreditation,) = body["accreditations"]
    assert accreditation["id"] == network.issuer
    assert accreditation["status"] == "active"
    assert accreditation["scope"] == {"isced": ["061"]}
    assert accreditation["scopeText"] == "ISCED-F 061"
    assert accreditation["identifiers"] == [{"kind": "national", "value": "REGON 012345678"}]
    assert accreditation["registry"] == f"https://cairn.example/registries/{AGENCY}/trust-list"
    etag = answer.headers["etag"]
    again = client.get(LOOKUP, params={"did": network.university_did}, headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_lookup_of_an_unknown_did_says_nobody_vouches_and_why(client: TestClient, network: Network) -> None:
    body = client.get(LOOKUP, params={"did": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}).json()
    assert body["vouched"] is False
    assert body["reason"] == "no registry this instance trusts accredits the issuer"
    assert body["accreditations"] == []
    assert body["chain"] == []
    assert body["anchor"] is None


def test_lookup_by_seal_certificate(client: TestClient, container: Container, network: Network) -> None:
    container.registry.accredit(
        AGENCY,
        actor="t",
        kind="issuer",
        subjects=[],
        certificates=[FINGERPRINT],
        identity=LegalIdentity("Politechnika Przykładowa", "PL"),
    )
    spaced = ":".join(FINGERPRINT[i : i + 2] for i in range(0, 64, 2)).upper()
    for value in (FINGERPRINT, spaced):
        body = client.get(LOOKUP, params={"certificate": value}).json()
        assert body["identifier"] == "cert:" + FINGERPRINT
        assert body["vouched"] is True
        assert body["identity"]["legalName"] == "Politechnika Przykładowa"


def test_a_suspension_shows_in_the_lookup_with_its_reason(
    client: TestClient, container: Container, network: Network, clock: FixedClock
) -> None:
    clock.advance(days=1)
    container.registry.change_status(MINISTRY, network.body, status="suspended", reason="annual review", actor="t")
    clock.advance(hours=1)
    body = client.get(LOOKUP, params={"did": network.university_did}).json()
    assert body["vouched"] is False
    assert "suspended" in body["reason"]
    assert "annual review" in body["reason"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "did"),
        ({"did": "did:key:z6Mk", "certificate": FINGERPRINT}, "did"),
        ({"did": ""}, "did"),
        ({"did": "did:key:" + "z" * 600}, "did"),
        ({"did": "Uniwersytet Mazowiecki"}, "did"),
        ({"did": "did:web:example.org\u0000"}, "did"),
        ({"did": "did:web:example.org\n"}, "did"),
        ({"did": "did:web:exa mple.org"}, "did"),
        ({"did": "did:web:example.org#key-1"}, "did"),
        ({"did": "did:WEB:example.org"}, "did"),
        ({"did": "did:web:é.example"}, "did"),
        ({"did": "did:web:example.org'; DROP TABLE accreditations;--"}, "did"),
        ({"did": "did:web:%zz"}, "did"),
        ({"did": "javascript:alert(1)"}, "did"),
        ({"did": "http://issuer.example"}, "did"),
        ({"certificate": "ab" * 31}, "certificate"),
        ({"certificate": "zz" * 32}, "certificate"),
        ({"certificate": "a" * 10_000}, "certificate"),
    ],
)
def test_hostile_lookups_are_refused_in_the_one_error_shape(
    client: TestClient, network: Network, params: dict[str, str], field: str
) -> None:
    answer = client.get(LOOKUP, params=params)
    assert answer.status_code == 422, params
    body = answer.json()
    assert body["ok"] is False
    assert body["status"] == 422
    assert body["problems"][0]["path"] == field
    assert body["error"] == body["problems"][0]["message"]


def test_a_huge_query_is_refused_without_reading_it_all(client: TestClient, network: Network) -> None:
    answer = client.get(LOOKUP + "?did=did:key:" + "z" * 60_000)
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["path"] == "did"


def test_an_https_issuer_url_may_be_looked_up(client: TestClient, network: Network) -> None:
    body = client.get(LOOKUP, params={"did": "https://issuer.example/profile"}).json()
    assert body["vouched"] is False
    assert body["identifier"] == "https://issuer.example/profile"


def test_the_registries_index_says_where_each_publishes(client: TestClient, network: Network) -> None:
    body = client.get("/api/v1/trust/registries").json()
    assert [r["slug"] for r in body["registries"]] == [MINISTRY, AGENCY]
    ministry = body["registries"][0]
    assert ministry["did"] == network.ministry_did
    assert ministry["trustList"] == "https://cairn.example/registries/ministry/trust-list"
    assert ministry["dccLegacy"] == "https://cairn.example/registries/ministry/dcc/registry.json"
    assert ministry["openidFederation"] == "https://cairn.example/registries/ministry/.well-known/openid-federation"
    assert body["trustedIssuersRegistry"] == "https://cairn.example/trusted-issuers-registry/v5/issuers"


def test_the_public_api_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/trust/lookup",
        "/api/v1/trust/registries",
        "/registries/{slug}/trust-list",
        "/registries/{slug}/dcc/registry.json",
        "/trusted-issuers-registry/v5/issuers/{did}/attributes/{attribute_id}",
    ):
        assert path in paths, path
    assert not any(path.startswith("/orgs/{slug}/registry") for path in paths)  # pages are not API
