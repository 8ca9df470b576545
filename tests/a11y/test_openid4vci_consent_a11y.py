"""The consent page of OpenID4VCI's authorization code flow in headless Chromium: a wallet app's pushed request,
the signed-in learner's page (who asks, marked unverified; which credential, as radio buttons reached by keyboard;
Allow and Deny). In English and Polish, at 390 and 1280 px: nothing scrolls sideways, no English words on the
Polish page, no serious or critical axe-core violation. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there
as ``openid4vci-consent-<lang>-<width>.png``."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any
from urllib.parse import quote

import pytest

from cairn.services.openid4vci.formats import JWT_VC_JSON
from cairn.vc.multibase import b64url_encode
from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server


def pushed(live_server: LiveServer) -> str:
    challenge = b64url_encode(hashlib.sha256(secrets.token_urlsafe(48).encode()).digest())
    answer = live_server.container.openid4vci_authorization.push(
        {
            "response_type": "code",
            "client_id": "wallet-app",
            "redirect_uri": "com.example.wallet:/callback",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": JWT_VC_JSON,
        }
    )
    return str(answer["request_uri"])


@pytest.mark.parametrize("width", [PHONE])
def test_the_consent_page(
    live_server: LiveServer, learner: Learner, browser: Any, signed_in_state: dict[str, Any], width: int
) -> None:
    context = axe_context(browser, viewport=WIDTHS[width], storage_state=signed_in_state)
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            request_uri = quote(pushed(live_server), safe="")
            page.goto(
                f"{live_server.url}/openid4vci/authorize?client_id=wallet-app&request_uri={request_uri}&lang={lang}"
            )
            where = f"[{lang} {width}px]"
            assert page.locator('input[type="radio"][name="credential"]').count() >= 1, where
            page.locator('input[name="credential"]').first.focus()  # reached by keyboard
            page.keyboard.press("Space")
            assert page.locator('input[name="credential"]').first.is_checked(), where
            assert page.locator('button[value="allow"]').count() == 1, where
            assert page.locator('button[value="deny"]').count() == 1, where
            problems += page_problems(page, f"{where} consent page", lang)
            screenshot(page, f"openid4vci-consent-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
