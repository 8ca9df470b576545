"""Cairn's wallet as an OpenID4VCI client, on SQLite and PostgreSQL: it receives from Cairn's own issuer side (in
process, every request routed to the app) in all three formats, bound to its own key, and refuses what it must:
a wrong transaction code (the issuer's error in words), an endpoint on another host, oversized metadata, a credential
that does not verify or is bound to someone else (nothing stored, the issuer told ``credential_failure``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.errors import InputError
from cairn.model.awards import Recipient
from cairn.services.openid4vci.formats import JWT_VC_JSON, LDP_VC, SD_JWT_VC
from cairn.services.wallet.receiving import CredentialReceiver
from cairn.services.wallet.records import cnf_did
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, WalletCredentialRow
from cairn.vc.keys import KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.sdjwt import split_sd_jwt
from cairn.web.app import create_app
from tests.app_outbound import AppOutbound, Made, Rewrite
from tests.factories import FixedClock
from tests.helpers import rows

PUBLIC = "https://cairn.example"
UM, DEFINITION = "uniwersytet-mazowiecki", "um-python-data-analysis"
ADA, BOB = "ada@example.org", "bob@example.org"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="r" * 48, base_url=PUBLIC)
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    return built


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), base_url=PUBLIC) as client:
        yield client


def receiver(container: Container, client: TestClient, rewrite: Rewrite | None = None) -> CredentialReceiver:
    return CredentialReceiver(wallet=container.wallet, outbound=AppOutbound(client, rewrite))


def offer_of(container: Container, email: str = ADA, configurations: tuple[str, ...] | None = None) -> Any:
    """An award claimed into ``email``'s wallet and offered from there: the MadeOffer (link and tx code)."""
    result = container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=UM)
    assert result.claim_token
    account = container.accounts.create_account(email=email).id
    item = container.wallet.add_from_claim(account, email, result.claim_token)
    return container.openid4vci.make_offer(account, item.id, configurations=configurations)


def stored(database: Database) -> list[WalletCredentialRow]:
    return [r for r in rows(database, WalletCredentialRow) if r.source == "openid4vci"]


