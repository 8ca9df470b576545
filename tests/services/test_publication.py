"""What the registries publish for other verifiers: who is a registry, the DCC files, OpenID Federation
statements and the EBSI Trusted Issuers Registry view, all read from the signed trust lists."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import NotFoundError
from cairn.vc.keys import PublicKey
from cairn.vc.multibase import b64url_decode
from tests.factories import ORG, FixedClock
from tests.trust_network import AGENCY, MINISTRY, Network


def claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def signature_holds(token: str, jwk: dict[str, Any]) -> bool:
    header, payload, signature = token.split(".")
    return PublicKey.from_jwk(jwk).verify(b64url_decode(signature), f"{header}.{payload}".encode("ascii"))


def test_registries_are_the_organisations_that_accredited_or_are_anchors(
    container: Container, network: Network
) -> None:
    publication = container.publication
    assert publication.registries() == [MINISTRY, AGENCY]
    assert publication.is_registry(MINISTRY)
    assert publication.is_registry(AGENCY)
    assert not publication.is_registry(ORG)
    with pytest.raises(NotFoundError, match="publishes no trust list"):
        publication.trust_list(ORG)
    assert publication.local_slug(network.university_did) == ORG
    assert publication.local_slug("did:web:elsewhere.example:orgs:x") is None


def test_dcc_legacy_lists_who_the_registry_vouches_for_today(
    container: Container, network: Network, clock: FixedClock
) -> None:
    document = json.loads(container.publication.dcc_legacy(MINISTRY).body)
    assert set(document) == {"meta", "registry"}
    assert set(document["registry"]) == {network.agency_did, network.university_did}
    entry = document["registry"][network.university_did]
    assert entry == {
        "name": "Uniwersytet Mazowiecki",
        "url": "https://cairn.example",
        "location": "Poland",
        "legalName": "Uniwersytet Mazowiecki",
    }
    clock.advance(days=1)
    container.registry.change_status(MINISTRY, network.body, status="suspended", reason="review", actor="t")
    clock.advance(minutes=1)
    assert json.loads(container.publication.dcc_legacy(MINISTRY).body)["registry"] == {}
    # the agency's own registry still lists the university: it vouches, whoever vouches for it
    assert set(json.loads(container.publication.dcc_legacy(AGENCY).body)["registry"]) == {network.university_did}


def test_openid_federation_statements_are_signed_with_the_published_key(container: Container, network: Network) -> None:
    publication = container.publication
    header, configuration = claims(publication.oidf_configuration(MINISTRY))
    assert header == {"alg": "ES256", "typ": "entity-statement+jwt", "kid": header["kid"]}
    entity = "https://cairn.example/registries/ministry"
    assert configuration["iss"] == configuration["sub"] == entity
    assert configuration["exp"] - configuration["iat"] == 86400
    federation = configuration["metadata"]["federation_entity"]
    assert federation["federation_fetch_endpoint"] == f"{entity}/fetch"
    assert federation["federation_list_endpoint"] == f"{entity}/subordinate_listing"
    (jwk,) = configuration["jwks"]["keys"]
    assert jwk["kid"] == header["kid"]
    statement = publication.oidf_statement(MINISTRY, network.university_did)
    assert signature_holds(statement, jwk)
    _, payload = claims(statement)
    assert payload["iss"] == entity
    assert payload["sub"] == network.university_did
    assert payload["metadata"]["federation_entity"]["organization_name"] == "Uniwersytet Mazowiecki"
    assert payload["metadata"]["accreditation"]["scope_text"] == "ISCED-F 061"
    assert publication.oidf_listing(MINISTRY) == [network.agency_did, network.university_did]
    with pytest.raises(NotFoundError):
        publication.oidf_statement(MINISTRY, "did:key:z6MkNobody")


def test_the_trusted_issuers_registry_names_roots_bodies_and_issuers(container: Container, network: Network) -> None:
    tir = container.tir
    assert tir.issuers() == sorted([network.ministry_did, network.agency_did, network.university_did])
    (root,) = tir.attributes(network.ministry_did)
    (body,) = tir.attributes(network.agency_did)
    (issuer,) = tir.attributes(network.university_did)
    assert (root.issuer_type, root.tao, root.root_tao) == ("RootTAO", network.ministry_did, network.ministry_did)
    assert (body.issuer_type, body.tao, body.root_tao) == ("TAO", network.ministry_did, network.ministry_did)
    assert (issuer.issuer_type, issuer.tao, issuer.root_tao) == ("TI", network.agency_did, network.ministry_did)
    header, payload = claims(issuer.body)
    assert header["alg"] == "EdDSA"
    assert header["kid"].startswith(network.agency_did + "#")
    vc = payload["vc"]
    assert vc["issuer"] == payload["iss"] == network.agency_did
    assert vc["validFrom"] == vc["issuanceDate"]
    assert "VerifiableAccreditationToAttest" in vc["type"]
    assert vc["credentialSubject"]["reservedAttributeId"] == issuer.id
    assert vc["termsOfUse"] == [{"id": tir.attribute_url(network.agency_did, body.id), "type": "IssuanceCertificate"}]
    assert tir.attribute(network.university_did, "0x" + issuer.id.upper()) == issuer
    with pytest.raises(NotFoundError, match="Attribute"):
        tir.attribute(network.university_did, "00" * 32)
    with pytest.raises(NotFoundError, match="Issuer"):
        tir.attributes("did:key:z6MkNobody")


def test_a_withdrawn_accreditation_reads_revoked(container: Container, network: Network, clock: FixedClock) -> None:
    clock.advance(days=1)
    container.registry.change_status(AGENCY, network.issuer, status="withdrawn", reason="closed", actor="t")
    (issuer,) = container.tir.attributes(network.university_did)
    assert issuer.issuer_type == "Revoked"
