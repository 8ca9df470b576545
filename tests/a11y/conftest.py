"""A real Cairn server on loopback and headless Chromium driven by Playwright, for the axe-core checks.

Chromium is Debian's (``/usr/bin/chromium``, or ``CAIRN_TEST_CHROMIUM``); Playwright only drives it, nothing
is downloaded. Without a browser the checks skip and say why; ``.ci/run`` installs one when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container, build, demo_catalog_path
from cairn.model.awards import Recipient
from cairn.services.demo.setup import prepare_demo
from cairn.settings import Settings
from cairn.store.tables import WalletRow
from cairn.store.wallet_receipt_tables import PendingReceiptRow
from cairn.web.app import create_app
from tests.factories import Learner, LiveServer, ShiftedClock, foreign, free_port, serve

LEARNER_EMAIL = "ola@example.org"
LEARNER_PASSWORD = "a long enough passphrase for ola"
ORGANISATION = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"


def chromium_path() -> str | None:
    """The browser to drive: CAIRN_TEST_CHROMIUM, else Debian's chromium on the PATH."""
    configured = os.environ.get("CAIRN_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path_factory.mktemp("a11y") / "cairn.db"
    settings = Settings(database_url=f"sqlite:///{database}", secret_key="a" * 48, base_url=url)
    clock = ShiftedClock()
    container = build(settings, clock=clock)
    container.database.upgrade()
    # as `cairn serve --demo` does: the skills pages show real ESCO labels, /verify shows a chain and the examples
    ready = prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None)
    running = serve(create_app(container, examples=ready.examples, demo=True), port)
    try:
        yield LiveServer(url, container, clock)
    finally:
        running.stop()


@pytest.fixture(scope="session")
def learner(live_server: LiveServer) -> Learner:
    """Made through the server's own services: a demo award claimed into the wallet, a credential from another
    issuer imported, a collection, a live and an expired share link, a public profile showing the claimed one."""
    c = live_server.container
    account = c.accounts.create_account(email=LEARNER_EMAIL, password=LEARNER_PASSWORD, display_name="Ola Nowak")
    award = c.issuing.award(
        DEFINITION, Recipient(email=LEARNER_EMAIL, name="Ola Nowak"), actor="test", organisation=ORGANISATION
    )
    assert award.claim_token
    claimed = c.wallet.add_from_claim(account.id, LEARNER_EMAIL, award.claim_token)
    imported = c.wallet.import_credential(account.id, json.dumps(foreign()), source="paste")
    collection = c.wallet.create_collection(account.id, "Work")
    c.wallet.set_membership(account.id, collection.id, imported.id, member=True)
    c.wallet.set_tags(account.id, claimed.id, ["data", "python"])
    link = c.sharing.create_link(account_id=account.id, credential_id=claimed.id)
    live_server.clock.offset = -timedelta(days=3)
    try:
        expired = c.sharing.create_link(account_id=account.id, credential_id=claimed.id, expires_in_days=1)
    finally:
        live_server.clock.offset = timedelta()
    _pending_receipts(c, account.id)
    c.sharing.update_profile(account_id=account.id, public=True, slug="ola-nowak", name="Ola Nowak")
    c.sharing.set_public(account_id=account.id, credential_id=claimed.id, public=True)
    credential = c.issuing.get(award.award_id, organisation=ORGANISATION).credential
    return Learner(
        account_id=account.id,
        email=LEARNER_EMAIL,
        password=LEARNER_PASSWORD,
        claimed=claimed.id,
        imported=imported.id,
        share_token=link.token,
        expired_token=expired.token,
        slug="ola-nowak",
        credential_json=json.dumps(credential),
        claim_token=award.claim_token,
    )


def _pending_receipts(c: Container, account_id: int) -> None:
    """Two credentials another issuer will issue later (deferred issuance), one still awaited and one Cairn stopped
    waiting for, so /wallet shows its "Waiting for issuers" section (rows as the wallet keeps them; the sealed token
    and transaction id are never shown, so they are placeholders here)."""
    now = c.clock()
    with c.database.transaction() as session:
        wallet = session.scalars(select(WalletRow).where(WalletRow.account_id == account_id)).one()
        for ended in (None, {"msgid": "Cairn stopped waiting: the issuer did not issue it in time"}):
            session.add(
                PendingReceiptRow(
                    wallet_id=wallet.id,
                    credential_issuer="https://issuer.example",
                    issuer_name="Akademia Przykładowa",
                    deferred_endpoint="https://issuer.example/deferred",
                    notification_endpoint=None,
                    configuration="LearningCredential_dc_sd_jwt",
                    configuration_name="Learning Credential",
                    draft13=False,
                    holder_did=wallet.did,
                    key_type="Ed25519",
                    token_sealed=b"-",
                    transaction_sealed=b"-",
                    created_at=now,
                    next_check_at=now + timedelta(hours=1),
                    checked_at=None,
                    expires_at=now + timedelta(days=90),
                    ended_at=now if ended else None,
                    ended=ended,
                )
            )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (install Debian's chromium or set CAIRN_TEST_CHROMIUM): axe checks skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install .[dev])")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def signed_in_state(browser: Any, live_server: LiveServer, learner: Learner) -> dict[str, Any]:
    """The cookies of a browser that signed in as the learner through the /sign-in form (the password one)."""
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sign-in?next=/wallet")
        form = page.locator('form[action="/sign-in"]')
        form.get_by_label("Email address").fill(learner.email)
        form.get_by_label("Password").fill(learner.password)
        with page.expect_navigation():
            form.get_by_role("button", name="Sign in").click()
        assert page.url.startswith(live_server.url + "/wallet"), page.url
        state: dict[str, Any] = context.storage_state()
        return state
    finally:
        context.close()
