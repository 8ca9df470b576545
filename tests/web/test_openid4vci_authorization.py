"""The authorization code flow over HTTP: metadata, a wallet's pushed request, the browser sent to sign in and back,
the consent page (who asks, marked unverified; which credential; Polish), CSRF on the decision, the redirect with
code, state and iss, the token and the credential; errors shown on Cairn's pages, never redirected."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.services.openid4vci.formats import JWT_VC_JSON
from cairn.store.database import Database
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_encode
from cairn.vc.proofs.jose import sign_jwt
from cairn.web.app import create_app
from tests.factories import PASSWORD, FixedClock
from tests.helpers import csrf_of, english_words_on_polish_page, sign_in
from tests.openid4vci_parts import PUBLIC, claimed, issuer

REDIRECT = "com.example.wallet:/callback"
FORM = {"content-type": "application/x-www-form-urlencoded"}


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


def pushed(client: TestClient, challenge: str, **extra: str) -> str:
    form = {
        "response_type": "code",
        "client_id": "wallet-app",
        "redirect_uri": REDIRECT,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": JWT_VC_JSON,
        **extra,
    }
    answer = client.post("/openid4vci/par", data=form)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return str(answer.json()["request_uri"])


def authorize_path(request_uri: str) -> str:
    return f"/openid4vci/authorize?client_id=wallet-app&request_uri={quote(request_uri, safe='')}"


def test_metadata_over_http(client: TestClient) -> None:
    body = client.get("/.well-known/oauth-authorization-server").json()
    assert body["pushed_authorization_request_endpoint"] == PUBLIC + "/openid4vci/par"
    assert body["authorization_endpoint"] == PUBLIC + "/openid4vci/authorize"
    assert body["require_pushed_authorization_requests"] is True


def test_the_whole_flow_with_sign_in_consent_and_csrf(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    item = holding(container, "ola@example.org")
    verifier = secrets.token_urlsafe(48)
    challenge = b64url_encode(hashlib.sha256(verifier.encode()).digest())
    request_uri = pushed(client, challenge)
    client.cookies.clear()
    # not signed in: to the sign-in page, and back
    first = client.get(authorize_path(request_uri))
    assert first.status_code == 303
    location = first.headers["location"]
    assert location.startswith("/sign-in?next=")
    back = parse_qs(urlsplit(location).query)["next"][0]
    assert parse_qs(urlsplit(back).query) == {"client_id": ["wallet-app"], "request_uri": [request_uri]}
    token = csrf_of(client.get(location).text)
    signed = client.post(
        "/sign-in", data={"email": "ola@example.org", "password": PASSWORD, "csrf_token": token, "next": back}
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == back
    page = client.get(back)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert "form-action 'self' com.example.wallet:" in page.headers["content-security-policy"]
    assert "wallet-app" in page.text
    assert "not verified" in page.text
    assert f'value="{item}"' in page.text
    csrf = csrf_of(page.text)
    form = {"client_id": "wallet-app", "request_uri": request_uri, "credential": item, "decision": "allow"}
    assert client.post("/openid4vci/authorize", data=form).status_code == 403  # no CSRF token
    polish = client.get(back + "&lang=pl")
    assert polish.status_code == 200
    assert english_words_on_polish_page(polish.text) == []
    decided = client.post("/openid4vci/authorize", data={**form, "csrf_token": csrf})
    assert decided.status_code == 303
    target = decided.headers["location"]
    assert target.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(target).query)
    assert query["state"] == ["xyz"]
    assert query["iss"] == [PUBLIC]
    # the wallet: code for token, then the credential
    answer = client.post(
        "/openid4vci/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "code_verifier": verifier,
            "client_id": "wallet-app",
            "redirect_uri": REDIRECT,
        },
    )
    assert answer.status_code == 200, answer.text
    access = answer.json()["access_token"]
    nonce = client.post("/openid4vci/nonce").json()["c_nonce"]
    key = KeyPair.generate(KeyType.P256)
    payload = {"aud": PUBLIC, "iat": int(clock().timestamp()), "nonce": nonce}
    jwt = sign_jwt(payload, key=key, kid=None, typ="openid4vci-proof+jwt", extra_header={"jwk": key.public.to_jwk()})
    body = json.dumps({"credential_configuration_id": JWT_VC_JSON, "proofs": {"jwt": [jwt]}})
    issued = client.post(
        "/openid4vci/credential",
        content=body,
        headers={"authorization": f"Bearer {access}", "content-type": "application/json"},
    )
    assert issued.status_code == 200, issued.text
    # the code again: invalid_grant, and the token is revoked
    again = client.post(
        "/openid4vci/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "code_verifier": verifier,
            "client_id": "wallet-app",
            "redirect_uri": REDIRECT,
        },
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    revoked = client.post(
        "/openid4vci/credential",
        content=body,
        headers={"authorization": f"Bearer {access}", "content-type": "application/json"},
    )
    assert revoked.status_code == 401


def test_deny_and_an_empty_choice(client: TestClient, container: Container) -> None:
    item = holding(container, "ola@example.org")
    request_uri = pushed(client, b64url_encode(hashlib.sha256(b"x" * 43).digest()))
    csrf = sign_in(client, "ola@example.org")
    base = {"client_id": "wallet-app", "request_uri": request_uri, "csrf_token": csrf}
    unchosen = client.post("/openid4vci/authorize", data={**base, "decision": "allow"})
    assert unchosen.status_code == 400
    assert "Choose the credential to send." in unchosen.text
    assert item in unchosen.text
    denied = client.post("/openid4vci/authorize", data={**base, "decision": "deny"})
    assert denied.status_code == 303
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert "code" not in query


def test_errors_are_shown_here_never_redirected(client: TestClient, container: Container) -> None:
    holding(container, "ola@example.org")
    request_uri = pushed(client, b64url_encode(hashlib.sha256(b"y" * 43).digest()))
    sign_in(client, "ola@example.org")
    attempts = [
        "/openid4vci/authorize?client_id=wallet-app&redirect_uri=https://evil.example/&response_type=code",
        "/openid4vci/authorize?client_id=evil&request_uri=" + quote(request_uri, safe=""),
        "/openid4vci/authorize?client_id=wallet-app&request_uri=urn:ietf:params:oauth:request_uri:nope"
        "&redirect_uri=https://evil.example/",
    ]
    for path in attempts:
        answer = client.get(path)
        assert answer.status_code == 400, path
        assert "location" not in answer.headers
        assert "evil.example" not in answer.text
        assert "This wallet request cannot go on" in answer.text
    # unsafe redirect URIs never get a request_uri
    for uri in ("javascript:alert(1)", "http://evil.example/cb", "data:text/html,x", "https://evil.example/#x"):
        answer = client.post(
            "/openid4vci/par",
            data={
                "response_type": "code",
                "client_id": "x",
                "redirect_uri": uri,
                "code_challenge": "a" * 43,
                "code_challenge_method": "S256",
                "scope": JWT_VC_JSON,
            },
        )
        assert answer.status_code == 400, uri
        assert answer.json()["error"] == "invalid_request"
    page = client.get("/openid4vci/authorize?client_id=evil&request_uri=x&lang=pl")
    assert page.status_code == 400
    assert english_words_on_polish_page(page.text) == []


def test_the_consent_form_lists_only_the_learners_own_credentials(client: TestClient, container: Container) -> None:
    mine = holding(container, "ola@example.org")
    theirs = holding(container, "bob@example.org")
    request_uri = pushed(client, b64url_encode(hashlib.sha256(b"z" * 43).digest()))
    csrf = sign_in(client, "ola@example.org")
    page = client.get(authorize_path(request_uri))
    assert mine in page.text
    assert theirs not in page.text
    choice = {"client_id": "wallet-app", "request_uri": request_uri, "csrf_token": csrf, "decision": "allow"}
    answer = client.post("/openid4vci/authorize", data={**choice, "credential": theirs})
    assert answer.status_code == 404
    assert "location" not in answer.headers
    assert unescape(re.sub(r"\s+", " ", page.text)).count('name="credential"') == 1
