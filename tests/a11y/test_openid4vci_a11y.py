"""Sending a credential to another wallet (OpenID4VCI) in headless Chromium: the learner's claimed credential page
has the "Add to another wallet" section, reached and pressed by keyboard; the offer page shows the QR code (with its
text alternative), the link and the transaction code. In English and Polish, at 390 and 1280 px: nothing scrolls
sideways, no English words on the Polish page, no serious or critical axe-core violation. The same for a learner
without an account: the claim page's "Add to a wallet app" section and the offer page it opens. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``openid4vci-<page>-<lang>-<width>.png``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cairn.model.awards import Recipient
from tests.factories import Learner, LiveServer
from tests.helpers import (
    PHONE,
    WIDTHS,
    axe_context,
    page_problems,
    screenshot,
)

pytestmark = pytest.mark.slow  # a real browser against a live server

BUTTON = {"en": "Make a wallet offer", "pl": "Przygotuj ofertę dla portfela"}


@pytest.fixture(scope="module")
def claim_token(live_server: LiveServer) -> str:
    """The claim link of an award nobody has claimed (an email with no account)."""
    made = live_server.container.issuing.award(
        "um-python-data-analysis",
        Recipient(email="kuba@example.org", name="Kuba Lis"),
        actor="test",
        organisation="uniwersytet-mazowiecki",
    )
    assert made.claim_token
    return made.claim_token


@pytest.mark.parametrize("width", [PHONE])
def test_offering_a_credential_to_another_wallet(
    live_server: LiveServer, learner: Learner, browser: Any, signed_in_state: dict[str, Any], width: int
) -> None:
    context = axe_context(browser, viewport=WIDTHS[width], storage_state=signed_in_state)
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            page.goto(f"{live_server.url}/wallet/{learner.claimed}?lang={lang}")
            where = f"[{lang} {width}px]"
            section = page.locator("section.other-wallet")
            assert section.count() == 1, where
            problems += page_problems(page, f"{where} credential page", lang)
            screenshot(page, f"openid4vci-credential-{lang}-{width}")
            button = page.get_by_role("button", name=BUTTON[lang])
            button.focus()  # reached by keyboard, pressed with Enter
            with page.expect_navigation():
                page.keyboard.press("Enter")
            qr = page.locator("img.qr")
            assert qr.count() == 1, where
            assert qr.get_attribute("alt"), where
            assert re.search(r"\b\d{6}\b", page.locator(".tx-code").inner_text()), where
            assert page.locator('a[href^="openid-credential-offer://"]').count() == 1, where
            problems += page_problems(page, f"{where} offer page", lang)
            screenshot(page, f"openid4vci-offer-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", [PHONE])
def test_offering_from_the_claim_page_without_an_account(
    live_server: LiveServer, browser: Any, claim_token: str, width: int
) -> None:
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            page.goto(f"{live_server.url}/claim/{claim_token}?lang={lang}")
            where = f"[{lang} {width}px]"
            assert page.locator("section.app-wallet").count() == 1, where
            problems += page_problems(page, f"{where} claim page", lang)
            screenshot(page, f"openid4vci-claim-{lang}-{width}")
            page.locator("section.app-wallet").get_by_role("button", name=BUTTON[lang]).focus()
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("img.qr").get_attribute("alt"), where
            assert re.search(r"\b\d{6}\b", page.locator(".tx-code").inner_text()), where
            assert page.locator('a[href^="openid-credential-offer://"]').count() == 1, where
            problems += page_problems(page, f"{where} claim offer page", lang)
            screenshot(page, f"openid4vci-claim-offer-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
