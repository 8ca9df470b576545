"""The OpenID4VP pages in headless Chromium (issue #17 point 3), on the demo's own data: the demo academy's request
page (open, with its link and QR code, and answered, with the report), and the demo learner's wallet answering it
(who asks and what, the choice, the verifier's answer), and the wallet reading another host's request (an
unidentified verifier, where the answer goes). In English and Polish, at 390 and 1280 px: no sideways
scrolling, no English words on the Polish page, no serious or critical axe-core violation. With
``CAIRN_WALK_SHOTS=FOLDER`` set, screenshots go there as ``openid4vp-<page>-<lang>-<width>.png``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from cairn.model.dcql import LDP_VC, SD_JWT, Ask, build_query
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_EMPLOYER, DEMO_LEARNER_EMAIL, DEMO_PASSWORD
from tests.factories import LiveServer
from tests.helpers import PHONE, WIDTHS, axe_context, page_problems, screenshot

pytestmark = pytest.mark.slow  # a real browser against a live server

SAID = {
    "open": {"en": "Check for an answer", "pl": "Sprawdź, czy jest odpowiedź"},
    "wallet": {"en": "Choose what to share", "pl": "Wybierz, co udostępnić"},
    "shared": {"en": "Accepted", "pl": "Przyjęto"},
    "answered": {"en": "Each part of the request", "pl": "Każda część prośby"},
    "outside": {"en": "An unidentified verifier", "pl": "Nieznany weryfikujący"},
}

OUTSIDE = "https://hr.example/answer"
"""Another host's verifier: its request, passed by value in the link, is read without any fetch."""

NAMES = {"en": "Data analyst: EQF 5 or higher", "pl": "Analityk danych: ERK 5 lub wyższy"}


def _sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url + "/sign-in")
    form = page.locator('form[action="/sign-in"]')
    form.get_by_label("Email address").fill(email)
    form.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Sign in").click()


def _check(page: Any, url: str, name: str, lang: str, width: int) -> list[str]:
    where = f"[{lang} {width}px] {name}"
    answer = page.goto(f"{url}{'&' if '?' in url else '?'}lang={lang}")
    assert answer is not None
    assert answer.status == 200, (where, answer.status)
    assert SAID[name][lang] in page.locator("main").inner_text(), where
    screenshot(page, f"openid4vp-{name}-{lang}-{width}")
    return page_problems(page, where, lang)


def _outside(page: Any, url: str, query: dict[str, Any], lang: str, width: int) -> list[str]:
    """The wallet reading another host's request (by value): an unidentified verifier, its client id marked not
    verified, where the answer goes, and the confirmation to tick before sharing."""
    fields = {
        "client_id": f"redirect_uri:{OUTSIDE}",
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": OUTSIDE,
        "nonce": "n-0123456789abcdef",
        "state": "s-1",
        "dcql_query": json.dumps(query),
    }
    page.goto(f"{url}/wallet/presentation-requests?lang={lang}")
    page.locator("#link").fill("openid4vp://?" + urlencode(fields))
    with page.expect_navigation():
        page.locator('main form button[type="submit"]').first.click()
    where = f"[{lang} {width}px] outside"
    assert SAID["outside"][lang] in page.locator("main").inner_text(), where
    assert OUTSIDE in page.locator("main").inner_text(), where
    screenshot(page, f"openid4vp-outside-{lang}-{width}")
    return page_problems(page, where, lang)


@pytest.mark.parametrize("width", [PHONE])
def test_the_openid4vp_pages_are_accessible(live_server: LiveServer, browser: Any, width: int) -> None:
    verifier = axe_context(browser, viewport=WIDTHS[width])
    wallet = axe_context(browser, viewport=WIDTHS[width])
    problems: list[str] = []
    query = build_query(Ask((SD_JWT, LDP_VC), 5, (), ("given_name", "family_name", "achievement_title")))
    try:
        employer, learner = verifier.new_page(), wallet.new_page()
        _sign_in(employer, live_server.url, DEMO_EMAIL)
        _sign_in(learner, live_server.url, DEMO_LEARNER_EMAIL)
        for lang, name in NAMES.items():  # the organisation names its request in its readers' language
            made = live_server.container.presentation_requests.create(
                DEMO_EMPLOYER, actor="test", name=name, purpose="", dcql=query
            )
            request_page = f"{live_server.url}/orgs/{DEMO_EMPLOYER}/presentation-requests/{made.id}"
            problems += _check(employer, request_page, "open", lang, width)
            problems += _check(learner, live_server.url + made.same_device, "wallet", lang, width)
            with learner.expect_navigation():
                learner.locator('form[action^="/wallet/presentation-requests/share"] button[type="submit"]').click()
            where = f"[{lang} {width}px] shared"
            assert SAID["shared"][lang] in learner.locator("main").inner_text(), where
            screenshot(learner, f"openid4vp-shared-{lang}-{width}")
            problems += page_problems(learner, where, lang)
            problems += _check(employer, request_page, "answered", lang, width)
            problems += _outside(learner, live_server.url, query, lang, width)
    finally:
        verifier.close()
        wallet.close()
    assert problems == [], "\n".join(problems)
