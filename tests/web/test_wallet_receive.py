"""Receiving a credential from another issuer on the wallet pages: paste a link or open a same-device link (a GET
that only shows the offer), the issuer shown as self-declared, the transaction code asked for, Accept (CSRF) to the
received credential's page with its verification; a wrong code shown as the issuer's error; Polish."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.services.openid4vci.formats import JWT_VC_JSON, SD_JWT_VC
from cairn.services.openid4vci.service import MadeOffer
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow
from cairn.web.app import create_app
from tests.app_outbound import AppOutbound
from tests.factories import PASSWORD, FixedClock, fast_hasher
from tests.helpers import english_words_on_polish_page, rows, sign_in

FAST = fast_hasher()
PUBLIC = "https://cairn.example"
UM, DEFINITION = "uniwersytet-mazowiecki", "um-python-data-analysis"
BOB = "bob@example.org"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="w" * 48, base_url=PUBLIC)
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    return dataclasses.replace(built, accounts=AccountService(sqlite_database, clock=clock, password_hasher=FAST))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(container)
    with (
        TestClient(app, follow_redirects=False, base_url=PUBLIC) as browser,
        TestClient(app, base_url=PUBLIC) as issuer_side,
    ):
        container.receiving.outbound = AppOutbound(issuer_side)
        container.accounts.create_account(email=BOB, password=PASSWORD)
        yield browser


def offered(container: Container, email: str = "ada@example.org") -> MadeOffer:
    result = container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=UM)
    assert result.claim_token
    account = container.accounts.create_account(email=email).id
    item = container.wallet.add_from_claim(account, email, result.claim_token)
    return container.openid4vci.make_offer(account, item.id)


def received(container: Container) -> list[WalletCredentialRow]:
    return [r for r in rows(container.database, WalletCredentialRow) if r.source == "openid4vci"]


def form_of(page: str) -> dict[str, Any]:
    """The accept form's hidden offer link and its offered configurations."""
    link = re.search(r'name="offer" value="([^"]+)"', page)
    assert link, page[:3000]
    configurations = re.findall(r'name="configuration" value="([^"]+)"', page)
    return {"offer": unescape(link.group(1)), "configuration": configurations}


def test_the_wallet_page_has_the_receive_form_and_the_nav_links_to_it(container: Container, client: TestClient) -> None:
    sign_in(client, BOB)
    page = client.get("/wallet").text
    assert "Receive a credential from another issuer" in page
    assert 'action="/wallet/receive"' in page
    assert client.get("/wallet/receive").status_code == 200
    client.cookies.clear()
    assert client.get("/wallet/receive").status_code in (303, 401)  # signed in only


def test_paste_see_the_offer_type_the_code_accept_and_land_on_the_credential(
    container: Container, client: TestClient
) -> None:
    made = offered(container)
    csrf = sign_in(client, BOB)
    shown = client.post("/wallet/receive", data={"offer": made.link, "csrf_token": csrf})
    assert shown.status_code == 200, shown.text
    page = shown.text
    assert "https://cairn.example" in page
    assert "Cairn micro-credentials" in page
    assert "Cairn has not checked it" in page
    assert 'id="tx_code"' in page
    assert 'inputmode="numeric"' in page
    assert 'maxlength="6"' in page
    assert made.tx_code not in page
    form = form_of(page)
    assert set(form["configuration"]) == set(made.configurations)
    assert received(container) == []  # showing stores nothing
    # a wrong code: the issuer's error, on the code field, the offer still shown, nothing stored
    wrong = "000000" if made.tx_code != "000000" else "111111"
    data = {"offer": form["offer"], "tx_code": wrong, "configuration": [JWT_VC_JSON], "csrf_token": csrf}
    refused = client.post("/wallet/receive/accept", data=data)
    assert refused.status_code == 400
    assert "invalid_grant" in refused.text
    assert 'id="tx_code-error"' in refused.text
    assert "Nothing was added to your wallet." in refused.text
    assert wrong not in refused.text.replace('value="' + wrong, "")
    assert received(container) == []
    # the right code
    data = {**data, "tx_code": made.tx_code, "configuration": [SD_JWT_VC]}
    accepted = client.post("/wallet/receive/accept", data=data)
    assert accepted.status_code == 303, accepted.text
    target = accepted.headers["location"]
    assert target.startswith("/wallet/")
    assert target.endswith("?done=received")
    detail = client.get(target).text
    assert "The issuer sent the credential; it was verified and is in your wallet." in detail
    assert len(received(container)) == 1
    assert made.tx_code not in detail


def test_accept_needs_the_csrf_token(container: Container, client: TestClient) -> None:
    made = offered(container)
    sign_in(client, BOB)
    answer = client.post(
        "/wallet/receive/accept", data={"offer": made.link, "tx_code": made.tx_code, "configuration": [JWT_VC_JSON]}
    )
    assert answer.status_code == 403
    assert received(container) == []


def test_a_same_device_link_only_shows_the_offer(container: Container, client: TestClient) -> None:
    made = offered(container)
    sign_in(client, BOB)
    uri = parse_qs(urlsplit(made.link).query)["credential_offer_uri"][0]
    page = client.get("/wallet/receive", params={"credential_offer_uri": uri})
    assert page.status_code == 200
    assert "Accept and add to my wallet" in page.text
    assert received(container) == []
    bad = client.get("/wallet/receive", params={"credential_offer_uri": "https://10.0.0.7/offer"})
    assert bad.status_code == 400
    assert 'id="offer-error"' in bad.text


def test_an_offer_that_is_not_a_link_is_refused_on_its_field(container: Container, client: TestClient) -> None:
    csrf = sign_in(client, BOB)
    answer = client.post("/wallet/receive", data={"offer": "hello", "csrf_token": csrf})
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in answer.text
    assert "openid-credential-offer://" in answer.text


def test_the_pages_speak_polish(container: Container, client: TestClient) -> None:
    made = offered(container)
    csrf = sign_in(client, BOB)
    empty = client.get("/wallet/receive?lang=pl").text
    assert "Odbierz poświadczenie od innego wystawcy" in empty
    assert english_words_on_polish_page(empty) == []
    shown = client.post("/wallet/receive?lang=pl", data={"offer": made.link, "csrf_token": csrf}).text
    assert "Mikropoświadczenia Cairn" in shown
    assert "Kod transakcji" in shown
    assert english_words_on_polish_page(shown) == []
    refused = client.post("/wallet/receive?lang=pl", data={"offer": "hello", "csrf_token": csrf}).text
    assert "Wklej link do oferty od wystawcy" in refused
