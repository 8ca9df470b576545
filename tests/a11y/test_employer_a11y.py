"""The employer's recognition pages in headless Chromium (issue #16 point 4), on the demo's own data: the demo
academy's endorsements (it endorses the university's Python micro-credential), its check page with a challenge for
the candidate, and the report on a candidate's presentation against its job profile "Data analyst, offshore wind
operations". In English and Polish, at 390 and 1280 px: no sideways scrolling, no English words on the Polish page,
no serious or critical axe-core violation. With ``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as
``employer-<page>-<lang>-<width>.png``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cairn.services.demo.instance import DEMO_EMAIL, DEMO_EMPLOYER, DEMO_PASSWORD
from tests.factories import HOLDER_DID, LiveServer, awarded_to_did, present
from tests.helpers import (
    PHONE,
    WIDTHS,
    axe_context,
    page_problems,
    screenshot,
)

pytestmark = pytest.mark.slow  # a real browser against a live server

RULES = "bea-offshore-data-analyst-micro"
ENDORSEMENTS = f"/orgs/{DEMO_EMPLOYER}/endorsements"
CHECK = f"/orgs/{DEMO_EMPLOYER}/recognition/check"
SAID = {
    "endorsements": {"en": "Endorse a micro-credential", "pl": "Zarekomenduj mikropoświadczenie"},
    "check": {"en": "Send the candidate the challenge", "pl": "Wyślij kandydatowi wyzwanie"},
    "report": {"en": "Required skill", "pl": "Wymagana umiejętność"},
}


@pytest.mark.parametrize("width", [PHONE])
def test_the_employer_pages_are_accessible(live_server: LiveServer, browser: Any, width: int) -> None:
    context = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    try:
        page = context.new_page()
        page.goto(live_server.url + "/sign-in")
        form = page.locator('form[action="/sign-in"]')
        form.get_by_label("Email address").fill(DEMO_EMAIL)
        form.get_by_label("Password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            form.get_by_role("button", name="Sign in").click()
        for lang in ("en", "pl"):
            for name, path in (("endorsements", ENDORSEMENTS), ("check", f"{CHECK}?rules={RULES}")):
                where = f"[{lang} {width}px] {name}"
                answer = page.goto(f"{live_server.url}{path}{'&' if '?' in path else '?'}lang={lang}")
                assert answer is not None
                assert answer.status == 200, (where, answer.status)
                assert SAID[name][lang] in page.locator("main").inner_text(), where
                problems += page_problems(page, where, lang)
                screenshot(page, f"employer-{name}-{lang}-{width}")
            # the candidate presents the university's Python and SQL micro-credentials, bound to the page's challenge
            challenge = page.locator('input[name="challenge"]').get_attribute("value")
            assert challenge
            held = awarded_to_did(live_server.container, HOLDER_DID, ["um-python-data-analysis", "um-sql-databases"])
            domain = live_server.container.recognition.domain
            page.locator("#presentation").fill(json.dumps(present(held, challenge, domain)))
            with page.expect_navigation():
                page.locator('form.check-form button[type="submit"]').click()
            where = f"[{lang} {width}px] report"
            assert SAID["report"][lang] in page.locator("#report").inner_text(), where
            problems += page_problems(page, where, lang)
            screenshot(page, f"employer-report-{lang}-{width}")
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
