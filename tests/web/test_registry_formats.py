"""The registry formats other verifiers read, checked against their documented examples and schemas: DCC's
legacy registry file and OpenID Federation statements, and the EBSI Trusted Issuers Registry API v5."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from cairn.bootstrap import Container, build
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.keys import PublicKey
from cairn.vc.multibase import b64url_decode
from cairn.web.app import create_app
from tests.factories import FixedClock, add_organisation
from tests.trust_network import MINISTRY, Network, build_network

TIR = "/trusted-issuers-registry/v5/issuers"
ATTESTATION_REF = "./node_modules/@cef-ebsi/vcdm1.1-attestation-schema/schema.json"

# digitalcredentials/issuer-registry registry.json (41c1b96), the dcc-legacy format's documented example
DCC_EXAMPLE: dict[str, dict[str, Any]] = {
    "meta": {"created": "2020-12-02T02:32:16+0000", "updated": "2025-03-01T23:07:03+0000"},
    "registry": {
        "did:key:z6MkqEwzA36k2PWsWpeQXjFMzT1PpZuVjZ9W9jd2ZGRb6JKr": {
            "name": "DCC Sandbox Issuer",
            "location": "Cambridge, MA, USA",
            "url": "https://verify.dcconsortium.org",
        }
    },
}


def claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as client:
        yield client


# -- DCC ------------------------------------------------------------------------------------------------------


def test_dcc_legacy_has_the_documented_shape(client: TestClient, network: Network) -> None:
    answer = client.get(f"/registries/{MINISTRY}/dcc/registry.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["access-control-allow-origin"] == "*"
    document = answer.json()
    assert set(document) == set(DCC_EXAMPLE)
    assert set(document["meta"]) == set(DCC_EXAMPLE["meta"])
    example_entry = next(iter(DCC_EXAMPLE["registry"].values()))
    for did, entry in document["registry"].items():
        assert did.startswith("did:")
        assert set(example_entry) <= set(entry)
        assert all(isinstance(value, str) and value for value in entry.values())
    assert document["registry"][network.university_did]["name"] == "Uniwersytet Mazowiecki"
    etag = answer.headers["etag"]
    assert client.get(f"/registries/{MINISTRY}/dcc/registry.json", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/registries/uniwersytet-mazowiecki/dcc/registry.json").status_code == 404


def test_openid_federation_endpoints_answer_as_dccs_registry_does(client: TestClient, network: Network) -> None:
    base = f"/registries/{MINISTRY}"
    configuration = client.get(f"{base}/.well-known/openid-federation")
    assert configuration.status_code == 200
    assert configuration.headers["content-type"] == "application/entity-statement+jwt"
    _, payload = claims(configuration.text)
    fetch = payload["metadata"]["federation_entity"]["federation_fetch_endpoint"]
    assert fetch == f"https://cairn.example{base}/fetch"
    (jwk,) = payload["jwks"]["keys"]

    statement = client.get(f"{base}/fetch?sub={network.university_did}")
    assert statement.status_code == 200
    header, subordinate = claims(statement.text)
    assert header["typ"] == "entity-statement+jwt"
    assert header["kid"] == jwk["kid"]
    signing_input, _, signature = statement.text.rpartition(".")
    assert PublicKey.from_jwk(jwk).verify(b64url_decode(signature), signing_input.encode("ascii"))
    assert subordinate["sub"] == network.university_did
    assert subordinate["metadata"]["institution_additional_information"]["legal_name"] == "Uniwersytet Mazowiecki"

    missing = client.get(f"{base}/fetch?sub=did:key:z6MkNobody")
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "not_found",
        "error_description": "The requested Entity Identifier cannot be found.",
    }
    assert client.get(f"{base}/fetch").json()["error"] == "invalid_request"
    assert client.get(f"{base}/fetch?sub={'x' * 600}").status_code == 400
    assert client.get(f"{base}/subordinate_listing").json() == [network.agency_did, network.university_did]
    assert client.get("/registries/nobody/.well-known/openid-federation").status_code == 404


def test_a_did_with_an_encoded_port_is_found_whether_or_not_the_client_encodes_it(
    database: Database, clock: FixedClock, examples: Path
) -> None:
    built = build(
        Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example:8443"),
        clock=clock,
        database=database,
    )
    built.catalog.import_paths([examples])
    network = build_network(built)
    assert "%3A8443" in network.university_did
    with TestClient(create_app(built)) as client:
        raw = client.get(f"/registries/{MINISTRY}/fetch?sub={network.university_did}")
        assert raw.status_code == 200, raw.text
        encoded = client.get(f"/registries/{MINISTRY}/fetch", params={"sub": network.university_did})
        assert encoded.status_code == 200
        assert client.get(f"{TIR}/{network.university_did}").json()["did"] == network.university_did
        looked_up = client.get(f"/api/v1/trust/lookup?did={network.university_did}").json()
        assert looked_up["vouched"] is True


# -- EBSI TIR v5 ----------------------------------------------------------------------------------------------


def test_the_issuer_list_pages_as_ebsi_does(client: TestClient, network: Network) -> None:
    first = client.get(TIR, params={"page[size]": 2})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"self", "items", "total", "pageSize", "links"}
    assert body["total"] == 3
    assert body["pageSize"] == 2
    assert body["items"] == [
        {"did": did, "href": f"https://cairn.example{TIR}/{did}"}
        for did in sorted([network.ministry_did, network.agency_did, network.university_did])[:2]
    ]
    assert set(body["links"]) == {"first", "prev", "next", "last"}
    assert body["links"]["last"].endswith("page[after]=2&page[size]=2")
    second = client.get(body["links"]["next"].removeprefix("https://cairn.example")).json()
    assert len(second["items"]) == 1
    default = client.get(TIR).json()
    assert default["pageSize"] == 10
    for bad in ({"page[size]": "51"}, {"page[size]": "0"}, {"page[after]": "x"}):
        answer = client.get(TIR, params=bad)
        assert answer.status_code == 400
        assert answer.headers["content-type"] == "application/problem+json"
        assert set(answer.json()) == {"type", "title", "status", "detail"}


def test_an_issuer_and_its_attributes(client: TestClient, network: Network) -> None:
    did = network.university_did
    latest = client.get(f"{TIR}/{did}").json()
    assert latest == {"did": did, "attributes": f"https://cairn.example{TIR}/{did}/attributes", "hasAttributes": True}
    deprecated = client.get(f"{TIR}/{did}", params={"version": "deprecated"}).json()
    (inline,) = deprecated["attributes"]
    assert set(inline) == {"hash", "body", "issuerType", "tao", "rootTao"}
    listing = client.get(f"{TIR}/{did}/attributes").json()
    (item,) = listing["items"]
    assert len(item["id"]) == 64
    assert item["href"] == f"https://cairn.example{TIR}/{did}/attributes/{item['id']}"
    one = client.get(f"{TIR}/{did}/attributes/{item['id']}").json()
    assert one == {"did": did, "attribute": inline}
    assert inline["issuerType"] == "TI"
    assert inline["tao"] == network.agency_did
    assert inline["rootTao"] == network.ministry_did
    assert inline["hash"] == hashlib.sha256(inline["body"].encode()).hexdigest()
    assert client.get(f"{TIR}/{did}/attributes/0x{item['id']}").status_code == 200


def test_unknown_issuers_and_attributes_answer_ebsis_problems(client: TestClient, network: Network) -> None:
    missing = client.get(f"{TIR}/did:ebsi:zNobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "about:blank",
        "title": "Issuer Not Found",
        "status": 404,
        "detail": "Issuer did:ebsi:zNobody not found",
    }
    attribute = client.get(f"{TIR}/{network.university_did}/attributes/{'0' * 64}")
    assert attribute.status_code == 404
    assert attribute.json()["title"] == "Attribute Not Found"
    assert client.get(f"{TIR}/not-a-did").status_code == 400
    assert client.get(f"{TIR}/{network.university_did}", params={"version": "x"}).status_code == 400


def _validator() -> Draft202012Validator:
    data = Path(__file__).resolve().parents[1] / "data" / "ebsi"
    attestation = json.loads((data / "vcdm1.1-attestation-schema.json").read_text(encoding="utf-8"))
    accreditation = json.loads((data / "vcdm1.1-accreditation-schema.json").read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(ATTESTATION_REF, Resource.from_contents(attestation))
    return Draft202012Validator(accreditation, registry=registry)


def test_the_schema_check_itself_accepts_ebsis_own_example() -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "ebsi"
    example = json.loads((data / "example-accredited-to-accredit.json").read_text(encoding="utf-8"))
    assert list(_validator().iter_errors(example)) == []
    assert list(_validator().iter_errors({**example, "credentialStatus": {"id": "x", "type": "Other"}}))


def test_the_attributes_carry_ebsi_verifiable_accreditations(client: TestClient, network: Network) -> None:
    validator = _validator()

    def vc_of(did: str) -> dict[str, Any]:
        (attribute,) = client.get(f"{TIR}/{did}", params={"version": "deprecated"}).json()["attributes"]
        header, payload = claims(attribute["body"])
        assert header["typ"] == "JWT"
        assert payload["iss"] == payload["vc"]["issuer"]
        assert payload["sub"] == did
        vc: dict[str, Any] = payload["vc"]
        return vc

    body = vc_of(network.agency_did)  # accredited until 2028, by the root: the whole schema holds
    assert [e.message for e in validator.iter_errors(body)] == []
    assert body["type"][-1] == "VerifiableAccreditationToAccredit"
    issuer = vc_of(network.university_did)  # open-ended: only the end date the schema asks for is missing
    assert [e.message for e in validator.iter_errors(issuer)] == ["'expirationDate' is a required property"]
    assert issuer["credentialSubject"]["accreditedFor"][0]["limitJurisdiction"].endswith("/atu/POL")
    assert issuer["evidence"] == [
        {"type": ["Evidence"], "name": "Decision 12/2026", "id": "https://agency.example/decisions/12"}
    ]


def test_suspension_reads_revoked_in_the_tir(
    client: TestClient, container: Container, network: Network, clock: FixedClock
) -> None:
    clock.advance(hours=1)
    container.registry.change_status(MINISTRY, network.body, status="suspended", reason="review", actor="t")
    (attribute,) = client.get(f"{TIR}/{network.agency_did}", params={"version": "deprecated"}).json()["attributes"]
    assert attribute["issuerType"] == "Revoked"
    clock.advance(hours=1)
    container.registry.change_status(MINISTRY, network.body, status="active", reason="done", actor="t")
    (attribute,) = client.get(f"{TIR}/{network.agency_did}", params={"version": "deprecated"}).json()["attributes"]
    assert attribute["issuerType"] == "TAO"


def test_a_registry_of_another_organisation_is_its_own_tir_root(
    client: TestClient, container: Container, database: Database, clock: FixedClock, network: Network
) -> None:
    add_organisation(database, clock, "other-ministry", "Other Ministry")
    container.registry.add_anchor("other-ministry", actor="t")
    did = container.keys.did("other-ministry")
    (attribute,) = client.get(f"{TIR}/{did}", params={"version": "deprecated"}).json()["attributes"]
    assert attribute["issuerType"] == "RootTAO"
    _, payload = claims(attribute["body"])
    assert "VerifiableAuthorisationForTrustChain" in payload["vc"]["credentialSubject"]["accreditedFor"][0]["types"]