def test_the_offer_shows_the_issuer_as_it_names_itself_what_is_offered_and_that_a_code_is_needed(
    container: Container, client: TestClient
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    offer = receiver(container, client).read_offer(bob, made.link, lang="pl")
    assert offer.credential_issuer == PUBLIC
    assert offer.issuer_name == "Mikropoświadczenia Cairn"  # self-declared, in the reader's language
    assert offer.issuer_host == "cairn.example"
    assert [c.id for c in offer.configurations] == list(made.configurations)
    assert all(c.supported and c.name for c in offer.configurations)
    assert offer.tx_code is not None
    assert offer.tx_code.length == 6
    assert offer.tx_code.numeric
    assert offer.token_endpoint == f"{PUBLIC}/openid4vci/token"
    assert not offer.draft13
    assert stored(container.database) == []  # reading stores nothing


@pytest.mark.parametrize("configuration", [JWT_VC_JSON, LDP_VC, SD_JWT_VC])
def test_the_wallet_receives_each_format_bound_to_its_own_key_verified_and_stored(
    container: Container, client: TestClient, configuration: str
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    spy = AppOutbound(client)
    items = CredentialReceiver(wallet=container.wallet, outbound=spy).accept(
        bob, made.link, made.tx_code, [configuration]
    )
    assert len(items) == 1
    item = items[0]
    assert item.status == "valid", item.report
    assert not item.about_someone_else
    did = container.wallet.wallet_for(bob)
    if configuration == SD_JWT_VC:
        assert cnf_did(item.document) == did
        assert item.format == "sd-jwt-vc"
        split_sd_jwt(item.original)  # kept as the issuer sent it
        with pytest.raises(InputError, match="SD-JWT VC"):  # not put in a W3C presentation (nor a 500)
            container.wallet.present(bob, [item.id], "challenge", "verifier.example")
    else:
        subject = item.document["credentialSubject"]
        assert subject["id"] == did
    assert container.wallet.get(bob, item.id).id == item.id  # the wallet lists it and shows its verification
    assert [i.id for i in container.wallet.list(bob)] == [item.id]
    recheck = container.wallet.recheck(bob, item.id)
    assert recheck.status == "valid"
    assert not recheck.about_someone_else
    # the issuer heard it was accepted; no code or token went anywhere but to the token and credential endpoints
    events = [json.loads(body) for method, url, body, _ in spy.calls if url.endswith("/notification")]
    assert [e["event"] for e in events] == ["credential_accepted"]
    for _method, url, body, _headers in spy.calls:
        if not url.endswith("/token"):
            assert made.tx_code.encode() not in body
    audit = [a for a in rows(container.database, AuditEntry) if a.action == "wallet.receive"]
    assert len(audit) == 1
    text = json.dumps(audit[0].details)
    assert made.tx_code not in text
    assert "pre-authorized" not in text
    assert "Bearer" not in text


def test_every_offered_credential_at_once(container: Container, client: TestClient) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    items = receiver(container, client).accept(bob, made.link, made.tx_code, list(made.configurations))
    assert {i.format for i in items} >= {"sd-jwt-vc"}
    assert len(items) == len(made.configurations) == len(stored(container.database))


def test_a_wrong_transaction_code_is_the_issuers_error_in_words_and_nothing_is_stored(
    container: Container, client: TestClient
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    wrong = "000000" if made.tx_code != "000000" else "111111"
    with pytest.raises(InputError) as refused:
        receiver(container, client).accept(bob, made.link, wrong, [JWT_VC_JSON])
    assert refused.value.message.startswith("the issuer refused: invalid_grant (")
    assert wrong not in refused.value.message
    with pytest.raises(InputError, match="transaction code"):
        receiver(container, client).accept(bob, made.link, "", [JWT_VC_JSON])
    assert stored(container.database) == []


def test_an_endpoint_on_another_host_is_refused_before_any_code_is_sent(
    container: Container, client: TestClient
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id

    def elsewhere(method: str, url: str, body: bytes) -> Made | None:
        if url.endswith("/.well-known/openid-credential-issuer"):
            metadata = client.get("/.well-known/openid-credential-issuer").json()
            return Made({**metadata, "credential_endpoint": "https://collector.example/credential"})
        return None

    with pytest.raises(InputError, match="credential_endpoint is on another host"):
        receiver(container, client, elsewhere).accept(bob, made.link, made.tx_code, [JWT_VC_JSON])
    assert stored(container.database) == []


def test_an_authorisation_server_the_issuer_does_not_list_is_refused(container: Container, client: TestClient) -> None:
    bob = container.accounts.create_account(email=BOB).id
    offer = {
        "credential_issuer": PUBLIC,
        "credential_configuration_ids": [JWT_VC_JSON],
        "grants": {
            "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                "pre-authorized_code": "x",
                "authorization_server": "https://as.example",
            }
        },
    }
    link = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))
    with pytest.raises(InputError, match="authorisation server the issuer's metadata does not list"):
        receiver(container, client).read_offer(bob, link)


def test_oversized_or_malformed_metadata_is_refused_cleanly(container: Container, client: TestClient) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id

    def huge(method: str, url: str, body: bytes) -> Made | None:
        return Made(b"{" + b" " * 300_000 + b"}") if "openid-credential-issuer" in url else None

    with pytest.raises(InputError, match="larger than"):
        receiver(container, client, huge).read_offer(bob, made.link)

    def broken(method: str, url: str, body: bytes) -> Made | None:
        return Made(b'{"credential_issuer": "a", "credential_issuer": "b"}') if "openid-credential" in url else None

    with pytest.raises(InputError, match="duplicate member"):
        receiver(container, client, broken).read_offer(bob, made.link)


@pytest.mark.parametrize(
    "link",
    [
        "http://cairn.example/offer?credential_offer_uri=https://cairn.example/x",
        "openid-credential-offer://?credential_offer_uri=http://cairn.example/x",
        "openid-credential-offer://?credential_offer_uri=https://10.0.0.7/x",
        "openid-credential-offer://?nothing=here",
        "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22http%3A%2F%2Fa%22%7D",
        "openid-credential-offer://?credential_offer=not%20json",
    ],
)
def test_links_that_are_not_https_offers_are_refused(container: Container, client: TestClient, link: str) -> None:
    bob = container.accounts.create_account(email=BOB).id
    with pytest.raises(InputError):
        receiver(container, client).read_offer(bob, link)


def test_a_credential_that_does_not_verify_is_refused_nothing_stored_and_the_issuer_told(
    container: Container, client: TestClient
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    real = AppOutbound(client)

    def forged(method: str, url: str, body: bytes) -> Made | None:
        if method == "POST" and url.endswith("/openid4vci/credential"):
            answer = real.post(url, body, content_type="application/json", headers=spy.calls[-1][3])
            document = json.loads(answer.content)
            credential = document["credentials"][0]["credential"]
            credential["name"] = "Changed after issue"
            return Made(document)
        return None

    spy = AppOutbound(client, forged)
    with pytest.raises(InputError, match="refused and not added: this credential did not pass verification"):
        CredentialReceiver(wallet=container.wallet, outbound=spy).accept(bob, made.link, made.tx_code, [LDP_VC])
    assert stored(container.database) == []
    events = [json.loads(body)["event"] for _, url, body, _ in spy.calls if url.endswith("/notification")]
    assert events == ["credential_failure"]


def test_a_credential_bound_to_someone_else_is_refused(container: Container, client: TestClient) -> None:
    """A hostile issuer answers with a credential bound to another wallet's key: refused, nothing stored."""
    other = offer_of(container, email="carol@example.org")
    carol = container.accounts.create_account(email="carol+2@example.org").id
    carols = receiver(container, client).accept(carol, other.link, other.tx_code, [JWT_VC_JSON])[0]
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id

    def swapped(method: str, url: str, body: bytes) -> Made | None:
        if method == "POST" and url.endswith("/openid4vci/credential"):
            return Made({"credentials": [{"credential": carols.original}]})
        return None

    before = len(stored(container.database))
    with pytest.raises(InputError, match="not bound to this wallet's key"):
        receiver(container, client, swapped).accept(bob, made.link, made.tx_code, [JWT_VC_JSON])
    assert len(stored(container.database)) == before


def credential_answer(answer: Made) -> Rewrite:
    def rewrite(method: str, url: str, body: bytes) -> Made | None:
        return answer if method == "POST" and url.endswith("/openid4vci/credential") else None

    return rewrite


def test_a_huge_or_malformed_credential_answer_is_refused_cleanly(container: Container, client: TestClient) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    for answer in (Made(b"x" * 3_000_000), Made(b"[1, 2"), Made({"credentials": []}), Made({"credentials": [{}]})):
        with pytest.raises(InputError):
            receiver(container, client, credential_answer(answer)).accept(bob, made.link, made.tx_code, [JWT_VC_JSON])
        made = offer_of(container, email=f"ada{len(made.tx_code)}{id(answer)}@example.org")
    assert stored(container.database) == []


def test_an_offer_once_redeemed_cannot_be_accepted_again(container: Container, client: TestClient) -> None:
    made = offer_of(container, configurations=(LDP_VC,))
    bob = container.accounts.create_account(email=BOB).id
    first = receiver(container, client).accept(bob, made.link, made.tx_code, [LDP_VC])
    assert len(first) == 1
    with pytest.raises(InputError, match=r"could not be fetched|invalid_grant"):
        receiver(container, client).accept(bob, made.link, made.tx_code, [LDP_VC])  # the offer is used up


def _algs_only(client: TestClient, *algs: str) -> Rewrite:
    """An issuer whose metadata takes key proofs signed with ``algs`` only (as EUDI issuers take ES256 only)."""

    def rewrite(method: str, url: str, body: bytes) -> Made | None:
        if not url.endswith("/.well-known/openid-credential-issuer"):
            return None
        metadata = client.get("/.well-known/openid-credential-issuer").json()
        for configuration in metadata["credential_configurations_supported"].values():
            configuration["proof_types_supported"] = {"jwt": {"proof_signing_alg_values_supported": list(algs)}}
        return Made(json.dumps(metadata).encode())

    return rewrite


@pytest.mark.parametrize("configuration", [SD_JWT_VC, LDP_VC])
def test_an_issuer_taking_only_es256_gets_a_proof_by_the_wallets_p256_key_and_binds_to_it(
    container: Container, client: TestClient, configuration: str
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    spy = AppOutbound(client, _algs_only(client, "ES256"))
    [item] = CredentialReceiver(wallet=container.wallet, outbound=spy).accept(
        bob, made.link, made.tx_code, [configuration]
    )
    _key, did = container.wallet.holder_key(bob, KeyType.P256)
    assert did.startswith("did:key:zDn")
    assert did != container.wallet.wallet_for(bob)
    assert container.wallet.holder_key(bob, KeyType.P256)[1] == did  # derived, so the same key every time
    proofs = [json.loads(body)["proofs"]["jwt"][0] for m, url, body, _ in spy.calls if url.endswith("/credential")]
    assert [json.loads(b64url_decode(p.split(".")[0]))["alg"] for p in proofs] == ["ES256"]
    bound = cnf_did(item.document) if configuration == SD_JWT_VC else item.document["credentialSubject"]["id"]
    assert bound == did
    assert item.status == "valid", item.report
    assert not item.about_someone_else  # bound to one of the wallet's own keys
    assert container.wallet.recheck(bob, item.id).status == "valid"


def test_an_issuer_taking_neither_wallet_key_is_refused_before_any_code_is_spent(
    container: Container, client: TestClient
) -> None:
    made = offer_of(container)
    bob = container.accounts.create_account(email=BOB).id
    spy = AppOutbound(client, _algs_only(client, "ES384", "RS256"))
    with pytest.raises(InputError, match=r"EdDSA, ES256\); it asks for ES384, RS256"):
        CredentialReceiver(wallet=container.wallet, outbound=spy).accept(bob, made.link, made.tx_code, [LDP_VC])
    assert not [url for _m, url, *_ in spy.calls if url.endswith("/token")]
    assert stored(container.database) == []
