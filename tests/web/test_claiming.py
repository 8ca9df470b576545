"""Claiming pages: the demo mailbox (404 outside a demo), the issuer's claim box and figures (roles, CSRF, rate
limit), the claim figures in the API, and the claim page without an account (downloads that do not use the link
up, until it is claimed into a wallet)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import AwardRow, OutboxRow
from cairn.vc.formats.baking import unbake
from cairn.web.accounts.mailbox import linked_body
from cairn.web.app import create_app
from tests.factories import FixedClock
from tests.helpers import csrf_of

PASSWORD = "correct horse battery"
PUBLIC = "https://cairn.example"
UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
BASE = f"/orgs/{UM}/awards"
READ_TOKEN = "cairn_test_read_token_of_um_0123456789abc"


@pytest.fixture
def container(sqlite_database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key="c" * 48, base_url=PUBLIC)
    built = build(settings, clock=clock, database=sqlite_database)
    built.catalog.import_paths([examples])
    accounts = AccountService(sqlite_database, clock=clock, password_hasher=PasswordHasher(1, 8, 1))
    for email, role in (("issuer@example.org", "issuer"), ("viewer@example.org", "viewer")):
        accounts.add_member(organisation=UM, email=email, role=role)
        accounts.set_password(email=email, password=PASSWORD)
    accounts.install_token(organisation=UM, name="r", scopes=["credentials:read"], token=READ_TOKEN)
    return dataclasses.replace(built, accounts=accounts)


def _client(container: Container, *, demo: bool = False) -> TestClient:
    return TestClient(create_app(container, demo=demo), follow_redirects=False)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with _client(container) as client:
        yield client


def _award(container: Container, email: str = "ann@example.org") -> tuple[str, str]:
    result = container.issuing.award(DEFINITION, Recipient(email=email, name="Ann"), actor="t", organisation=UM)
    assert result.claim_token
    return result.award_id, result.claim_token


def _sign_in(client: TestClient, email: str) -> str:
    client.cookies.clear()
    token = csrf_of(client.get("/sign-in").text)
    assert client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return csrf_of(client.get("/account").text)


def _last_email(container: Container) -> OutboxRow:
    with container.database.transaction() as session:
        found = session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(1)).first()
        assert found is not None
        return found


def test_the_mailbox_exists_only_in_a_demo(container: Container, client: TestClient) -> None:
    _award(container)
    assert client.get("/demo/mailbox").status_code == 404
    sent = client.post(
        "/sign-in/link", data={"email": "ann@example.org", "csrf_token": csrf_of(client.get("/sign-in").text)}
    )
    assert "demo&#39;s mailbox" not in sent.text
    assert "/demo/mailbox" not in sent.text
    with _client(container, demo=True) as demo:
        page = demo.get("/demo/mailbox")
        assert page.status_code == 200
        assert "Everyone trying this demo can read this mailbox" in page.text
        claim = re.search(rf'<a href="({PUBLIC}/claim/[^"]+)" rel="noreferrer">', page.text)
        assert claim, "the claim link is clickable"
        assert "Your micro-credential" in page.text
        assert demo.get("/demo/mailbox", params={"to": "nobody@example.org"}).text.count('class="mail"') == 0
        assert "Skrzynka pocztowa demo" in demo.get("/demo/mailbox?lang=pl").text
        hint = demo.post(
            "/sign-in/link", data={"email": "ann@example.org", "csrf_token": csrf_of(demo.get("/sign-in").text)}
        )
        assert "/demo/mailbox?to=ann%40example.org" in hint.text


def test_the_issuer_sees_claims_and_sends_a_fresh_link(
    container: Container, client: TestClient, clock: FixedClock
) -> None:
    award_id, old = _award(container)
    claimed_id, _ = _award(container, "bob@example.org")
    with container.database.transaction() as session:
        session.execute(update(AwardRow).where(AwardRow.id == claimed_id).values(claimed_at=clock.now))
    csrf = _sign_in(client, "viewer@example.org")
    page = client.get(f"{BASE}/{award_id}").text
    assert "Not claimed yet" in page
    assert "/claim/resend" not in page
    assert client.post(f"{BASE}/{award_id}/claim/regenerate", data={"csrf_token": csrf}).status_code == 403
    listing = client.get(BASE).text
    assert "1 of 2 claimed" in listing
    assert "claim rate 50 %" in listing

    csrf = _sign_in(client, "issuer@example.org")
    resend = f"{BASE}/{award_id}/claim/resend"
    assert client.post(resend, data={"email": "ann@example.org"}).status_code == 403  # no CSRF token
    limited = client.post(resend, data={"email": "ann@example.org", "csrf_token": csrf})
    assert limited.status_code == 429  # the award's email went out just now
    clock.advance(minutes=11)
    wrong = client.post(resend, data={"email": "eve@example.org", "csrf_token": csrf})
    assert wrong.status_code == 400
    assert "not the email address the award was made to" in wrong.text
    done = client.post(resend, data={"email": "ann@example.org", "csrf_token": csrf})
    assert done.status_code == 303
    assert "earlier link no longer works" in client.get(done.headers["location"]).text
    assert client.get(f"/claim/{old}").status_code == 404
    assert _last_email(container).to_address == "ann@example.org"

    clock.advance(minutes=11)
    shown = client.post(f"{BASE}/{award_id}/claim/regenerate", data={"csrf_token": csrf})
    link = re.search(r'<code class="claim-url">([^<]+)</code>', shown.text)
    assert shown.status_code == 200
    assert link
    assert client.get(link.group(1).removeprefix(PUBLIC)).status_code == 200
    assert "A fresh claim link" not in client.get(f"{BASE}/{award_id}").text  # shown once only
    polish = client.get(f"{BASE}?lang=pl").text
    assert "odsetek odbiorów 50 %" in polish


def test_the_claim_figures_are_in_the_api(container: Container, client: TestClient, clock: FixedClock) -> None:
    award_id, _ = _award(container)
    _award(container, "bob@example.org")
    with container.database.transaction() as session:
        session.execute(
            update(AwardRow)
            .where(AwardRow.id == award_id)
            .values(claimed_at=clock.now + timedelta(hours=2, minutes=30))
        )
    headers = {"Authorization": f"Bearer {READ_TOKEN}"}
    body = client.get("/api/v1/awards/claims", headers=headers).json()
    assert body["overall"] == {"issued": 2, "claimed": 1, "claimRate": 0.5, "medianSecondsToClaim": 9000}
    assert body["byDefinition"][DEFINITION]["issued"] == 2
    assert (
        client.get("/api/v1/awards/claims", headers=headers, params={"status": "revoked"}).json()["overall"]["issued"]
        == 0
    )
    assert client.get("/api/v1/awards/claims", headers=headers, params={"status": "shiny"}).status_code == 400
    assert client.get("/api/v1/awards/claims").status_code == 401


def test_the_claim_page_gives_the_credential_without_an_account(container: Container, client: TestClient) -> None:
    award_id, token = _award(container, "ada@example.org")
    page = client.get(f"/claim/{token}")
    assert page.status_code == 200
    for suffix in ("credential.json", "credential.png", "credential.svg", "qr.svg"):
        assert f"/claim/{token}/{suffix}" in page.text
    credential = client.get(f"/claim/{token}/credential.json")
    assert credential.json()["id"] == f"urn:uuid:{award_id}"
    baked = client.get(f"/claim/{token}/credential.png")
    assert baked.headers["content-type"] == "image/png"
    assert f"urn:uuid:{award_id}" in unbake(baked.content)
    assert b"openbadges:credential" in client.get(f"/claim/{token}/credential.svg").content
    qr = client.get(f"/claim/{token}/qr.svg")
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.headers["cache-control"] == "no-store"
    assert client.get(f"/claim/{token}/credential.json").status_code == 200  # downloading used nothing up
    assert "Pobierz je, bez zakładania konta" in client.get(f"/claim/{token}?lang=pl").text

    ada = container.accounts.create_account(email="ada@example.org").id
    container.wallet.add_from_claim(ada, "ada@example.org", token)
    claimed = client.get(f"/claim/{token}").text
    assert "has been added to a Cairn wallet" in claimed
    assert f"/claim/{token}/credential.png" not in claimed
    assert client.get(f"/claim/{token}/credential.json").status_code == 404
    assert client.get(f"/claim/{token}/qr.svg").status_code == 404


def test_the_wallet_shows_a_status_notice_until_the_learner_dismisses_it(
    container: Container, client: TestClient, clock: FixedClock
) -> None:
    award_id, token = _award(container, "ada@example.org")
    ada = container.accounts.create_account(email="ada@example.org").id
    container.accounts.set_password(email="ada@example.org", password=PASSWORD)
    item = container.wallet.add_from_claim(ada, "ada@example.org", token)
    csrf = _sign_in(client, "ada@example.org")
    assert 'class="status-notice' not in client.get("/wallet").text
    container.status_lists.suspend(award_id, reason="under review", actor="t")
    clock.advance(minutes=1)
    # the app's worker thread runs the wallet.refresh job the suspension deferred (a listing verifies nothing)
    assert container.jobs.wait(lambda: container.wallet.list(ada)[0].status == "suspended", timeout=20)
    listing = client.get("/wallet?lang=pl").text
    assert 'class="status-notice suspended"' in listing
    assert client.post(f"/wallet/{item.id}/notice", data={"back": "list"}).status_code == 403  # no CSRF token
    dismissed = client.post(f"/wallet/{item.id}/notice", data={"back": "list", "csrf_token": csrf})
    assert (dismissed.status_code, dismissed.headers["location"]) == (303, "/wallet")
    assert 'class="status-notice' not in client.get(f"/wallet/{item.id}").text


def test_the_mailbox_links_only_this_instances_addresses_and_escapes_the_rest() -> None:
    body = f'Go to {PUBLIC}/claim/abc.\n<script>x</script> or https://evil.example/claim/abc "{PUBLIC}/wallet"'
    shown = str(linked_body(body, public_url=PUBLIC))
    assert f'<a href="{PUBLIC}/claim/abc" rel="noreferrer">{PUBLIC}/claim/abc</a>.' in shown
    assert f'<a href="{PUBLIC}/wallet" rel="noreferrer">' in shown
    assert "&lt;script&gt;" in shown
    assert "<script>" not in shown
    assert 'href="https://evil.example' not in shown
