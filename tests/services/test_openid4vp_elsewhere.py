"""Cairn's wallet answering OpenID4VP requests of other hosts (services/openid4vp/incoming.py): read through the
limited outbound client (here a stand-in that answers from a table and records every request), never trusted by
name, answered by a form POST to the ``response_uri`` only after the learner confirms. Bad requests are refused
with a clear message and nothing is sent: a signature that does not verify, a ``response_uri`` the
``redirect_uri:`` client id does not name, an oversized request object, modes Cairn does not answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from cairn.bootstrap import Container, build
from cairn.errors import FetchError, InputError
from cairn.model.awards import Recipient
from cairn.model.dcql import SD_JWT, Ask, build_query
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.dids import did_key
from cairn.vc.fetch import Response
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_encode
from cairn.vc.report import Outcome
from cairn.vc.request_object import MAX_REQUEST_OBJECT, sign_request_object
from tests.factories import FixedClock

SECRET = "p" * 48
UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
ADA = "ada@example.org"
RESPONSE = "https://verifier.example/response"
PLAIN = f"redirect_uri:{RESPONSE}"
QUERY = build_query(Ask(formats=(SD_JWT,), claims=("given_name", "achievement_title")))


class Outbound:
    """The limited client's interface answered from ``answers`` ({url: (status, body)}); unknown URLs are refused as
    an unknown host would be; the size limit is applied as the real client applies it."""

    def __init__(self, answers: Mapping[str, tuple[int, bytes]]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, str, bytes]] = []

    def _answer(self, url: str, limit: int | None) -> Response:
        if url not in self.answers:
            raise FetchError("the host 'nowhere' cannot be resolved")
        status, body = self.answers[url]
        if limit is not None and len(body) > limit:
            raise FetchError(f"the response is larger than {limit} bytes")
        return Response(url, body, "application/json", status=status)

    def fetch_with(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        self.calls.append(("GET", url, b""))
        return self._answer(url, max_bytes)

    def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        assert content_type == "application/x-www-form-urlencoded"
        self.calls.append(("POST", url, body))
        return self._answer(url, max_bytes)

    @property
    def posted(self) -> list[bytes]:
        return [body for method, _, body in self.calls if method == "POST"]


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url="https://cairn.example")
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    return built


def claimed(container: Container) -> tuple[int, str]:
    result = container.issuing.award(DEFINITION, Recipient(email=ADA, name="Ada Lovelace"), actor="t", organisation=UM)
    assert result.claim_token
    account = container.accounts.create_account(email=ADA).id
    return account, container.wallet.add_from_claim(account, ADA, result.claim_token).id


def params(**changed: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "client_id": PLAIN,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": RESPONSE,
        "nonce": "n-0S6_WzA2Mj",
        "state": "s-1",
        "dcql_query": QUERY,
    }
    return {k: v for k, v in {**base, **changed}.items() if v is not None}


def by_value(**changed: Any) -> str:
    fields = params(**changed)
    fields["dcql_query"] = json.dumps(fields["dcql_query"])
    return "openid4vp://?" + urlencode(fields)


def unsigned(claims: Mapping[str, Any]) -> bytes:
    header = b64url_encode(b'{"alg":"none"}')
    return f"{header}.{b64url_encode(json.dumps(claims).encode())}.".encode()


def signed(claims: Mapping[str, Any], key: KeyPair, *, signer: KeyPair | None = None) -> tuple[str, bytes]:
    """A request object of the did:key of ``key`` (signed by ``signer``, that key unless given)."""
    did = did_key(key.public)
    kid = f"{did}#{did.removeprefix('did:key:')}"
    full = {**claims, "client_id": f"decentralized_identifier:{did}", "exp": 2_000_000_000}
    return full["client_id"], sign_request_object(full, key=signer or key, kid=kid).encode()


def by_reference(outbound: Outbound, body: bytes, client_id: str | None = None) -> str:
    uri = "https://verifier.example/request/1"
    outbound.answers[uri] = (200, body)
    return "openid4vp://?" + urlencode({"request_uri": uri, **({"client_id": client_id} if client_id else {})})


def wired(container: Container, outbound: Outbound) -> Container:
    container.wallet_answers.outbound = outbound
    return container


def test_a_request_by_value_is_unidentified_and_answered_only_once_confirmed(container: Container) -> None:
    outbound = Outbound({RESPONSE: (200, b"{}")})
    answers = wired(container, outbound).wallet_answers
    account, item = claimed(container)

    incoming = answers.read(by_value())
    assert (incoming.client_id, incoming.signed, incoming.organisation, incoming.verifier) == (PLAIN, False, "", "")
    assert (incoming.external, incoming.response_uri, incoming.nonce) == (True, RESPONSE, "n-0S6_WzA2Mj")
    assert outbound.calls == []  # nothing fetched for a request by value
    with pytest.raises(InputError, match="confirm"):
        answers.answer(account, incoming, {"learning_credential": item})
    assert outbound.posted == []

    assert answers.answer(account, incoming, {"learning_credential": item}, confirmed=True) == {}
    [body] = outbound.posted
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert sorted(form) == ["state", "vp_token"]
    assert form["state"] == "s-1"
    [presentation] = json.loads(form["vp_token"])["learning_credential"]
    report = container.verification.verify(presentation, challenge=incoming.nonce, domain=PLAIN)
    assert report.outcome_of("key-binding") is Outcome.PASS, report.to_dict()
    assert report.credential is not None
    assert report.credential["given_name"] == "Ada"
    assert "family_name" not in report.credential  # only what was asked is disclosed


def test_a_signed_request_of_a_did_is_read_and_one_whose_signature_fails_is_refused(container: Container) -> None:
    outbound = Outbound({RESPONSE: (200, b"{}")})
    answers = wired(container, outbound).wallet_answers
    key = KeyPair.generate(KeyType.P256)
    client_id, good = signed(params(), key)

    incoming = answers.read(by_reference(outbound, good, client_id))
    assert (incoming.client_id, incoming.signed, incoming.organisation) == (client_id, True, "")
    assert incoming.request_uri == "https://verifier.example/request/1"

    _, forged = signed(params(), key, signer=KeyPair.generate(KeyType.P256))
    with pytest.raises(InputError, match="signature does not verify"):
        answers.read(by_reference(outbound, forged))
    _, elsewhere = signed(params(), key)  # the link names another client than the request object
    with pytest.raises(InputError, match="client_id is not the request's"):
        answers.read(by_reference(outbound, elsewhere, "decentralized_identifier:did:key:zDnaeOther"))
    assert outbound.posted == []


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"response_uri": "https://elsewhere.example/response"}, "response_uri is not the address"),
        ({"client_id": "decentralized_identifier:did:key:z6Mkx"}, "must use a redirect_uri: client id"),
        ({"response_mode": "direct_post.jwt"}, "direct_post only"),
        ({"response_mode": "dc_api"}, "direct_post only"),
        ({"response_type": "vp_token id_token"}, "response_type"),
        ({"nonce": None}, "no nonce"),
        (
            {
                "response_uri": "http://verifier.example/response",
                "client_id": "redirect_uri:http://verifier.example/response",
            },
            "not an https address",
        ),
        ({"dcql_query": {"credentials": [{"id": "x", "format": "mso_mdoc"}]}}, "DCQL query is not supported"),
    ],
)
def test_bad_requests_by_value_are_refused_and_nothing_is_sent(
    container: Container, changed: dict[str, Any], message: str
) -> None:
    outbound = Outbound({RESPONSE: (200, b"{}"), "https://elsewhere.example/response": (200, b"{}")})
    with pytest.raises(InputError, match=message):
        wired(container, outbound).wallet_answers.read(by_value(**changed))
    assert outbound.calls == []


def test_bad_requests_by_reference_are_refused_and_nothing_is_sent(container: Container) -> None:
    outbound = Outbound({RESPONSE: (200, b"{}")})
    answers = wired(container, outbound).wallet_answers
    other_origin = unsigned(params(response_uri="https://elsewhere.example/response"))
    with pytest.raises(InputError, match="response_uri is not the address"):
        answers.read(by_reference(outbound, other_origin))
    with pytest.raises(InputError, match="unsigned request object must use a redirect_uri"):
        answers.read(by_reference(outbound, unsigned(params(client_id="x509_san_dns:verifier.example"))))
    key = KeyPair.generate(KeyType.P256)
    x509 = sign_request_object(params(client_id="x509_san_dns:verifier.example"), key=key, kid="k").encode()
    with pytest.raises(InputError, match="decentralized_identifier: verifiers only"):
        answers.read(by_reference(outbound, x509))
    huge = unsigned(params(state="s" * (MAX_REQUEST_OBJECT + 1)))
    with pytest.raises(InputError, match="could not be fetched: the response is larger than 64000 bytes"):
        answers.read(by_reference(outbound, huge))
    with pytest.raises(InputError, match="GET only"):
        answers.read(by_reference(outbound, unsigned(params())) + "&request_uri_method=post")
    with pytest.raises(InputError, match="not a JWT"):
        answers.read(by_reference(outbound, b"<html>not a request</html>"))
    with pytest.raises(InputError, match="could not be fetched"):
        answers.read("openid4vp://?request_uri=https%3A%2F%2Fnowhere.example%2Fr")
    assert outbound.posted == []


def test_the_verifiers_refusal_is_shown_in_plain_words(container: Container) -> None:
    refusal = json.dumps({"error": "invalid_request", "error_description": "the nonce\u202e is wrong"}).encode()
    outbound = Outbound({RESPONSE: (400, refusal)})
    answers = wired(container, outbound).wallet_answers
    account, item = claimed(container)
    with pytest.raises(InputError) as refused:
        answers.answer(account, by_value(), {"learning_credential": item}, confirmed=True)
    assert refused.value.message == "the verifier refused the answer: invalid_request (the nonce is wrong)"


def test_an_offline_cairn_answers_its_own_verifiers_only(database: Database, clock: FixedClock) -> None:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url="https://cairn.example")
    offline = build(settings, clock=clock, database=database, online=False)
    with pytest.raises(InputError, match="answers its own verifiers only"):
        offline.wallet_answers.read(by_value())
