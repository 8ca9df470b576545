"""Receiving a credential from another issuer in headless Chromium: the wallet page's "Receive a credential from
another issuer" form, reached and filled by keyboard; the offer page (the issuer as self-declared, the offered
credentials as checkboxes in a fieldset, the transaction code field); a wrong code answered on its field and in the
error summary. In English and Polish, at 390 and 1280 px: nothing scrolls sideways, no English words on the Polish
page, no serious or critical axe-core violation. The live server receives from itself (loopback over http, allowed
for this test only). With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as
``receive-<page>-<lang>-<width>.png``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

READ = {"en": "Read the offer", "pl": "Odczytaj ofertę"}
ACCEPT = {"en": "Accept and add to my wallet", "pl": "Przyjmij i dodaj do mojego portfela"}
LINK = {"en": "Offer link", "pl": "Link do oferty"}
CODE = {"en": "Transaction code", "pl": "Kod transakcji"}


@pytest.fixture
def loopback_receiving(live_server: LiveServer) -> Iterator[None]:
    """The live server's wallet may fetch from the live server itself (http on loopback), for this test."""
    from cairn.vc.fetch import HttpsFetcher

    receiving = live_server.container.receiving
    before = (receiving.outbound, receiving.allow_http)
    receiving.outbound = HttpsFetcher(allow_http=True, allow_private=True, timeout=10)
    receiving.allow_http = True
    try:
        yield
    finally:
        receiving.outbound, receiving.allow_http = before


@pytest.mark.parametrize("width", [PHONE])
def test_receiving_a_credential_from_another_issuer(
    live_server: LiveServer,
    learner: Learner,
    browser: Any,
    signed_in_state: dict[str, Any],
    width: int,
    loopback_receiving: None,
) -> None:
    c = live_server.container
    context = axe_context(browser, viewport=WIDTHS[width], storage_state=signed_in_state)
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            made = c.openid4vci.make_offer(learner.account_id, learner.claimed)
            where = f"[{lang} {width}px]"
            page.goto(f"{live_server.url}/wallet?lang={lang}")
            section = page.locator("section.wallet-receive")
            assert section.count() == 1, where
            field = section.get_by_label(LINK[lang])
            field.focus()
            page.keyboard.type(made.link)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent.trim()") == READ[lang], where
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.locator("fieldset legend").count() == 1, where
            assert page.locator('input[name="configuration"]:checked').count() >= 1, where
            problems += page_problems(page, f"{where} offer page", lang)
            screenshot(page, f"receive-offer-{lang}-{width}")
            code = page.get_by_label(CODE[lang])
            code.fill("999999" if made.tx_code != "999999" else "888888")
            with page.expect_navigation():
                page.get_by_role("button", name=ACCEPT[lang]).press("Enter")
            assert page.locator(".error-summary").count() == 1, where
            assert page.locator("#tx_code[aria-invalid=true]").count() == 1, where
            problems += page_problems(page, f"{where} wrong code", lang)
            screenshot(page, f"receive-wrong-code-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
