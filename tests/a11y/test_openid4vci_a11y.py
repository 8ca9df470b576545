"""Sending a credential to another wallet (OpenID4VCI) in headless Chromium: the learner's claimed credential page
has the "Add to another wallet" section, reached and pressed by keyboard; the offer page shows the QR code (with its
text alternative), the link and the transaction code. In English and Polish, at 390 and 1280 px: nothing scrolls
sideways, no English words on the Polish page, no serious or critical axe-core violation. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``openid4vci-<page>-<lang>-<width>.png``."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import (
    WIDTHS,
    axe_context,
    page_problems,
    screenshot,
)

pytestmark = pytest.mark.slow  # a real browser against a live server

BUTTON = {"en": "Make a wallet offer", "pl": "Przygotuj ofertę dla portfela"}


@pytest.mark.parametrize("width", sorted(WIDTHS))
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
