"""The authorization code flow of OpenID4VCI on SQLite and PostgreSQL: a pushed request, the learner's choice, the
code for a token (PKCE S256) and the credential; and every refusal: plain PKCE, a wrong verifier, another redirect
URI or client, a replayed code (which revokes the token it gave), an expired code, another learner's award, a
denial, unsafe redirect URIs."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container
from cairn.errors import NotFoundError
from cairn.services.openid4vci.authorization import (
    AUTHORIZATION_CODE_GRANT,
    AuthorizationPageError,
    redirect_uri_problem,
)
from cairn.services.openid4vci.formats import JWT_VC_JSON, SD_JWT_VC
from cairn.services.openid4vci.metadata import authorization_server_metadata, issuer_metadata
from cairn.services.openid4vci.protocol import OAuthError
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AuthorizationRow
from cairn.vc.multibase import b64url_encode
from tests.factories import FixedClock
from tests.openid4vci_parts import PUBLIC, claimed, issuer, proof, request

CLIENT = "wallet-app"
REDIRECT = "https://wallet.example/callback?from=cairn"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return issuer(database, clock, examples)


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        call(*args, **kwargs)
    assert caught.value.error == code, caught.value.message
    return caught.value


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, b64url_encode(hashlib.sha256(verifier.encode()).digest())


def push(container: Container, challenge: str, **extra: str) -> str:
    form = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "authorization_details": json.dumps(
            [{"type": "openid_credential", "credential_configuration_id": JWT_VC_JSON}]
        ),
        **extra,
    }
    answer = container.openid4vci_authorization.push({k: v for k, v in form.items() if v != "-"})
    assert answer["expires_in"] == 600
    assert answer["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    return str(answer["request_uri"])


def allowed(container: Container, account: int, item: str, request_uri: str) -> str:
    """The code of the learner's allowance (checking the redirect's state and iss)."""
    target = container.openid4vci_authorization.decide(account, CLIENT, request_uri, credential_id=item)
    assert target.startswith("https://wallet.example/callback?from=cairn&")
    query = parse_qs(urlsplit(target).query)
    assert query["state"] == ["st-1"]
    assert query["iss"] == [PUBLIC]
    return query["code"][0]


def exchange(container: Container, code: str, verifier: str, **extra: str) -> dict[str, Any]:
    form = {
        "grant_type": AUTHORIZATION_CODE_GRANT,
        "code": code,
        "code_verifier": verifier,
        "client_id": CLIENT,
        "redirect_uri": REDIRECT,
        **extra,
    }
    return container.openid4vci_authorization.token(form)


def test_metadata_announce_the_authorization_code_flow(container: Container) -> None:
    server = authorization_server_metadata(container.openid4vci)
    assert server["authorization_endpoint"] == PUBLIC + "/openid4vci/authorize"
    assert server["pushed_authorization_request_endpoint"] == PUBLIC + "/openid4vci/par"
    assert server["require_pushed_authorization_requests"] is True
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert server["response_types_supported"] == ["code"]
    assert server["authorization_response_iss_parameter_supported"] is True
    assert "authorization_code" in server["grant_types_supported"]
    configurations = issuer_metadata(container.openid4vci)["credential_configurations_supported"]
    assert sorted(server["scopes_supported"]) == sorted(configurations)
    assert all(c["scope"] == name for name, c in configurations.items())


def test_push_consent_code_token_credential(container: Container, clock: FixedClock) -> None:
    account, item, award_id = claimed(container)
    server = container.openid4vci_authorization
    verifier, challenge = pkce()
    request_uri = push(container, challenge)
    pending = server.pending(CLIENT, request_uri)
    assert pending.redirect_host == "wallet.example"
    assert pending.configurations == (JWT_VC_JSON,)
    assert [c.credential_id for c in server.choices(account)] == [item]
    code = allowed(container, account, item, request_uri)
    answer = exchange(container, code, verifier)
    assert answer["token_type"] == "Bearer"
    assert answer["authorization_details"][0]["credential_identifiers"] == [JWT_VC_JSON]
    jwt, _ = proof(clock, container.openid4vci.nonce()["c_nonce"])
    issued = container.credential_endpoint.issue(answer["access_token"], request([jwt]))
    report = container.verification.verify(issued["credentials"][0]["credential"])
    assert status_of(report) == "valid"
    assert report.credential is not None
    assert report.credential["id"] == f"urn:uuid:{award_id}"
    # only what was asked for
    refused("unknown_credential_configuration", container.credential_endpoint.issue, answer["access_token"],
            request([proof(clock, container.openid4vci.nonce()["c_nonce"])[0]], SD_JWT_VC))  # fmt: skip
    # the request is used up; nothing secret is audited
    with pytest.raises(AuthorizationPageError):
        server.pending(CLIENT, request_uri)
    with container.database.transaction() as session:
        entries = [e.details for e in session.scalars(select(AuditEntry))]
    assert not any(code in json.dumps(d) or verifier in json.dumps(d) for d in entries)


def test_a_scope_asks_for_its_configuration_and_gets_no_details(container: Container) -> None:
    account, item, _ = claimed(container)
    verifier, challenge = pkce()
    request_uri = push(container, challenge, authorization_details="-", scope=SD_JWT_VC)
    assert container.openid4vci_authorization.pending(CLIENT, request_uri).configurations == (SD_JWT_VC,)
    answer = exchange(container, allowed(container, account, item, request_uri), verifier)
    assert "authorization_details" not in answer
    refused("invalid_scope", push, container, challenge, authorization_details="-", scope="nonsense")
    refused("invalid_request", push, container, challenge, authorization_details="-")


def test_pkce_is_required_s256_and_checked(container: Container) -> None:
    account, item, _ = claimed(container)
    verifier, challenge = pkce()
    refused("invalid_request", push, container, verifier[:43], code_challenge_method="plain")
    refused("invalid_request", push, container, "-", code_challenge_method="-")
    refused("invalid_request", push, container, "short")
    request_uri = push(container, challenge)
    code = allowed(container, account, item, request_uri)
    refused("invalid_grant", exchange, container, code, pkce()[0])
    # a wrong verifier ends the code: the right one no longer works
    refused("invalid_grant", exchange, container, code, verifier)


@pytest.mark.parametrize(
    "change", [{"redirect_uri": "https://wallet.example/callback"}, {"client_id": "other-app"}, {"redirect_uri": ""}]
)
def test_the_redirect_uri_and_client_must_be_the_requests(container: Container, change: dict[str, str]) -> None:
    account, item, _ = claimed(container)
    verifier, challenge = pkce()
    code = allowed(container, account, item, push(container, challenge))
    refused("invalid_grant", exchange, container, code, verifier, **change)


def test_a_replayed_code_is_refused_and_revokes_its_token(container: Container, clock: FixedClock) -> None:
    account, item, _ = claimed(container)
    verifier, challenge = pkce()
    code = allowed(container, account, item, push(container, challenge))
    token = exchange(container, code, verifier)["access_token"]
    container.openid4vci.access(token)  # works
    refused("invalid_grant", exchange, container, code, verifier)
    error = refused("invalid_token", container.openid4vci.access, token)
    assert error.status == 401
    with container.database.transaction() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "openid4vci.code_replayed")) is not None


def test_an_expired_code_and_an_expired_request_are_refused(container: Container, clock: FixedClock) -> None:
    account, item, _ = claimed(container)
    verifier, challenge = pkce()
    code = allowed(container, account, item, push(container, challenge))
    clock.advance(minutes=2, seconds=1)
    refused("invalid_grant", exchange, container, code, verifier)
    request_uri = push(container, challenge)
    clock.advance(minutes=10)
    with pytest.raises(AuthorizationPageError):
        container.openid4vci_authorization.decide(account, CLIENT, request_uri, credential_id=item)


def test_another_learners_award_cannot_be_chosen(container: Container) -> None:
    account, item, _ = claimed(container)
    _, others, _ = claimed(container, "bob@example.org")
    request_uri = push(container, pkce()[1])
    with pytest.raises(NotFoundError):
        container.openid4vci_authorization.decide(account, CLIENT, request_uri, credential_id=others)
    assert [c.credential_id for c in container.openid4vci_authorization.choices(account)] == [item]
    with container.database.transaction() as session:
        row = session.scalar(select(AuthorizationRow))
        assert row is not None
        assert row.decided_at is None
        assert row.code_hash is None


def test_a_denial_redirects_with_access_denied_and_gives_no_code(container: Container) -> None:
    account, _, _ = claimed(container)
    server = container.openid4vci_authorization
    request_uri = push(container, pkce()[1])
    target = server.decide(account, CLIENT, request_uri, credential_id=None)
    query = parse_qs(urlsplit(target).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["st-1"]
    assert query["iss"] == [PUBLIC]
    assert "code" not in query
    with pytest.raises(AuthorizationPageError):  # answered once
        server.decide(account, CLIENT, request_uri, credential_id=None)


def test_the_request_uri_needs_its_client_id(container: Container) -> None:
    request_uri = push(container, pkce()[1])
    for client, uri in [("other-app", request_uri), (CLIENT, ""), (CLIENT, "urn:ietf:params:oauth:request_uri:x")]:
        with pytest.raises(AuthorizationPageError):
            container.openid4vci_authorization.pending(client, uri)


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("https://wallet.example/cb", True),
        ("http://localhost:8123/cb", True),
        ("http://127.0.0.1/cb", True),
        ("http://[::1]:9/cb", True),
        ("eu.europa.ec.euidi://authorization", True),
        ("http://wallet.example/cb", False),
        ("http://localhost.evil.example/cb", False),
        ("javascript:alert(1)", False),
        ("data:text/html,hi", False),
        ("https://wallet.example/cb#frag", False),
        ("https://user@wallet.example/cb", False),
        ("https:///nohost", False),
        ("/relative", False),
        ("https://wallet.example/ cb", False),
        ("", False),
    ],
)
def test_redirect_uris_a_public_client_may_use(uri: str, ok: bool) -> None:
    assert (redirect_uri_problem(uri) is None) == ok, redirect_uri_problem(uri)


def test_unsafe_requests_are_refused_at_push(container: Container) -> None:
    challenge = pkce()[1]
    refused("invalid_request", push, container, challenge, redirect_uri="javascript:alert(1)")
    refused("invalid_request", push, container, challenge, client_id="")
    refused("unsupported_response_type", push, container, challenge, response_type="token")
    refused("invalid_request", push, container, challenge, request="eyJ...")
    details = json.dumps([{"type": "openid_credential", "credential_configuration_id": "nope"}])
    refused("invalid_authorization_details", push, container, challenge, authorization_details=details)
    with pytest.raises(OAuthError):
        push(container, challenge, authorization_details="not json")
