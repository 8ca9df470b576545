"""/verify with an endorsement (issue #16) in headless Chromium: the demo's employer academy endorses the
university's Python micro-credential, which the learner fixture holds. In English and Polish, at 390 and 1280 px:
the endorsement is listed, nothing scrolls sideways, no English words on the Polish page, no serious or critical
axe-core violation. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as
``endorsement-verify-<lang>-<width>.png``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Learner, LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

SAID = {"en": "Endorsed by", "pl": "Rekomenduje"}


@pytest.mark.parametrize("width", [PHONE])
def test_an_endorsement_on_the_verify_page(live_server: LiveServer, learner: Learner, browser: Any, width: int) -> None:
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        for lang in ("en", "pl"):
            page.goto(f"{live_server.url}/verify?lang={lang}")
            page.locator("#verify-text").fill(learner.credential_json)
            with page.expect_navigation():
                page.locator('main form button[type="submit"]').first.click()
            where = f"[{lang} {width}px]"
            section = page.locator("section.endorsements")
            assert section.count() == 1, where
            assert SAID[lang] in section.inner_text(), (where, section.inner_text())
            problems += page_problems(page, where, lang)
            screenshot(page, f"endorsement-verify-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
