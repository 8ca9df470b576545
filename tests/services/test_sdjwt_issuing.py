"""Awards as SD-JWT VCs (EUDI Learning Credential) on SQLite and PostgreSQL: issued, verified on the one path,
revoked (the Token Status List and the Bitstring Status List both say so), and the Status List Token route."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.errors import InputError, NotFoundError
from cairn.formats.sdjwt_vc import VCT
from cairn.model.awards import Recipient
from cairn.store.database import Database
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Outcome
from cairn.vc.sdjwt import add_key_binding, split_sd_jwt
from cairn.vc.status import BitstringStatusList
from cairn.web.app import create_app
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock, make_container

HOLDER = KeyPair.generate(KeyType.P256)
AUD, NONCE = "https://verifier.example", "nonce-1"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


def _award(container: Container) -> str:
    recipient = Recipient(email="ann@example.org", name="Anna Maria Kowalska")
    return container.issuing.award(DEFINITION, recipient, actor="test").award_id


def _payload(token: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(b64url_decode(token.split(".")[1]))
    return parsed


def test_an_award_as_an_sd_jwt_vc_verifies_with_key_binding(container: Container, clock: FixedClock) -> None:
    award_id = _award(container)
    issued = container.sd_jwt.issue(award_id, holder_jwk=HOLDER.public.to_jwk(), organisation=ORG)
    jwt, disclosures, kb = split_sd_jwt(issued)
    assert kb is None
    assert len(disclosures) > 10
    payload = _payload(jwt)
    assert payload["vct"] == VCT
    assert payload["iss"] == container.keys.did(ORG)
    assert payload["cnf"] == {"jwk": HOLDER.public.to_jwk()}
    status = payload["status"]
    assert isinstance(status, dict)
    assert status["status_list"]["uri"] == f"{PUBLIC_URL}/orgs/{ORG}/status/combined/1/token"
    for name in ("family_name", "given_name", "achievement_title", "learning_outcomes"):
        assert name not in payload
    presented = add_key_binding(issued, holder_key=HOLDER, aud=AUD, nonce=NONCE, iat=int(clock().timestamp()))
    report = container.verification.verify(presented, challenge=NONCE, domain=AUD)
    assert report.format == "sd-jwt-vc"
    assert report.verified, report.text()
    assert report.outcome_of("status") is Outcome.PASS
    assert report.outcome_of("issuer-key") is Outcome.PASS
    assert report.outcome_of("key-binding") is Outcome.PASS
    assert report.outcome_of("issuer-trust") is not None
    claims = report.credential
    assert claims is not None
    assert (claims["given_name"], claims["family_name"]) == ("Anna Maria", "Kowalska")
    assert claims["level_of_learning_experience"] in range(1, 9)
    assert claims["learning_outcomes"]
    assert claims["issuing_country"]
    wrong = container.verification.verify(presented, challenge="another", domain=AUD)
    assert wrong.outcome_of("key-binding") is Outcome.FAIL


def test_revoking_shows_in_the_token_status_list_and_the_bitstring(container: Container, clock: FixedClock) -> None:
    award_id = _award(container)
    issued = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    assert container.verification.verify(issued).outcome_of("status") is Outcome.PASS
    credential = container.issuing.get(award_id).credential
    assert isinstance(credential, dict)
    container.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    report = container.verification.verify(issued)
    assert report.outcome_of("status") is Outcome.FAIL
    assert "revoked" in report.text()
    bitstring = container.verification.verify(credential)
    assert next(c.outcome for c in bitstring.checks if c.name == "status") is Outcome.FAIL
    idx = _payload(split_sd_jwt(issued)[0])["status"]["status_list"]["idx"]  # type: ignore[index]
    entry = next(e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation")
    assert idx == int(entry["statusListIndex"])  # the same slot in both


def test_the_status_list_token_route(container: Container, clock: FixedClock) -> None:
    award_id = _award(container)
    issued = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    idx = _payload(split_sd_jwt(issued)[0])["status"]["status_list"]["idx"]  # type: ignore[index]
    container.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    client = TestClient(create_app(container))
    answer = client.get(f"/orgs/{ORG}/status/revocation/1/token")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/statuslist+jwt"
    assert answer.headers["cache-control"].startswith("public, max-age=")
    header = json.loads(b64url_decode(answer.text.split(".")[0]))
    assert header["typ"] == "statuslist+jwt"
    assert header["alg"] == "ES256"
    payload = _payload(answer.text)
    assert payload["sub"] == f"{PUBLIC_URL}/orgs/{ORG}/status/revocation/1/token"
    assert payload["iss"] == container.keys.did(ORG)
    lst = zlib.decompress(b64url_decode(payload["status_list"]["lst"]))  # type: ignore[index]
    assert (lst[idx // 8] >> (idx % 8)) & 1 == 1
    assert sum(bin(b).count("1") for b in lst) == 1
    bits = BitstringStatusList.from_bytes(bytes(lst).translate(bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))))
    assert bits.get(idx) == 1
    again = client.get(f"/orgs/{ORG}/status/revocation/1/token", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    assert client.get(f"/orgs/{ORG}/status/revocation/99/token").status_code == 404


def test_bad_requests(container: Container) -> None:
    award_id = _award(container)
    with pytest.raises(NotFoundError):
        container.sd_jwt.issue(award_id, holder_jwk=None, organisation="someone-else")
    with pytest.raises(InputError):
        container.sd_jwt.issue(award_id, holder_jwk=HOLDER.to_jwk(private=True), organisation=ORG)
    with pytest.raises(InputError):
        container.sd_jwt.issue(award_id, holder_jwk={"kty": "EC"}, organisation=ORG)


def test_the_openid4vci_configuration(container: Container) -> None:
    config = container.sd_jwt.configuration()
    assert config["format"] == "dc+sd-jwt"
    assert config["vct"] == VCT
    assert config["cryptographic_binding_methods_supported"] == ["jwk"]
    assert config["credential_signing_alg_values_supported"] == ["ES256"]
    assert "jwt" in config["proof_types_supported"]
    claims = config["credential_metadata"]["claims"]
    family = next(c for c in claims if c["path"] == ["family_name"])
    assert {d["locale"] for d in family["display"]} == {"en", "pl"}
