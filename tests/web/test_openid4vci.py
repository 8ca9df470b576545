"""OpenID4VCI over HTTP: the metadata, the offer section and page (QR code, transaction code, Polish, only the
owner), and a wallet's whole walk (offer by reference, token form, nonce, credential, notification) with the
protocol's error shape, status codes, no-store and CORS without credentials."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.services.openid4vci.protocol import PRE_AUTHORIZED_GRANT
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import sign_jwt
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock
from tests.helpers import english_words_on_polish_page, sign_in
from tests.openid4vci_parts import PUBLIC, claimed, issuer


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return issuer(sqlite_database, clock, examples, quick_passwords=True)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False, base_url=PUBLIC) as client:
        yield client


def holding(container: Container, email: str) -> str:
    """An account for ``email`` with a claimed award in its wallet: the wallet credential's id."""
    return claimed(container, email, password=PASSWORD)[1]


def make_offer(client: TestClient, item: str, csrf: str, lang: str = "en") -> tuple[str, str, str]:
    """Press "Make a wallet offer": the page, the offer's address and the transaction code."""
    page = client.post(f"/wallet/{item}/openid4vci?lang={lang}", data={"csrf_token": csrf})
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    link = unescape(re.search(r'href="(openid-credential-offer://[^"]+)"', page.text).group(1))  # type: ignore[union-attr]
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    tx_code = re.search(r'class="tx-code"><strong>(\d{6})</strong>', page.text).group(1)  # type: ignore[union-attr]
    return page.text, uri, tx_code


def test_metadata_names_the_endpoints_formats_and_algorithms(client: TestClient) -> None:
    issuer = client.get("/.well-known/openid-credential-issuer")
    assert issuer.status_code == 200
    assert issuer.headers["access-control-allow-origin"] == "*"
    body = issuer.json()
    assert body["credential_issuer"] == PUBLIC
    for endpoint in ("credential", "nonce", "deferred_credential", "notification"):
        assert body[f"{endpoint}_endpoint"].startswith(PUBLIC + "/openid4vci/")
    assert body["batch_credential_issuance"] == {"batch_size": 5}
    assert {d["locale"] for d in body["display"]} == {"en", "pl"}
    configurations = body["credential_configurations_supported"]
    assert {c["format"] for c in configurations.values()} == {"jwt_vc_json", "ldp_vc", "dc+sd-jwt"}
    ldp = configurations["OpenBadgeCredential_ldp_vc"]
    assert ldp["credential_definition"]["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in ldp["credential_definition"]["type"]
    algs = ldp["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    assert set(algs) == {"EdDSA", "ES256", "ES384"}
    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["token_endpoint"] == PUBLIC + "/openid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


def test_a_wallet_walks_the_whole_flow_over_http(client: TestClient, container: Container, clock: FixedClock) -> None:
    item = holding(container, "ada@example.org")
    csrf = sign_in(client, "ada@example.org")
    detail = client.get(f"/wallet/{item}").text
    assert 'id="other-wallet-title"' in detail
    assert f'action="/wallet/{item}/openid4vci' in detail
    assert client.post(f"/wallet/{item}/openid4vci", data={}).status_code == 403  # CSRF
    page, uri, tx_code = make_offer(client, item, csrf)
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'alt="QR code of the credential offer"' in page
    assert tx_code not in uri

    wallet = TestClient(client.app, base_url=PUBLIC)  # another device: no session cookie
    offer = wallet.get(urlsplit(uri).path)
    assert offer.status_code == 200
    assert offer.headers["cache-control"] == "no-store"
    code = offer.json()["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    as_json = wallet.post("/openid4vci/token", json={"grant_type": PRE_AUTHORIZED_GRANT})
    assert as_json.status_code == 400
    assert as_json.json()["error"] == "invalid_request"
    form = {
        "grant_type": PRE_AUTHORIZED_GRANT,
        "pre-authorized_code": code,
        "tx_code": "000000" if tx_code != "000000" else "111111",
    }
    wrong = wallet.post("/openid4vci/token", data=form)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert wrong.headers["cache-control"] == "no-store"
    answer = wallet.post("/openid4vci/token", data={**form, "tx_code": tx_code})
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert answer.headers["cache-control"] == "no-store"

    nonce = wallet.post("/openid4vci/nonce").json()["c_nonce"]
    key = KeyPair.generate(KeyType.ED25519)
    jwt = sign_jwt(
        {"aud": PUBLIC, "iat": int(clock().timestamp()), "nonce": nonce},
        key=key,
        kid=None,
        typ="openid4vci-proof+jwt",
        extra_header={"jwk": key.public.to_jwk()},
    )
    request = {"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": [jwt]}}
    unauthorised = wallet.post("/openid4vci/credential", json=request)
    assert unauthorised.status_code == 401
    assert unauthorised.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert unauthorised.json()["error"] == "invalid_token"
    big = wallet.post(
        "/openid4vci/credential", content=b"{" + b" " * 70_000 + b"}", headers={"Authorization": f"Bearer {token}"}
    )
    assert (big.status_code, big.json()["error"]) == (400, "invalid_credential_request")
    issued = wallet.post("/openid4vci/credential", json=request, headers={"Authorization": f"Bearer {token}"})
    assert issued.status_code == 200, issued.text
    credential = issued.json()["credentials"][0]["credential"]
    assert credential["credentialSubject"]["id"] == did_key(key.public)
    assert status_of(container.verification.verify(credential)) == "valid"
    replay = wallet.post("/openid4vci/credential", json=request, headers={"Authorization": f"Bearer {token}"})
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_nonce")
    assert replay.json()["c_nonce"]
    notice = {"notification_id": issued.json()["notification_id"], "event": "credential_accepted"}
    told = wallet.post("/openid4vci/notification", json=notice, headers={"Authorization": f"Bearer {token}"})
    assert told.status_code == 204
    unknown = wallet.post(
        "/openid4vci/notification",
        json={**notice, "notification_id": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert unknown.json()["error"] == "invalid_notification_id"
    deferred = wallet.post(
        "/openid4vci/deferred", json={"transaction_id": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert deferred.json()["error"] == "invalid_transaction_id"
    assert wallet.get(urlsplit(uri).path).status_code == 404  # redeemed


def test_cors_lets_wallets_in_but_never_with_cookies(client: TestClient) -> None:
    for path in ("/openid4vci/token", "/openid4vci/credential", "/.well-known/openid-credential-issuer"):
        preflight = client.options(
            path, headers={"Origin": "https://wallet.example", "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
    assert "access-control-allow-credentials" not in client.post("/openid4vci/nonce").headers


def test_only_the_owner_can_offer_and_the_pages_speak_polish(client: TestClient, container: Container) -> None:
    ada_item = holding(container, "ada@example.org")
    holding(container, "bob@example.org")
    bob = sign_in(client, "bob@example.org")
    assert client.post(f"/wallet/{ada_item}/openid4vci", data={"csrf_token": bob}).status_code == 404
    assert client.get(f"/wallet/{ada_item}/openid4vci").status_code == 303
    client.cookies.clear()
    assert client.post(f"/wallet/{ada_item}/openid4vci", data={}).status_code in (303, 403)
    ada = sign_in(client, "ada@example.org")
    detail = client.get(f"/wallet/{ada_item}?lang=pl").text
    assert "Dodaj do innego portfela" in detail
    page, _, _ = make_offer(client, ada_item, ada, lang="pl")
    assert "Wpisz ten kod w portfelu" in page
    assert english_words_on_polish_page(page) == []
