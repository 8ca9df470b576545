"""European Digital Credentials over HTTP: the seal certificate page (owners only, CSRF, errors), the sealed EDC
downloads of an award page and of the learner's wallet (offered only with a seal certificate), and the catalogue
in ELM (one learning opportunity, the paged catalogue)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.services.trust.operator import TrustList
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow
from cairn.vc.formats.elm_shacl import check_loq_shapes
from cairn.vc.report import Outcome
from cairn.web.app import create_app
from tests.factories import DEFINITION, ORG, PASSWORD, FixedClock, csrf_of, learner_with_credential, make_container
from tests.seal_ca import SealCa, make_seal_ca

DOWNLOAD = "Download as European Digital Credential (sealed)"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    built = make_container(sqlite_database, clock, examples)
    for email, role in (("owner@example.org", "owner"), ("issuer@example.org", "issuer")):
        built.accounts.add_member(organisation=ORG, email=email, role=role)
        built.accounts.set_password(email=email, password=PASSWORD)
    built.accounts.add_member(organisation="skillbridge-europe", email="stranger@example.org", role="owner")
    built.accounts.set_password(email="stranger@example.org", password=PASSWORD)
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


@pytest.fixture
def ca(clock: FixedClock) -> SealCa:
    return make_seal_ca(clock())


def sign_in(client: TestClient, email: str) -> str:
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def upload(client: TestClient, csrf: str, ca: SealCa, *, key: bytes | None = None) -> object:
    files = {
        "certificate": ("chain.pem", ca.chain_pem(), "application/x-pem-file"),
        "private_key": ("seal.key", key if key is not None else ca.key_pem(), "application/x-pem-file"),
    }
    return client.post(f"/orgs/{ORG}/seal", data={"csrf_token": csrf}, files=files)


def award(container: Container) -> str:
    return container.issuing.award(
        DEFINITION, Recipient(email="ann@example.org", name="Ann Example"), actor="t"
    ).award_id


def test_only_owners_reach_the_seal_page(client: TestClient) -> None:
    assert client.get(f"/orgs/{ORG}/seal").status_code in (303, 401)
    sign_in(client, "issuer@example.org")
    assert client.get(f"/orgs/{ORG}/seal").status_code in (403, 404)
    client.cookies.clear()
    sign_in(client, "stranger@example.org")
    assert client.get(f"/orgs/{ORG}/seal").status_code in (403, 404)
    client.cookies.clear()
    sign_in(client, "owner@example.org")
    page = client.get(f"/orgs/{ORG}/seal")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert "No seal certificate yet" in page.text


def test_an_owner_installs_a_seal_certificate_and_the_award_downloads_sealed(
    client: TestClient, container: Container, ca: SealCa
) -> None:
    award_id = award(container)
    csrf = sign_in(client, "owner@example.org")
    before = client.get(f"/orgs/{ORG}/awards/{award_id}").text
    assert DOWNLOAD not in before
    assert f"/orgs/{ORG}/seal" in before  # the note for owners
    assert client.get(f"/orgs/{ORG}/awards/{award_id}/edc.jsonld").status_code == 409
    assert client.post(f"/orgs/{ORG}/seal", data={"csrf_token": "wrong"}, files={}).status_code in (400, 403)
    answer = upload(client, csrf, ca)
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    page = client.get(f"/orgs/{ORG}/seal?done=installed").text
    assert "VATPL-5250000000" in page
    assert ca.key_pem().decode().splitlines()[1] not in page
    after = client.get(f"/orgs/{ORG}/awards/{award_id}").text
    assert DOWNLOAD in after
    download = client.get(f"/orgs/{ORG}/awards/{award_id}/edc.jsonld")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/jose+json")
    assert "attachment" in download.headers["content-disposition"]
    sealed = download.json()
    container.trust.operator = TrustList([], certificates=[ca.root_fingerprint], source="test")
    report = container.verification.verify(sealed)
    assert report.outcome_of("proof") is Outcome.PASS
    assert report.outcome_of("shapes") is Outcome.PASS
    assert report.outcome_of("issuer-key") is Outcome.PASS
    assert client.post(f"/orgs/{ORG}/seal/remove", data={"csrf_token": csrf}).status_code == 303
    assert DOWNLOAD not in client.get(f"/orgs/{ORG}/awards/{award_id}").text


def test_a_key_of_another_certificate_is_refused_with_the_reason(
    client: TestClient, ca: SealCa, clock: FixedClock
) -> None:
    csrf = sign_in(client, "owner@example.org")
    other = make_seal_ca(clock())
    answer = upload(client, csrf, ca, key=other.key_pem())
    assert answer.status_code == 400  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "does not belong to the seal certificate" in text
    assert 'aria-invalid="true"' in text
    polish = upload(client, csrf + "", ca, key=b"not a key")
    assert polish.status_code == 400  # type: ignore[attr-defined]


def test_issuers_see_neither_the_button_nor_the_note_without_a_seal(client: TestClient, container: Container) -> None:
    award_id = award(container)
    sign_in(client, "issuer@example.org")
    page = client.get(f"/orgs/{ORG}/awards/{award_id}").text
    assert DOWNLOAD not in page
    assert f"/orgs/{ORG}/seal" not in page


def test_the_learner_downloads_the_sealed_credential_from_the_wallet(
    client: TestClient, container: Container, ca: SealCa
) -> None:
    _account, credential_id, credential = learner_with_credential(container)
    award_id = container.issuing.get(credential["id"].rsplit(":", 1)[-1], organisation=ORG).award_id
    with container.database.transaction() as session:
        session.execute(
            update(WalletCredentialRow).where(WalletCredentialRow.id == credential_id).values(award_id=award_id)
        )
    sign_in(client, "ann@example.org")
    assert DOWNLOAD not in client.get(f"/wallet/{credential_id}").text
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner")
    assert DOWNLOAD in client.get(f"/wallet/{credential_id}").text
    download = client.get(f"/wallet/{credential_id}/edc.jsonld")
    assert download.status_code == 200
    edc = json.loads(download.json()["payload"])
    assert edc["credentialSubject"]["fullName"] == {"en": "Ann Example"}
    client.cookies.clear()
    sign_in(client, "owner@example.org")
    assert client.get(f"/wallet/{credential_id}/edc.jsonld").status_code == 404  # not this account's wallet


def test_the_catalogue_in_elm(client: TestClient) -> None:
    one = client.get(f"/micro-credentials/{DEFINITION}/elm.jsonld")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("application/ld+json")
    document = one.json()
    assert [o["type"] for o in document["@graph"]] == ["LearningOpportunity"]
    assert check_loq_shapes(document).conforms
    assert client.get("/micro-credentials/no-such-thing/elm.jsonld").status_code == 404
    everything = client.get("/catalogue/elm.jsonld")
    assert everything.status_code == 200
    assert len(everything.json()["@graph"]) == 11
    assert "link" not in everything.headers
    assert client.get("/catalogue/elm.jsonld?page=2").json()["@graph"] == []


def test_a_revoked_award_offers_no_sealed_download(client: TestClient, container: Container, ca: SealCa) -> None:
    award_id = award(container)
    container.seals.install(ORG, chain_pem=ca.chain_pem(), key_pem=ca.key_pem(), actor="owner")
    container.status_lists.revoke(award_id, reason="issued in error", actor="test", organisation=ORG)
    sign_in(client, "owner@example.org")
    assert DOWNLOAD not in client.get(f"/orgs/{ORG}/awards/{award_id}").text
    assert client.get(f"/orgs/{ORG}/awards/{award_id}/edc.jsonld").status_code == 409
