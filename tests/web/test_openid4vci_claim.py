"""OpenID4VCI offers from the claim page, for a learner without a Cairn account: the "Add to a wallet app" section,
the offer made with the claim token as proof (CSRF by the double-submit cookie), redeemed through the pre-authorised
flow into a credential bound to the wallet's key; unknown, expired or claimed links, revoked awards and too many
offers refused with nothing made."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.services.issuing.claims import CLAIM_LINK_LIFETIME
from cairn.services.openid4vci.service import MAX_OFFERS_PER_HOUR
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, CredentialOfferRow
from cairn.vc.dids import did_key
from cairn.web.app import create_app
from tests.factories import FixedClock, csrf_of
from tests.helpers import english_words_on_polish_page
from tests.openid4vci_parts import ADA, DEFINITION, PUBLIC, UM, issuer, proof, redeem, request


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    return issuer(sqlite_database, clock, examples)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False, base_url=PUBLIC) as client:
        yield client


def awarded(container: Container, email: str = ADA) -> tuple[str, str]:
    """A fresh award to ``email``, not claimed: (award id, claim token)."""
    result = container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=UM)
    assert result.claim_token
    return result.award_id, result.claim_token


def offers(container: Container) -> int:
    with container.database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(CredentialOfferRow)) or 0)


def test_a_learner_without_an_account_puts_the_award_into_a_wallet_app(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    award_id, token = awarded(container)
    page = client.get(f"/claim/{token}")
    assert 'id="app-wallet-title"' in page.text
    assert f'action="/claim/{token}/openid4vci?lang=en"' in page.text
    csrf = csrf_of(page.text)  # the double-submit cookie's token: no session
    assert client.post(f"/claim/{token}/openid4vci", data={}).status_code == 403
    assert client.post(f"/claim/{token}/openid4vci", data={"csrf_token": "x" * 43}).status_code == 403
    assert offers(container) == 0

    made = client.post(f"/claim/{token}/openid4vci", data={"csrf_token": csrf})
    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "no-store"
    assert made.headers["referrer-policy"] == "no-referrer"
    assert 'src="data:image/svg+xml;base64,' in made.text
    assert f'href="/claim/{token}"' in made.text  # back to the claim page
    link = unescape(re.search(r'href="(openid-credential-offer://[^"]+)"', made.text).group(1))  # type: ignore[union-attr]
    uri = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    tx_code = re.search(r'class="tx-code"><strong>(\d{6})</strong>', made.text).group(1)  # type: ignore[union-attr]
    assert tx_code not in link
    assert uri in unescape(made.text)  # the offer's address, for wallets that ask for it
    with container.database.transaction() as session:
        row = session.scalars(select(CredentialOfferRow)).one()
        assert (row.award_id, row.account_id) == (award_id, None)
        entries = [(e.actor, e.subject, json.dumps(e.details)) for e in session.scalars(select(AuditEntry))]
    offered = [e for e in entries if e[0] == "claim-link"]
    assert [e[1] for e in offered] == [award_id]
    assert all(secret not in e[2] for e in entries for secret in (token, tx_code, uri.rsplit("/", 1)[1]))

    wallet = TestClient(client.app, base_url=PUBLIC)  # the wallet app: no cookie
    described = wallet.get(urlsplit(uri).path).json()["grants"]
    assert "claim page" in json.dumps(described)
    access = redeem(container, uri, tx_code)
    nonce = wallet.post("/openid4vci/nonce").json()["c_nonce"]
    jwt, key = proof(clock, nonce)
    issued = wallet.post(
        "/openid4vci/credential", content=request([jwt]), headers={"Authorization": f"Bearer {access}"}
    )
    assert issued.status_code == 200, issued.text
    credential = issued.json()["credentials"][0]["credential"]
    assert status_of(container.verification.verify(credential)) == "valid"
    claims = json.loads(base64.urlsafe_b64decode(credential.split(".")[1] + "=="))
    assert claims["sub"] == did_key(key.public)  # bound to the proved key
    assert wallet.get(urlsplit(uri).path).status_code == 404  # one use
    assert client.get(f"/claim/{token}/credential.json").status_code == 200  # the claim link still works

    polish = client.get(f"/claim/{token}?lang=pl")
    assert "Dodaj do aplikacji portfela" in polish.text
    assert english_words_on_polish_page(polish.text) == []
    offer_pl = client.post(f"/claim/{token}/openid4vci?lang=pl", data={"csrf_token": csrf_of(polish.text)})
    assert "Wpisz ten kod w portfelu" in offer_pl.text
    assert english_words_on_polish_page(offer_pl.text) == []


def test_claim_offers_need_a_live_link_to_a_valid_unclaimed_award_and_are_limited(
    client: TestClient, container: Container, clock: FixedClock
) -> None:
    award_id, token = awarded(container)
    csrf = csrf_of(client.get(f"/claim/{token}").text)
    for wrong in ("nope", token[:-2] + "xx", "x" * 300):
        assert client.post(f"/claim/{wrong}/openid4vci", data={"csrf_token": csrf}).status_code == 404
    assert client.get(f"/claim/{token}/openid4vci").status_code == 303

    for _ in range(MAX_OFFERS_PER_HOUR):
        container.openid4vci.make_claim_offer(token)
    assert client.post(f"/claim/{token}/openid4vci", data={"csrf_token": csrf}).status_code == 429
    clock.advance(hours=1, seconds=1)
    assert client.post(f"/claim/{token}/openid4vci", data={"csrf_token": csrf}).status_code == 200
    made = offers(container)

    container.status_lists.revoke(award_id, organisation=UM, actor="test", reason="awarded in error")
    assert 'id="app-wallet-title"' not in client.get(f"/claim/{token}").text
    assert client.post(f"/claim/{token}/openid4vci", data={"csrf_token": csrf}).status_code == 409

    _, claimed = awarded(container, "bob@example.org")
    bob = container.accounts.create_account(email="bob@example.org").id
    container.wallet.add_from_claim(bob, "bob@example.org", claimed)  # in a Cairn wallet now: offered from there
    assert client.post(f"/claim/{claimed}/openid4vci", data={"csrf_token": csrf}).status_code == 404
    _, fresh = awarded(container, "cy@example.org")
    clock.advance(seconds=CLAIM_LINK_LIFETIME.total_seconds() + 1)
    assert client.post(f"/claim/{fresh}/openid4vci", data={"csrf_token": csrf}).status_code == 404
    assert offers(container) == made  # nothing made by any refusal
